"""The ``Store``: a small typed API over the tables, and ``open_store`` to get one.

Everything is synchronous SQLAlchemy Core. The gateway calls it from a background writer
thread; a batch of records is inserted in one transaction (``_BulkInsert``). Reads return the row
dataclasses from ``rows.py``. The rollout statements (the state replicas coordinate through)
live in ``rollout.py``.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import URL

from modelswap.store import rollout
from modelswap.store import schema as t
from modelswap.store.engine import (
    DEFAULT_URL,
    WRITE_OPTION,
    create_store_engine,
    display_url,
    normalize_url,
)
from modelswap.store.errors import StoreError
from modelswap.store.migrations import SchemaStatus, ensure_schema
from modelswap.store.rows import (
    BaselineRow,
    CachedResponse,
    EvalResultRow,
    EvalRunRow,
    PlanTickRow,
    PlanTicks,
    RecordedPair,
    RedteamResultRow,
    RequestRow,
    ReviewVerdictRow,
    RolloutChange,
    RolloutEventRow,
    RolloutStateRow,
    ShadowPairRow,
)


def _columns(row_type: type, *, skip: frozenset[str] = frozenset({"id"})) -> tuple[str, ...]:
    return tuple(f.name for f in fields(row_type) if f.name not in skip)


_REQUEST = _columns(RequestRow, skip=frozenset())
_SHADOW = _columns(ShadowPairRow)
_EVAL_RUN = _columns(EvalRunRow, skip=frozenset())
_EVAL_RESULT = _columns(EvalResultRow)
_CACHE = _columns(CachedResponse, skip=frozenset())
_BASELINE = _columns(BaselineRow)
_PLAN_TICK = _columns(PlanTickRow)
_VERDICT = _columns(ReviewVerdictRow)
_REDTEAM = _columns(RedteamResultRow)


def values_of(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The column values of a row dataclass (serial ``id`` left to the database)."""
    return {name: getattr(row, name) for name in names}


class _BulkInsert:
    """An INSERT of row dataclasses, compiled once for one dialect.

    Each value goes through the bind processor of its column's type for that dialect (the
    same ones SQLAlchemy applies: UTC timestamps, JSON, booleans, NUL-free text), so the rows
    stored are the ones ``conn.execute(table.insert(), [dicts])`` stores, without SQLAlchemy's
    per-row parameter machinery (the gateway's recorder writes thousands of rows a second).

    On SQLite the rows go in as multi-row ``INSERT ... VALUES (...), (...)`` statements of up to
    ``_SQLITE_ROWS`` rows: the ``sqlite3`` module releases and retakes the GIL around every
    statement step, so a row-by-row ``executemany`` hands the GIL back and forth with the
    gateway's event loop once per row (measured: 10 % of the gateway's CPU per request under
    load). Elsewhere it is one DB-API ``executemany``.
    """

    def __init__(self, table: sa.Table, names: tuple[str, ...], dialect: sa.Dialect) -> None:
        compiled = table.insert().compile(dialect=dialect, column_keys=list(names), for_executemany=True)
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        order = tuple(compiled.positiontup or ()) if self.positional else names
        if set(order) != set(names):
            raise AssertionError(f"unexpected binds for {table.name}: {order}")
        self.names = order
        self.processors = tuple(table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in order)
        self.rows_per_statement = 0  # 0: executemany
        if self.positional and dialect.name == "sqlite":
            self._head, _, self._group = self.sql.rpartition(" VALUES ")
            self.rows_per_statement = max(1, min(_SQLITE_ROWS, _sqlite_max_variables() // len(order)))
            self._full = self._values(self.rows_per_statement)

    def _values(self, rows: int) -> str:
        return f"{self._head} VALUES {', '.join([self._group] * rows)}"

    def run(self, conn: sa.Connection, rows: Sequence[Any]) -> None:
        values = operator.attrgetter(*self.names)  # every column value of a row in one C call
        processed = [(i, p) for i, p in enumerate(self.processors) if p is not None]
        params: list[Any] = []
        try:
            for row in rows:
                vals = list(values(row))
                for i, process in processed:
                    vals[i] = process(vals[i])
                if self.rows_per_statement:
                    params += vals
                else:
                    params.append(tuple(vals) if self.positional else dict(zip(self.names, vals, strict=True)))
        except (TypeError, ValueError) as exc:  # a value its column refuses, reported as SQLAlchemy would
            raise sa.exc.StatementError(f"({type(exc).__name__}) {exc}", self.sql, None, exc) from exc
        if not self.rows_per_statement:
            conn.exec_driver_sql(self.sql, params)
            return
        width = len(self.names)
        step = self.rows_per_statement * width
        for start in range(0, len(params), step):
            chunk = tuple(params[start : start + step])
            conn.exec_driver_sql(self._full if len(chunk) == step else self._values(len(chunk) // width), chunk)


_SQLITE_ROWS = 200
"""Rows per multi-row INSERT on SQLite (a few thousand bound values per statement)."""


def _sqlite_max_variables() -> int:
    """SQLite's default limit of bound values per statement for the linked library."""
    return 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999


class Store:
    """modelswap's records, results and shared state in one database. Make one with ``open_store``."""

    def __init__(self, engine: sa.Engine, *, display: str, status: SchemaStatus) -> None:
        self._engine = engine
        self._display = display
        self.schema_status = status
        self._bulk: dict[str, _BulkInsert] = {}
        """What opening found and did: created, upgraded (from which version), backup path."""

    @property
    def url_for_display(self) -> str:
        """The database URL with any password masked: safe to log and show."""
        return self._display

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    @property
    def engine(self) -> sa.Engine:
        """The underlying engine, for queries this API does not (yet) offer."""
        return self._engine

    def close(self) -> None:
        """Close every pooled connection; the store must not be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._display!r})"

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A connection inside a write transaction, committed when the block ends cleanly."""
        with self._engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._engine.connect() as conn:
            yield conn

    def _insert_many(self, table: sa.Table, rows: Sequence[Any], names: tuple[str, ...]) -> None:
        if not rows:
            return
        with self._write() as conn:
            conn.execute(table.insert(), [values_of(row, names) for row in rows])

    # ---- records -------------------------------------------------------------------------

    def insert_requests(self, rows: Sequence[RequestRow]) -> None:
        """Record served requests, all or none, in one transaction."""
        self.insert_records(rows, ())

    def insert_shadow_pairs(self, rows: Sequence[ShadowPairRow]) -> None:
        """Record shadow answers; their requests must already be stored (or use ``insert_records``)."""
        self.insert_records((), rows)

    def insert_records(self, requests: Sequence[RequestRow], shadow_pairs: Sequence[ShadowPairRow]) -> None:
        """Record requests and shadow answers together in one transaction (requests first)."""
        if not requests and not shadow_pairs:
            return
        with self._write() as conn:
            if requests:
                self._bulk_insert(t.requests, _REQUEST).run(conn, requests)
            if shadow_pairs:
                self._bulk_insert(t.shadow_pairs, _SHADOW).run(conn, shadow_pairs)

    def _bulk_insert(self, table: sa.Table, names: tuple[str, ...]) -> _BulkInsert:
        bulk = self._bulk.get(table.name)
        if bulk is None:
            bulk = self._bulk[table.name] = _BulkInsert(table, names, self._engine.dialect)
        return bulk

    def recent_requests(self, workload: str, *, limit: int = 100, since: datetime | None = None) -> list[RequestRow]:
        """A workload's requests, newest first, optionally only those at or after ``since``."""
        query = sa.select(t.requests).where(t.requests.c.workload == workload)
        if since is not None:
            query = query.where(t.requests.c.ts >= since)
        query = query.order_by(t.requests.c.ts.desc(), t.requests.c.id.desc()).limit(limit)
        with self._read() as conn:
            return [RequestRow(**row._mapping) for row in conn.execute(query)]

    def shadow_pairs_for_workload(
        self, workload: str, *, limit: int = 200, since: datetime | None = None
    ) -> list[RecordedPair]:
        """A workload's served requests with their shadow answers, newest first."""
        r, s = t.requests, t.shadow_pairs
        query = sa.select(r, s).join(s, s.c.request_id == r.c.id).where(r.c.workload == workload)
        if since is not None:
            query = query.where(r.c.ts >= since)
        query = query.order_by(r.c.ts.desc(), s.c.id.desc()).limit(limit)
        with self._read() as conn:
            return [
                RecordedPair(
                    request=RequestRow(**{c.name: row._mapping[c] for c in r.c}),
                    shadow=ShadowPairRow(**{c.name: row._mapping[c] for c in s.c}),
                )
                for row in conn.execute(query)
            ]

    # ---- evals and the response cache ----------------------------------------------------

    def start_eval_run(self, run: EvalRunRow) -> None:
        """Record that an eval run began."""
        self._insert_many(t.eval_runs, [run], _EVAL_RUN)

    def finish_eval_run(self, run_id: str, *, status: str, finished_at: datetime) -> None:
        """Mark an eval run finished (``status`` e.g. ``finished``, ``failed``, ``cancelled``)."""
        with self._write() as conn:
            done = conn.execute(
                sa.update(t.eval_runs).where(t.eval_runs.c.id == run_id).values(status=status, finished_at=finished_at)
            )
            if done.rowcount != 1:
                raise StoreError(f"no eval run with id {run_id!r} in {self._display}")

    def eval_run(self, run_id: str) -> EvalRunRow | None:
        """One eval run, or None."""
        with self._read() as conn:
            row = conn.execute(sa.select(t.eval_runs).where(t.eval_runs.c.id == run_id)).first()
        return None if row is None else EvalRunRow(**row._mapping)

    def insert_eval_results(self, rows: Sequence[EvalResultRow]) -> None:
        """Record eval results in one transaction; a repeated (run, case, arm, scorer) fails it."""
        self._insert_many(t.eval_results, rows, _EVAL_RESULT)

    def delete_failed_eval_results(self, run_id: str) -> int:
        """Forget a run's results whose call failed (so resuming the run asks those again); how many rows."""
        e = t.eval_results
        with self._write() as conn:
            return int(conn.execute(sa.delete(e).where(e.c.run_id == run_id, e.c.error.is_not(None))).rowcount)

    def eval_results(self, run_id: str) -> list[EvalResultRow]:
        """A run's results, ordered by case, arm and scorer."""
        e = t.eval_results
        query = sa.select(e).where(e.c.run_id == run_id).order_by(e.c.case_id, e.c.arm, e.c.scorer)
        with self._read() as conn:
            return [EvalResultRow(**row._mapping) for row in conn.execute(query)]

    def cached_response(self, key_hash: str) -> CachedResponse | None:
        """A response already paid for, or None."""
        c = t.response_cache
        with self._read() as conn:
            row = conn.execute(sa.select(c).where(c.c.key_hash == key_hash)).first()
        return None if row is None else CachedResponse(**row._mapping)

    def cache_response(self, entry: CachedResponse) -> bool:
        """Keep a response for reuse; the first one stored for a key wins. True if stored."""
        with self._write() as conn:
            stmt = t.insert_ignoring_conflicts(conn.dialect.name, t.response_cache)
            stmt = stmt.values(values_of(entry, _CACHE)).returning(t.response_cache.c.key_hash)
            return conn.execute(stmt).first() is not None

    # ---- baselines and the plan ------------------------------------------------------------

    def add_baseline(self, baseline: BaselineRow) -> int:
        """Store a baseline snapshot; returns its id."""
        with self._write() as conn:
            stmt = t.baselines.insert().values(values_of(baseline, _BASELINE)).returning(t.baselines.c.id)
            return int(conn.execute(stmt).scalar_one())

    def latest_baseline(self, workload: str) -> BaselineRow | None:
        """The workload's most recent baseline, or None."""
        b = t.baselines
        query = sa.select(b).where(b.c.workload == workload).order_by(b.c.created_at.desc(), b.c.id.desc())
        with self._read() as conn:
            row = conn.execute(query.limit(1)).first()
        return None if row is None else BaselineRow(**row._mapping)

    def add_plan_tick(self, tick: PlanTickRow) -> int:
        """Append a tick or untick to the plan's history; returns its id. Nothing is overwritten."""
        if tick.state not in ("ticked", "unticked"):
            raise ValueError(f"plan tick state must be 'ticked' or 'unticked', got {tick.state!r}")
        with self._write() as conn:
            stmt = t.plan_ticks.insert().values(values_of(tick, _PLAN_TICK)).returning(t.plan_ticks.c.id)
            return int(conn.execute(stmt).scalar_one())

    def plan_ticks(self, item_key: str | None = None) -> PlanTicks:
        """The latest tick per plan item and the full history, oldest first (one item if given)."""
        p = t.plan_ticks
        query = sa.select(p).order_by(p.c.id)
        if item_key is not None:
            query = query.where(p.c.item_key == item_key)
        with self._read() as conn:
            history = [PlanTickRow(**row._mapping) for row in conn.execute(query)]
        latest: dict[str, PlanTickRow] = {}
        for tick in history:
            latest[tick.item_key] = tick
        return PlanTicks(latest=latest, history=history)

    # ---- rollout state (see rollout.py) -----------------------------------------------------

    def get_rollout_state(self, workload: str) -> RolloutStateRow | None:
        """A workload's rollout state, or None if it has none yet."""
        with self._read() as conn:
            return rollout.read_state(conn, workload)

    def set_rollout_state(
        self,
        workload: str,
        new: RolloutChange,
        expected_version: int,
        *,
        event: RolloutEventRow | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Write ``new`` if the stored version is still ``expected_version`` (0: none stored yet).

        Returns False, changing nothing, if another writer changed it first: re-read and
        decide again. ``event``, if given, is appended in the same transaction.
        """
        try:
            with self._write() as conn:
                rollout.write_state(conn, workload, new, expected_version, now=now)
                if event is not None:
                    rollout.add_event(conn, event)
        except rollout.RolloutConflict:
            return False
        return True

    def append_rollout_event(self, event: RolloutEventRow) -> int:
        """Append to the rollout audit trail; returns the event's id."""
        with self._write() as conn:
            return rollout.add_event(conn, event)

    def rollout_events(self, workload: str | None = None, *, limit: int = 100) -> list[RolloutEventRow]:
        """Rollout events, newest first, for one workload or all."""
        with self._read() as conn:
            return rollout.read_events(conn, workload, limit)

    def rollout_change_seq(self) -> int:
        """The latest rollout ``change_seq`` (0 if none): cheap enough to poll every 200 ms."""
        with self._read() as conn:
            return rollout.read_change_seq(conn)

    def rollout_states_since(self, change_seq: int = 0) -> list[RolloutStateRow]:
        """Rollout states written after ``change_seq`` (0: all), oldest change first."""
        with self._read() as conn:
            return rollout.read_states_since(conn, change_seq)

    # ---- review and red-team -----------------------------------------------------------------

    def add_review_verdicts(self, verdicts: Sequence[ReviewVerdictRow]) -> None:
        """Record reviewers' verdicts on shadow pairs, all or none."""
        for v in verdicts:
            if v.verdict not in ("win", "tie", "loss"):
                raise ValueError(f"review verdict must be win, tie or loss; got {v.verdict!r}")
        self._insert_many(t.review_verdicts, verdicts, _VERDICT)

    def review_verdicts(self, workload: str) -> list[ReviewVerdictRow]:
        """All verdicts on a workload's shadow pairs, oldest first."""
        v, s, r = t.review_verdicts, t.shadow_pairs, t.requests
        query = (
            sa.select(v)
            .join(s, s.c.id == v.c.pair_id)
            .join(r, r.c.id == s.c.request_id)
            .where(r.c.workload == workload)
            .order_by(v.c.id)
        )
        with self._read() as conn:
            return [ReviewVerdictRow(**row._mapping) for row in conn.execute(query)]

    def insert_redteam_results(self, rows: Sequence[RedteamResultRow]) -> None:
        """Record red-team probe outcomes in one transaction."""
        self._insert_many(t.redteam_results, rows, _REDTEAM)

    def redteam_results(self, run_id: str) -> list[RedteamResultRow]:
        """A red-team run's results, in the order they were recorded."""
        rt = t.redteam_results
        with self._read() as conn:
            rows = conn.execute(sa.select(rt).where(rt.c.run_id == run_id).order_by(rt.c.id))
            return [RedteamResultRow(**row._mapping) for row in rows]


def open_store(url: str | URL = DEFAULT_URL, *, connect_args: Mapping[str, Any] | None = None) -> Store:
    """Open the store at ``url``: create it if empty, upgrade it if older, refuse it if newer.

    ``postgres://`` and ``postgresql://`` URLs use psycopg 3. ``connect_args`` go to the
    driver (e.g. ``{"options": "-csearch_path=modelswap"}`` to pick a PostgreSQL schema).
    """
    normalized = normalize_url(url)
    display = display_url(normalized)
    engine = create_store_engine(normalized, connect_args=connect_args)
    try:
        status = ensure_schema(engine, display=display)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the store at {display}: {exc.orig}") from exc
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, display=display, status=status)
