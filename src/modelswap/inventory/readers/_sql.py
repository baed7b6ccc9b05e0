"""SQL building blocks the readers share: file scans, one-parse JSON extraction, typed fields.

Every reader turns its files into the same *record* rows (``RAW_FIELDS``), expressed as
DuckDB SQL so that millions of lines are parsed in parallel without a Python loop. A JSON
text is parsed once per row: every path a reader needs from it is taken by one
``json_extract_string(text, [path, ...])`` call (``_access.JsonFields``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from modelswap.inventory.sqltext import lit

if TYPE_CHECKING:
    pass

LINE_BYTES = 2_000_000
"""Longest line (one record) the first pass reads: DuckDB's default, and its fastest setting (the
reader's buffers grow with it). A longer line fails the pass, which is run again with ``LONG_LINE_BYTES``."""
LONG_LINE_BYTES = 64 * 1024 * 1024
"""Longest line read at all; a longer one is reported with advice, not truncated."""

UNIT_SEPARATOR = "\x01"
"""The "delimiter" used to read a JSONL file as whole lines: never present, unescaped, in valid JSON."""

RAW_FIELDS: tuple[str, ...] = (
    "ts_raw",
    "model",
    "tag",
    "named",
    "named_from",
    "user_id",
    "key_name",
    "path",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "logged_cost",
    "latency_ms",
    "ttft_ms",
    "is_error",
)
"""What a reader may provide per record, as SQL over its own columns (absent: NULL).

``ts_raw`` is text or a number (ISO 8601 with or without offset, or Unix seconds/milliseconds);
tokens, cost and latencies may be text or numbers; ``is_error`` is a boolean expression;
``tag`` is a workload the log assigned with authority (modelswap's store: the gateway matched it),
applied before the migration file's rules; ``named`` is a workload name a log carries of its own
(a ``workload`` field, LiteLLM tags, a Langfuse trace name), used only when no rule matches, and
``named_from`` says which field gave it (``named_workload`` builds both)."""

MAX_TOKENS = 1_000_000_000
"""Most tokens one request may report; more is refused as implausible (and could overflow sums)."""

LAZY_FIELDS: tuple[str, ...] = ("system_prompt", "user_text", "tools", "request_id")
"""Fields only records no rule recognises need (to fingerprint and show them, and to point at
an example by its request id): they are extracted after the rules ran, for those records only
(``Lazy``)."""


ENVIRONMENT_TAGS = ("prod", "production", "staging", "stage", "dev", "development", "test", "testing", "qa")
"""Tags that name where a request ran, not what it is for: never taken as a workload name."""

MAX_NAME_CHARS = 100
"""Longest workload name taken from a log's own fields; a longer value is not a name (it is ignored)."""

MACROS = (
    # ISO 8601 (an offset is honoured; none means UTC), or Unix seconds or milliseconds → naive UTC.
    # ISO text is told apart by its '-' or ':' (strpos is a memchr: no failed number parse per row);
    # a trailing Z needs no time zone arithmetic (a plain TIMESTAMP cast is several times cheaper).
    """CREATE OR REPLACE TEMP MACRO ms_ts(x) AS CASE
         WHEN suffix(x::VARCHAR, 'Z') THEN TRY_CAST(left(x::VARCHAR, -1) AS TIMESTAMP)
         WHEN strpos(x::VARCHAR, '-') > 1 OR strpos(x::VARCHAR, ':') > 0
           THEN timezone('UTC', TRY_CAST(x AS TIMESTAMPTZ))
         WHEN TRY_CAST(x AS DOUBLE) IS NOT NULL THEN make_timestamp(
           (TRY_CAST(x AS DOUBLE) * CASE WHEN TRY_CAST(x AS DOUBLE) > 1e11 THEN 1000 ELSE 1000000 END)::BIGINT)
       END""",
    "CREATE OR REPLACE TEMP MACRO ms_int(x) AS "
    "coalesce(TRY_CAST(x AS BIGINT), TRY_CAST(TRY_CAST(x AS DOUBLE) AS BIGINT))",
    "CREATE OR REPLACE TEMP MACRO ms_num(x) AS TRY_CAST(x AS DOUBLE)",
    # Milliseconds between two timestamps given as text (NULL if either is missing).
    "CREATE OR REPLACE TEMP MACRO ms_between(a, b) AS epoch_us(ms_ts(b)) / 1000.0 - epoch_us(ms_ts(a)) / 1000.0",
    # A workload name from a JSON list of tags (LiteLLM request_tags, metadata.tags): a tag
    # ``workload:NAME`` (or ``workload=NAME``) if any, else the first tag that is not a User-Agent
    # (LiteLLM adds those by itself) or an environment name (ENVIRONMENT_TAGS).
    f"""CREATE OR REPLACE TEMP MACRO ms_tags(t) AS list_filter(
         CASE WHEN left(ltrim(t::VARCHAR), 1) = '[' THEN TRY(from_json(t::VARCHAR, '["VARCHAR"]')) END,
         lambda x: x IS NOT NULL AND trim(x) <> '' AND NOT starts_with(lower(trim(x)), 'user-agent')
           AND lower(trim(x)) NOT IN ({", ".join(lit(e) for e in ENVIRONMENT_TAGS)}))""",
    """CREATE OR REPLACE TEMP MACRO ms_tag(t) AS CASE WHEN t IS NULL OR t::VARCHAR = '[]' THEN NULL ELSE coalesce(
         nullif(trim(regexp_extract(
           list_filter(ms_tags(t), lambda x: regexp_matches(lower(x), '^\\s*workload\\s*[:=]'))[1],
           '[:=]\\s*(.*)$', 1)), ''),
         trim(ms_tags(t)[1])) END""",
    # A workload name as a log wrote it, if it looks like one: 1 to MAX_NAME_CHARS characters, not JSON.
    f"""CREATE OR REPLACE TEMP MACRO ms_name(x) AS CASE
         WHEN x IS NULL THEN NULL
         WHEN strlen(trim(x::VARCHAR)) BETWEEN 1 AND {MAX_NAME_CHARS} AND left(trim(x::VARCHAR), 1) NOT IN ('{{', '[')
           THEN trim(x::VARCHAR)
       END""",
)


def _line(numbered: bool) -> str:
    # row_number() OVER () numbers rows in file order, but it makes the scan single-threaded:
    # only the passes that must name lines use it (the inventory's first pass does not).
    return "row_number() OVER ()" if numbered else "NULL::BIGINT"


def jsonl_lines(
    path: str | Sequence[str],
    column: str = "j",
    *,
    numbered: bool = True,
    max_line: int = LINE_BYTES,
    rejects: str | None = None,
    skip: str | None = None,
) -> str:
    """``(line, j)`` for every line of a text file (or files), numbered from 1 (or NULL), blank lines included.

    ``rejects`` names a table to keep the lines the reader cannot take (bytes that are not UTF-8)
    instead of failing; ``skip`` names a table of their ``gap``s (``line`` − its rank among them)
    from such a pass: those lines are left out and the others keep the file's line numbers."""
    files = lit(path) if isinstance(path, str) else "[" + ", ".join(lit(p) for p in path) + "]"
    errors = ""
    if rejects is not None:
        errors = f"store_rejects=true, rejects_table={lit(rejects)}, rejects_scan={lit(rejects + '_scan')}, "
    elif skip is not None:
        errors = "ignore_errors=true, "
    scan = (
        f"read_csv({files}, columns={{{lit(column)}: 'VARCHAR'}}, "
        f"delim={lit(UNIT_SEPARATOR)}, quote='', escape='', header=false, auto_detect=false, "
        f"strict_mode=false, max_line_size={max_line}, {errors}compression='auto')"
    )
    if skip is not None and numbered:
        kept = f"SELECT row_number() OVER () AS k, {column} FROM {scan}"
        return f"SELECT k + (SELECT count(*) FROM {skip} WHERE gap < k) AS line, {column} FROM ({kept})"
    return f"SELECT {_line(numbered)} AS line, {column} FROM {scan}"


def json_array_records(path: str, *, numbered: bool = True) -> str:
    """``(line, j)`` for every element of a file holding one JSON array; ``line`` is the element's position."""
    return (
        f"SELECT {_line(numbered)} AS line, json::VARCHAR AS j FROM read_json_objects({lit(path)}, "
        f"format='array', maximum_object_size={LONG_LINE_BYTES}, compression='auto')"
    )


def csv_rows(path: str, rejects: str, *, numbered: bool = True, max_line: int = LINE_BYTES) -> str:
    """Every data row of a CSV file with a header, as text; unparsable rows go to the ``rejects`` table."""
    return (
        f"SELECT {_line(numbered)} AS line, * FROM read_csv({lit(path)}, header=true, all_varchar=true, "
        f"store_rejects=true, rejects_table={lit(rejects)}, rejects_scan={lit(rejects + '_scan')}, "
        f"max_line_size={max_line}, compression='auto')"
    )


@dataclass(frozen=True, slots=True)
class Flags:
    """SQL telling, per row, that the record is a blank line, not JSON, or JSON but not an object."""

    blank: str = "false"
    invalid: str = "false"
    not_object: str = "false"


def record_select(
    from_sql: str,
    fields: Mapping[str, str],
    *,
    extra: Iterable[tuple[str, str]] = (),
    flags: Flags = Flags(),
    skip: str = "NULL",
    carry: Sequence[str] = (),
) -> str:
    """The common record shape over a reader's rows, with a ``problem`` per unusable record.

    ``fields`` maps names in ``RAW_FIELDS`` to SQL (missing ones are NULL); ``extra`` adds
    rule inputs (``meta_0``, ``hdr_0``, ...) as text. ``flags`` mark blank lines (skipped
    quietly), lines that are not JSON and JSON that is not an object; ``skip`` is a reason
    (text) to leave a record out on purpose, or NULL. A successful record without token counts is
    counted (its tokens and cost are unknown: ``Slice.without_usage``). ``carry`` names source
    columns kept for the lazy fields (``Lazy``).
    """
    unknown = set(fields) - set(RAW_FIELDS)
    if unknown:
        raise ValueError(f"unknown record fields: {sorted(unknown)}")

    def f(name: str) -> str:
        return fields.get(name, "NULL")

    raw = ",\n  ".join(
        [
            "line",
            f"({flags.blank}) AS _blank",
            f"({flags.invalid}) AS _invalid",
            f"({flags.not_object}) AS _not_object",
            f"({skip}) AS _skip",
            *(f"({f(name)}) AS {name}" for name in RAW_FIELDS if name != "is_error"),
            f"coalesce(({f('is_error')}), false) AS is_error",
            *(f"({expr})::VARCHAR AS {name}" for name, expr in extra),
            *carry,
        ]
    )
    extra_names = "".join(f", {name}" for name, _ in extra) + "".join(f", {c}" for c in carry)
    typed = f"""
SELECT line, _blank, _invalid, _not_object, _skip, ts_raw,
  ms_ts(ts_raw) AS ts,
  nullif(trim(model::VARCHAR), '') AS model,
  nullif(trim(tag::VARCHAR), '') AS tag,
  nullif(trim(named::VARCHAR), '') AS named, named_from::VARCHAR AS named_from,
  user_id::VARCHAR AS user_id, key_name::VARCHAR AS key_name, path::VARCHAR AS path,
  ms_int(prompt_tokens) AS prompt_tokens, ms_int(completion_tokens) AS completion_tokens,
  coalesce(ms_int(cached_tokens), 0) AS cached_tokens,
  ms_num(logged_cost) AS logged_cost, ms_num(latency_ms) AS latency_ms, ms_num(ttft_ms) AS ttft_ms,
  is_error{extra_names}
FROM (SELECT
  {raw}
FROM ({from_sql}) AS src) AS raw"""
    problem = f"""CASE
    WHEN _blank THEN 'blank line'
    WHEN _invalid THEN 'not valid JSON'
    WHEN _not_object THEN 'not a JSON object'
    WHEN _skip IS NOT NULL THEN _skip
    WHEN ts_raw IS NULL AND NOT is_error THEN 'no timestamp'
    WHEN ts IS NULL AND ts_raw IS NOT NULL THEN 'unreadable timestamp'
    WHEN model IS NULL THEN 'no model'
    WHEN prompt_tokens < 0 OR completion_tokens < 0 OR cached_tokens < 0 THEN 'negative token count'
    WHEN prompt_tokens > {MAX_TOKENS} OR completion_tokens > {MAX_TOKENS} OR cached_tokens > {MAX_TOKENS}
      THEN 'implausible token count'
    WHEN cached_tokens > prompt_tokens THEN 'cached tokens exceed prompt tokens'
    WHEN latency_ms < 0 OR ttft_ms < 0 THEN 'negative latency'
    WHEN latency_ms = 'Infinity'::DOUBLE OR isnan(latency_ms) THEN 'unreadable latency'
  END"""
    return f"SELECT *, {problem} AS problem FROM ({typed}) AS typed"


SKIP_REASONS = frozenset({"blank line", "not an LLM call"})
"""Problems that are deliberate skips (counted apart), not malformed records."""
