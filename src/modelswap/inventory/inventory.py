"""Take the inventory: read every source once, assign workloads, and compute each one's figures.

``take_inventory`` is what ``modelswap inventory`` runs. It reads the logs with DuckDB (files)
or SQLAlchemy (the store), applies the migration file's rules, proposes workloads for
traffic no rule recognises, and prices every workload at the old model, the new one and each
candidate endpoint.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from modelswap.catalog import Price, UnknownModel, price_for
from modelswap.config import Migration
from modelswap.inventory.detect import resolve_inputs
from modelswap.inventory.errors import InventoryError
from modelswap.inventory.figures import Period, WorkloadFigures, period_of, workload_figures
from modelswap.inventory.proposals import UNASSIGNED, Assignment, Proposal, canonical_model, cluster_untagged
from modelswap.inventory.readers import READERS, ColumnMapping, ReaderOptions, RecordQuery
from modelswap.inventory.readers._sql import LINE_BYTES, LONG_LINE_BYTES, MACROS
from modelswap.inventory.readers.store import copy_requests, open_existing, store_records
from modelswap.inventory.rules import RuleInputs, rule_inputs, rules_sql
from modelswap.inventory.scan import CSV_REFUSED, Slice, locate_problems, scan, with_located
from modelswap.inventory.sources import ReadReport, SkippedFile, Source
from modelswap.inventory.undecodable import undecodable_lines, undecodable_warning, with_undecodable
from modelswap.inventory.writeback import accepted_fingerprints
from modelswap.providers.wiring import price_overrides


@dataclass(frozen=True, slots=True)
class Inventory:
    """Which workloads use the model today, at what volume, cost and latency."""

    created_at: datetime
    period: Period | None
    scope: str
    """What was counted: ``model gpt-4o (endpoint old)`` or ``all models``."""
    endpoints: dict[str, str]
    """Endpoint name → model, for the endpoints priced (old, new, candidates)."""
    workloads: list[WorkloadFigures]
    proposals: list[Proposal]
    reports: list[ReadReport]
    total_requests: int
    other_models: dict[str, int] = field(default_factory=dict)
    """Requests on models outside the scope, per model: counted, not inventoried."""
    warnings: list[str] = field(default_factory=list)
    skipped_files: list[SkippedFile] = field(default_factory=list)
    """Files with nothing to read (empty, blank, ``[]``): skipped, not an error."""

    def workload(self, name: str) -> WorkloadFigures:
        for w in self.workloads:
            if w.name == name:
                return w
        raise KeyError(f"no workload {name!r} in this inventory; have: {', '.join(w.name for w in self.workloads)}")


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB set up for reading logs: UTC, the inventory's macros, a private temp dir."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/modelswap-duckdb'")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    for macro in MACROS:
        con.execute(macro)
    return con


def _read_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    index: int,
    inputs: RuleInputs,
    rules: str,
    mapping: ColumnMapping | None,
) -> tuple[list[Slice], ReadReport]:
    name = f"src{index}"
    if source.format == "store":
        store = open_existing(source.location)
        try:
            copy_requests(con, store, f"{name}_requests")
        finally:
            store.close()
        return _scan(con, source, store_records(f"{name}_requests", inputs), rules)
    reader = READERS[source.format]
    max_line = LINE_BYTES

    def make_query(pass_name: str, *, safe: bool, numbered: bool, skip_lines: str | None = None) -> RecordQuery:
        options = ReaderOptions(
            mapping=mapping,
            name=f"{name}_{pass_name}",
            safe=safe,
            numbered=numbered,
            max_line=max_line,
            skip_lines=skip_lines,
        )
        return reader(source, inputs, options)

    def safe_pass() -> tuple[list[Slice], ReadReport]:
        return _safe_pass(con, source, make_query, rules, f"{name}_undecodable", max_line)

    # First pass: in parallel, no line numbers, malformed JSON fails it (the common case: a clean log).
    try:
        try:
            slices, report = scan(con, source, make_query("fast", safe=False, numbered=False), rules)
        except duckdb.Error as exc:
            if "Maximum line size" not in str(exc):
                raise
            max_line = LONG_LINE_BYTES  # a long line (an image in a prompt): read with bigger buffers
            slices, report = scan(con, source, make_query("fast_long", safe=False, numbered=False), rules)
    except duckdb.InvalidInputException as exc:
        if "JSON" not in str(exc) and "CSV Error" not in str(exc):  # CSV Error: a line that is not UTF-8
            raise InventoryError(_explain(source, exc)) from None
        # A malformed line: read again on one thread, counting and locating it (and any other).
        return safe_pass()
    except UnicodeDecodeError:  # DuckDB handed back bytes cut inside a character (from a garbled line)
        return safe_pass()
    except duckdb.Error as exc:
        raise InventoryError(_explain(source, exc)) from None
    if any(reason != CSV_REFUSED for reason in report.by_reason):
        try:
            located = locate_problems(con, make_query("locate", safe=False, numbered=True))
        except duckdb.Error as exc:
            raise InventoryError(_explain(source, exc)) from None
        report = with_located(report, located)
    return slices, report


def _safe_pass(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    make_query: Callable[..., RecordQuery],
    rules: str,
    table: str,
    max_line: int,
) -> tuple[list[Slice], ReadReport]:
    """The scan on one thread, every line numbered; a JSONL line that is not UTF-8 text is refused, not fatal."""
    if source.layout != "jsonl":
        return _scan(con, source, make_query("safe", safe=True, numbered=True), rules)
    try:
        refused = undecodable_lines(con, source.location, table, max_line=max_line)
    except duckdb.Error as exc:
        raise InventoryError(_explain(source, exc)) from None
    query = make_query("safe", safe=True, numbered=True, skip_lines=table if refused else None)
    slices, report = _scan(con, source, query, rules)
    return slices, with_undecodable(report, refused)


def _scan(
    con: duckdb.DuckDBPyConnection, source: Source, query: RecordQuery, rules: str
) -> tuple[list[Slice], ReadReport]:
    try:
        return scan(con, source, query, rules)
    except duckdb.Error as exc:
        raise InventoryError(_explain(source, exc)) from None
    except UnicodeDecodeError as exc:
        raise InventoryError(
            f"{source.location}: a line holds bytes that are not UTF-8 text ({exc.reason} at byte {exc.start} of a "
            "field); re-encode the file as UTF-8"
        ) from None


def _explain(source: Source, exc: duckdb.Error) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "Maximum line size" in message or "maximum_object_size" in message:
        return (
            f"{source.location}: a record is longer than {LONG_LINE_BYTES // (1024 * 1024)} MB; "
            "split the file or drop the oversized bodies first"
        )
    if "Malformed JSON" in message or ("JSON" in message and source.layout == "json-array"):
        return f"{source.location}: not valid JSON ({message}); a JSON array must parse as a whole"
    return f"{source.location}: could not be read as {source.format} ({message})"


def _prices(migration: Migration | None, warnings: list[str]) -> tuple[dict[str, Price | None], dict[str, str]]:
    if migration is None:
        return {}, {}
    overrides = price_overrides(migration)
    prices: dict[str, Price | None] = {}
    for name, endpoint in sorted(migration.endpoints.items(), key=lambda kv: (kv[0] != "old", kv[0] != "new", kv[0])):
        try:
            prices[name] = price_for(endpoint.model, overrides)
        except UnknownModel as exc:
            prices[name] = None
            warnings.append(f"endpoint {name}: {exc}")
    return prices, {n: e.model for n, e in migration.endpoints.items()}


def _model_prices(slices: Sequence[Slice], migration: Migration | None, warnings: list[str]) -> dict[str, Price | None]:
    overrides = price_overrides(migration) if migration is not None else {}
    out: dict[str, Price | None] = {}
    for model in sorted({s.model for s in slices}):
        try:
            out[model] = price_for(model, overrides)
        except UnknownModel as exc:
            out[model] = None
            warnings.append(f"{exc} (its cost is left out)")
    return out


def take_inventory(
    locations: Sequence[str],
    *,
    migration: Migration | None = None,
    fmt: str = "auto",
    mapping: ColumnMapping | None = None,
    all_models: bool = False,
    names: Mapping[str, str] | None = None,
    now: datetime | None = None,
    threads: int | None = None,
) -> Inventory:
    """Read the logs at ``locations`` and take the inventory of the old model's workloads.

    With a migration file, only requests on its old model are inventoried (unless
    ``all_models``) and each workload is priced at every endpoint; without one, every model
    is, at its own price. ``names`` renames proposals (``{"P1": "support-chat"}``).
    """
    found = resolve_inputs(locations, fmt, has_mapping=mapping is not None)
    sources = found.sources
    workload_defs = migration.workloads if migration is not None else ()
    inputs = rule_inputs(workload_defs)
    rules = rules_sql(workload_defs, inputs)
    con = connect(threads)
    slices: list[Slice] = []
    reports: list[ReadReport] = []
    try:
        for i, source in enumerate(sources):
            got, report = _read_source(con, source, i, inputs, rules, mapping)
            slices.extend(got)
            reports.append(report)
    finally:
        con.close()
    return build_inventory(
        slices,
        reports,
        migration=migration,
        all_models=all_models,
        names=names,
        now=now,
        batch=any(s.format == "batch" for s in sources),
        skipped_files=found.skipped,
    )


def _in_scope(
    slices: Sequence[Slice], migration: Migration | None, all_models: bool
) -> tuple[list[Slice], dict[str, int], str]:
    """The slices on the old model (all without a migration file), the other models' counts, and the scope."""
    if migration is None or all_models:
        return list(slices), {}, "all models"
    old = migration.endpoints["old"].model
    target = canonical_model(old)
    scoped: list[Slice] = []
    other: dict[str, int] = {}
    for s in slices:
        if s.model == old or canonical_model(s.model) == target:
            scoped.append(s)
        else:
            other[s.model] = other.get(s.model, 0) + s.requests
    return scoped, dict(sorted(other.items(), key=lambda kv: -kv[1])), f"model {old} (endpoint old)"


MAX_NAMED_WORKLOADS = 100
"""Workloads named only by the logs (not in the migration file) listed one by one, busiest first;
the rest are reported together as unassigned (a log that puts a request id in its trace name
would otherwise make a workload per request)."""


def _overflow(scoped: Sequence[Slice], migration: Migration | None) -> tuple[set[str], str | None]:
    """Names only the logs give beyond the ``MAX_NAMED_WORKLOADS`` busiest, and a warning about them."""
    in_file = {w.name for w in (migration.workloads if migration else ())}
    volume: dict[str, int] = {}
    for s in scoped:
        if s.workload is not None and s.workload not in in_file:
            volume[s.workload] = volume.get(s.workload, 0) + s.requests
    if len(volume) <= MAX_NAMED_WORKLOADS:
        return set(), None
    ranked = sorted(volume, key=lambda n: (-volume[n], n))
    rest = set(ranked[MAX_NAMED_WORKLOADS:])
    requests = sum(volume[n] for n in rest)
    return rest, (
        f"the logs name {len(volume):,} workloads the migration file does not have; the "
        f"{MAX_NAMED_WORKLOADS} busiest are listed, the other {len(rest):,} ({requests:,} requests) are "
        f"reported as {UNASSIGNED}"
    )


def _groups(
    scoped: Sequence[Slice], migration: Migration | None, assignment: Assignment, overflow: set[str]
) -> dict[str, tuple[str, list[Slice]]]:
    """Workload name → (origin, its slices); the migration file's workloads first, even without traffic."""
    groups: dict[str, tuple[str, list[Slice]]] = {
        w.name: ("rule", []) for w in (migration.workloads if migration else ())
    }
    for i, s in enumerate(scoped):
        if s.workload is None:
            name, origin = assignment.names[i]
        elif s.workload in overflow:
            name, origin = UNASSIGNED, "unassigned"
        else:
            name, origin = s.workload, "tag"
        groups.setdefault(name, (origin, []))[1].append(s)
    return groups


def _warnings(scoped: Sequence[Slice], figures: Sequence[WorkloadFigures], batch: bool) -> list[str]:
    out = []
    if batch:
        out.append("Batch API requests are priced at standard rates; the Batch API bills about half")
    unpriced = sum(s.without_usage for s in scoped)
    if unpriced:
        out.append(
            f"{unpriced:,} successful request(s) logged no token counts: they are counted (requests, error "
            "rate, latency), their tokens and cost are unknown; per-request figures are over the others"
        )
    if any(f.name == UNASSIGNED and f.origin == "unassigned" for f in figures):
        out.append("some rarely seen system prompts were not clustered: they are reported as (unassigned)")
    return out


def build_inventory(
    slices: Sequence[Slice],
    reports: Sequence[ReadReport],
    *,
    migration: Migration | None = None,
    all_models: bool = False,
    names: Mapping[str, str] | None = None,
    now: datetime | None = None,
    batch: bool = False,
    skipped_files: Sequence[SkippedFile] = (),
) -> Inventory:
    """The inventory from slices already read (pure apart from reading the migration file's text)."""
    warnings: list[str] = [f"skipped {f.location} ({f.reason})" for f in skipped_files]
    warnings += [w for r in reports if (w := undecodable_warning(r))]
    prices, endpoints = _prices(migration, warnings)
    scoped, other, scope = _in_scope(slices, migration, all_models)
    total = sum(s.requests for s in scoped)
    if total == 0:
        raise InventoryError(_nothing_in_scope(reports, scope, other))
    model_prices = _model_prices(scoped, migration, warnings) if migration is None or all_models else None
    period = period_of(scoped)
    if period is None:
        raise InventoryError("none of the requests in scope has a time: cannot tell requests per day")
    accepted = _accepted(migration)
    overflow, too_many = _overflow(scoped, migration)
    if too_many:
        warnings.append(too_many)
    taken = {w.name for w in (migration.workloads if migration else ())} | {s.workload for s in scoped if s.workload}
    assignment = cluster_untagged(scoped, accepted=accepted, taken=taken | set(accepted.values()), names=names)
    by_name = {p.name: p for p in assignment.proposals}
    figures = [
        workload_figures(
            name,
            origin,
            members,
            days=period.days,
            total_requests=total,
            prices=prices,
            model_prices=model_prices,
            proposal=by_name.get(name),
            fingerprints=by_name[name].fingerprints if name in by_name else (),
        )
        for name, (origin, members) in _groups(scoped, migration, assignment, overflow).items()
    ]
    rank = {"rule": 0, "tag": 1, "accepted": 2, "proposed": 3, "unassigned": 4}
    file_order = {w.name: i for i, w in enumerate(migration.workloads)} if migration else {}
    figures.sort(key=lambda f: (rank.get(f.origin, 5), file_order.get(f.name, 10**6), -f.requests, f.name))
    return Inventory(
        created_at=now or datetime.now(UTC),
        period=period,
        scope=scope,
        endpoints=endpoints,
        workloads=figures,
        proposals=assignment.proposals,
        reports=list(reports),
        total_requests=total,
        other_models=other,
        warnings=warnings + _warnings(scoped, figures, batch),
        skipped_files=list(skipped_files),
    )


def _accepted(migration: Migration | None) -> dict[str, str]:
    """Fingerprints accepted earlier, from the migration file's text (none without a file)."""
    if migration is None or not Path(migration.source).is_file():
        return {}
    return accepted_fingerprints(Path(migration.source).read_text(encoding="utf-8"))


def _nothing_in_scope(reports: Sequence[ReadReport], scope: str, other: dict[str, int]) -> str:
    if other:
        seen = ", ".join(f"{m} ({n:,})" for m, n in sorted(other.items(), key=lambda kv: -kv[1])[:8])
        return (
            f"the logs hold no requests on the {scope.removesuffix(' (endpoint old)')}; models seen: {seen}. "
            "Check endpoints.old.model in the migration file, or count every model with --all-models"
        )
    refused = sum(r.malformed for r in reports)
    if refused:
        first = next((r for r in reports if r.examples), None)
        where = f" (first: {first.location}: {first.examples[0]})" if first else ""
        return f"no usable records: {refused:,} record(s) refused{where}"
    read = ", ".join(r.location for r in reports)
    return f"no records in {read}" + (" (the gateway has recorded no traffic yet)" if "://" in read else "")
