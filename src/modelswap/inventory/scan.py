"""One pass over one source: records → slices (per workload or prompt fingerprint, and model).

The whole file is read once, in parallel, by one DuckDB query that assigns each record its
workload (the store's own, else the migration file's rules, else a name the log carries), fingerprints the system prompt
of records no rule recognises, and aggregates per (workload or fingerprint, model): counts,
token sums, first and last time, and every latency (kept, so percentiles are exact and can
be merged across slices and files). Unusable records are counted per reason with their
line numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from modelswap.inventory.readers._sql import LAZY_FIELDS, SKIP_REASONS
from modelswap.inventory.readers.base import RecordQuery
from modelswap.inventory.sources import Malformed, ReadReport, Source
from modelswap.inventory.sqltext import lit

FINGERPRINT_PREFIX = 400
"""Characters of the normalised system prompt that make its fingerprint: the instructions, not
the per-request context (retrieved documents, a customer's name) appended after them."""

EXAMPLES_SHOWN = 20
"""Refused records listed per source (all are counted)."""

Floats = npt.NDArray[np.float64]


@dataclass(slots=True)
class Slice:
    """Aggregates of the records of one source sharing a workload (or prompt fingerprint) and a model."""

    workload: str | None
    """The store's workload, else the rules', else the one the log names; None when none applies (then
    ``prompt_key`` is set)."""
    prompt_key: int | None
    model: str
    requests: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    logged_cost: float
    logged_cost_requests: int
    """Requests whose log recorded a cost (``logged_cost`` sums those)."""
    without_usage: int
    """Successful requests that logged no token counts: counted, their tokens and cost unknown (the
    token sums cover the other requests only)."""
    first: datetime | None
    """The earliest request (None when no record of the slice had a time: failed batch requests)."""
    last: datetime | None
    latency_ms: Floats
    """Latencies of successful requests that logged one."""
    ttft_ms: Floats
    example_system: str | None = None
    example_user: str | None = None
    tools: str | None = None
    example_where: str | None = None
    named_by: str | None = None
    """The log field that named ``workload`` when no rule matched (``metadata.workload``), else None."""


def prompt_key_sql(system_prompt: str, tools: str) -> str:
    """A fast per-run key grouping records by system prompt (prefix, digits masked) and tools.

    It only groups rows within one run (DuckDB's ``hash`` may change between versions); the
    stable fingerprint people see is computed from each group's example (``workloads.fingerprint``).
    """
    prefix = f"left(coalesce({system_prompt}, ''), {FINGERPRINT_PREFIX})"
    return f"hash(regexp_replace({prefix}, '[0-9]+', '#', 'g'), coalesce({tools}, ''))"


def _aggregate_sql(query: RecordQuery, rules: str) -> str:
    skip = ", ".join(lit(r) for r in sorted(SKIP_REASONS))
    known = "prompt_tokens IS NOT NULL AND completion_tokens IS NOT NULL"  # a half-logged usage is no usage
    untagged = "problem IS NULL AND workload IS NULL"
    lazy_items = "".join(f", CASE WHEN {untagged} THEN {sql} END AS {alias}" for alias, sql in query.lazy.items)
    lazy_fields = ", ".join(
        f"CASE WHEN {untagged} THEN ({query.lazy.fields.get(name, 'NULL')})::VARCHAR END AS {name}"
        for name in LAZY_FIELDS
    )
    return f"""
WITH rec AS ({query.sql}),
ruled AS (SELECT *, coalesce(tag, {rules}) AS ruled FROM rec),
assigned AS (SELECT *, coalesce(ruled, named) AS workload,
  CASE WHEN ruled IS NULL THEN named_from END AS named_by FROM ruled),
extracted AS (SELECT *{lazy_items} FROM assigned),
prompted AS (SELECT *, {lazy_fields} FROM extracted)
SELECT
  problem,
  CASE WHEN problem IS NULL THEN workload END AS workload,
  CASE WHEN problem IS NULL THEN named_by END AS named_by,
  CASE WHEN problem IS NULL AND workload IS NULL THEN {prompt_key_sql("system_prompt", "tools")} END AS prompt_key,
  CASE WHEN problem IS NULL THEN model END AS model,
  count(*)::BIGINT AS n,
  (count(*) FILTER (WHERE is_error))::BIGINT AS errors,
  coalesce(sum(prompt_tokens) FILTER (WHERE {known}), 0)::BIGINT AS prompt_tokens,
  coalesce(sum(completion_tokens) FILTER (WHERE {known}), 0)::BIGINT AS completion_tokens,
  coalesce(sum(cached_tokens) FILTER (WHERE {known}), 0)::BIGINT AS cached_tokens,
  coalesce(sum(logged_cost), 0)::DOUBLE AS logged_cost,
  count(logged_cost)::BIGINT AS logged_cost_n,
  (count(*) FILTER (WHERE NOT is_error AND (prompt_tokens IS NULL OR completion_tokens IS NULL)))::BIGINT AS no_usage,
  min(ts) AS first, max(ts) AS last,
  list(latency_ms) FILTER (WHERE problem IS NULL AND NOT is_error AND latency_ms IS NOT NULL) AS latency,
  list(ttft_ms) FILTER (WHERE problem IS NULL AND NOT is_error AND ttft_ms IS NOT NULL) AS ttft,
  any_value(CASE WHEN {untagged} THEN struct_pack(system := system_prompt, user_text := user_text,
    tools := tools, id := request_id, ts := ts, line := line) END) AS example,
  list(line) FILTER (WHERE problem IS NOT NULL AND problem NOT IN ({skip}) AND line IS NOT NULL) AS bad_lines
FROM prompted
GROUP BY ALL
"""


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        value = value.astype("datetime64[us]").astype(datetime)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a timestamp, got {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _floats(value: Any) -> Floats:
    if value is None:
        return np.empty(0, dtype=np.float64)
    arr = np.asarray(value, dtype=np.float64)
    return arr.reshape(-1)


def scan(
    con: duckdb.DuckDBPyConnection, source: Source, query: RecordQuery, rules: str
) -> tuple[list[Slice], ReadReport]:
    """Read one source through its record query and aggregate it into slices, with a read report."""
    fetched = con.sql(_aggregate_sql(query, rules)).fetchnumpy()
    cols = {name: _values(col) for name, col in fetched.items()}
    slices: list[Slice] = []
    by_reason: dict[str, int] = {}
    skipped: dict[str, int] = {}
    bad: list[tuple[int, str, str]] = []
    records = 0
    for i in range(len(cols["n"])):
        problem = cols["problem"][i]
        n = int(cols["n"][i])
        if problem is not None:
            reason = str(problem)
            if reason in SKIP_REASONS:
                skipped[reason] = skipped.get(reason, 0) + n
                continue
            by_reason[reason] = by_reason.get(reason, 0) + n
            if cols["bad_lines"][i] is not None:  # numbered queries only
                lines = np.sort(np.asarray(cols["bad_lines"][i], dtype=np.int64))[:EXAMPLES_SHOWN]
                bad.extend((int(line), f"{query.where} {int(line)}", reason) for line in lines)
            continue
        records += n
        slices.append(
            Slice(
                workload=_text(cols["workload"][i]),
                named_by=_text(cols["named_by"][i]),
                prompt_key=None if cols["prompt_key"][i] is None else int(cols["prompt_key"][i]),
                model=str(cols["model"][i]),
                requests=n,
                errors=int(cols["errors"][i]),
                prompt_tokens=int(cols["prompt_tokens"][i]),
                completion_tokens=int(cols["completion_tokens"][i]),
                cached_tokens=int(cols["cached_tokens"][i]),
                logged_cost=float(cols["logged_cost"][i]),
                logged_cost_requests=int(cols["logged_cost_n"][i]),
                without_usage=int(cols["no_usage"][i]),
                first=_utc(cols["first"][i]),
                last=_utc(cols["last"][i]),
                latency_ms=_floats(cols["latency"][i]),
                ttft_ms=_floats(cols["ttft"][i]),
                **_example(cols["example"][i], source, query),
            )
        )
    if query.rejects is not None:
        refused = f"SELECT line, arg_min(error_message, column_idx) FROM {query.rejects} GROUP BY line ORDER BY line"
        for line, message in con.sql(refused).fetchall():  # one row per problem; a line may have several
            reason = CSV_REFUSED
            by_reason[reason] = by_reason.get(reason, 0) + 1
            bad.append((int(line), f"line {int(line)}", f"{reason} ({_first_line(str(message))})"))
    bad.sort()
    examples = tuple(Malformed(where, reason) for _, where, reason in bad[:EXAMPLES_SHOWN])
    report = ReadReport(
        location=source.location,
        format=source.format,
        records=records,
        malformed=sum(by_reason.values()),
        examples=examples,
        by_reason=by_reason,
        skipped=skipped,
        companion=source.companion or (),
    )
    return slices, report


def _example(example: Any, source: Source, query: RecordQuery) -> dict[str, Any]:
    """An untagged slice's example record, and where to find it: its line, else its request id and time."""
    if not isinstance(example, dict):
        return {}
    if example.get("line") is not None:
        where = f"{source.location}:{query.where} {int(example['line'])}"
    else:
        ts = _utc(example.get("ts"))
        at = f" at {ts.isoformat()}" if ts is not None else ""
        where = f"{source.location}: request {example['id']}{at}" if example.get("id") else f"{source.location}{at}"
    return {
        "example_system": _text(example.get("system")),
        "example_user": _text(example.get("user_text")),
        "tools": _text(example.get("tools")),
        "example_where": where,
    }


def _values(column: Any) -> list[Any]:
    """A fetched column as a list, NULL as None (DuckDB hands masked arrays over when there are NULLs)."""
    if isinstance(column, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(column)
        return [None if m else v for v, m in zip(column.data, mask, strict=True)]
    return list(column)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


CSV_REFUSED = "unparsable CSV row"


def locate_problems(con: duckdb.DuckDBPyConnection, query: RecordQuery) -> list[Malformed]:
    """The first refused records of a numbered record query, in file order (a second, one-thread pass)."""
    skip = ", ".join(lit(r) for r in sorted(SKIP_REASONS))
    sql = (
        f"SELECT line, problem FROM ({query.sql}) AS rec WHERE problem IS NOT NULL AND problem NOT IN ({skip}) "
        f"ORDER BY line LIMIT {EXAMPLES_SHOWN}"
    )
    return [Malformed(f"{query.where} {int(line)}", str(problem)) for line, problem in con.sql(sql).fetchall()]


def with_located(report: ReadReport, located: list[Malformed]) -> ReadReport:
    """``report`` with the refused records found by ``locate_problems`` among its examples."""
    csv_refusals = [m for m in report.examples if m.reason.startswith(CSV_REFUSED)]

    def position(m: Malformed) -> int:
        return int(m.where.rsplit(" ", 1)[1])

    examples = tuple(sorted([*csv_refusals, *located], key=position)[:EXAMPLES_SHOWN])
    return replace(report, examples=examples)
