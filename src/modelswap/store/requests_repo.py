"""The gateway's records: served requests and their shadow answers, written in bulk and read back.

Besides rows, it answers the grouped questions other packages ask of the records (the old
model's served latencies and costs for a baseline, spend per workload and day, an export of
every request without bodies for the inventory), so their SQL stays here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.bulk import BulkInsert, columns_of
from modelswap.store.connections import Connections
from modelswap.store.rows import RecordedPair, RequestRow, ShadowPairRow

_REQUEST = columns_of(RequestRow, skip=frozenset())
_SHADOW = columns_of(ShadowPairRow)

EXPORT_COLUMNS: tuple[str, ...] = (
    "ts",
    "workload",
    "arm",
    "model",
    "status",
    "error_kind",
    "latency_ms",
    "ttft_ms",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_usd",
)
"""The request columns ``export`` yields, in order (``ts`` as ISO text in UTC; no bodies)."""


@dataclass(frozen=True, slots=True)
class ServedSample:
    """One successful request an arm served: its latency, cost (None: unpriced) and time."""

    latency_ms: float | None
    cost_usd: float | None
    ts: datetime


@dataclass(frozen=True, slots=True)
class ArmDay:
    """Served requests of one (workload, UTC day, arm): how many, how many priced, their cost."""

    workload: str
    day: date
    arm: str
    requests: int
    priced: int
    cost_usd: float


@dataclass(frozen=True, slots=True)
class ShadowDay:
    """The cost of one workload's shadow copies on one UTC day."""

    workload: str
    day: date
    cost_usd: float


def pair_from_row(row: sa.Row[Any]) -> RecordedPair:
    """A served request and its shadow answer from a row selecting ``requests`` and ``shadow_pairs``."""
    r, s = t.requests, t.shadow_pairs
    return RecordedPair(
        request=RequestRow(**{c.name: row._mapping[c] for c in r.c}),
        shadow=ShadowPairRow(**{c.name: row._mapping[c] for c in s.c}),
    )


class RequestsRepo:
    """Served requests and shadow pairs."""

    def __init__(self, db: Connections) -> None:
        self._db = db
        self._bulk: dict[str, BulkInsert] = {}

    def insert(self, requests: Sequence[RequestRow], shadow_pairs: Sequence[ShadowPairRow] = ()) -> None:
        """Record requests and shadow answers together in one transaction (requests first)."""
        if not requests and not shadow_pairs:
            return
        with self._db.write() as conn:
            if requests:
                self._bulk_insert(t.requests, _REQUEST).run(conn, requests)
            if shadow_pairs:
                self._bulk_insert(t.shadow_pairs, _SHADOW).run(conn, shadow_pairs)

    def _bulk_insert(self, table: sa.Table, names: tuple[str, ...]) -> BulkInsert:
        bulk = self._bulk.get(table.name)
        if bulk is None:
            bulk = self._bulk[table.name] = BulkInsert(table, names, self._db.engine.dialect)
        return bulk

    def recent(self, workload: str, *, limit: int = 100, since: datetime | None = None) -> list[RequestRow]:
        """A workload's requests, newest first, optionally only those at or after ``since``."""
        query = sa.select(t.requests).where(t.requests.c.workload == workload)
        if since is not None:
            query = query.where(t.requests.c.ts >= since)
        query = query.order_by(t.requests.c.ts.desc(), t.requests.c.id.desc()).limit(limit)
        with self._db.read() as conn:
            return [RequestRow(**row._mapping) for row in conn.execute(query)]

    def shadow_pairs(self, workload: str, *, limit: int = 200, since: datetime | None = None) -> list[RecordedPair]:
        """A workload's served requests with their shadow answers, newest first."""
        r, s = t.requests, t.shadow_pairs
        query = sa.select(r, s).join(s, s.c.request_id == r.c.id).where(r.c.workload == workload)
        if since is not None:
            query = query.where(r.c.ts >= since)
        query = query.order_by(r.c.ts.desc(), s.c.id.desc()).limit(limit)
        with self._db.read() as conn:
            return [pair_from_row(row) for row in conn.execute(query)]

    def served(self, workload: str, arm: str, *, since: datetime | None = None) -> list[ServedSample]:
        """The successful (2xx) requests ``arm`` served for ``workload``, since ``since``, in no order."""
        r = t.requests
        query = sa.select(r.c.latency_ms, r.c.cost_usd, r.c.ts).where(
            r.c.workload == workload, r.c.arm == arm, r.c.status >= 200, r.c.status < 300
        )
        if since is not None:
            query = query.where(r.c.ts >= since)
        with self._db.read() as conn:
            return [
                ServedSample(None if latency is None else float(latency), None if cost is None else float(cost), ts)
                for latency, cost, ts in conn.execute(query)
            ]

    def _day_of(self, column: sa.ColumnElement[datetime]) -> sa.ColumnElement[str]:
        """A timestamp column's UTC day as ``YYYY-MM-DD`` text, computed by the database."""
        if self._db.dialect == "postgresql":
            return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
        return sa.func.substr(sa.type_coerce(column, sa.String), 1, 10)  # SQLite keeps UTC text

    def daily_spend(self, since: datetime | None, until: datetime) -> tuple[list[ArmDay], list[ShadowDay]]:
        """Served requests per (workload, UTC day, arm) and shadow cost per (workload, day), grouped by the database.

        Requests the gateway refused itself (arm ``gateway``: no model called) are left out.
        """
        r, s = t.requests, t.shadow_pairs
        day = self._day_of(r.c.ts).label("day")
        served = (
            sa.select(
                r.c.workload, day, r.c.arm, sa.func.count(), sa.func.count(r.c.cost_usd), sa.func.sum(r.c.cost_usd)
            )
            .where(r.c.ts < until, r.c.arm != "gateway")
            .group_by(r.c.workload, day, r.c.arm)
        )
        shadow_day = self._day_of(s.c.ts).label("day")
        shadow = (
            sa.select(r.c.workload, shadow_day, sa.func.sum(s.c.cost_usd))
            .join(r, r.c.id == s.c.request_id)
            .where(s.c.ts < until)
            .group_by(r.c.workload, shadow_day)
        )
        if since is not None:
            served = served.where(r.c.ts >= since)
            shadow = shadow.where(s.c.ts >= since)
        with self._db.read() as conn:
            arm_days = [
                ArmDay(workload, date.fromisoformat(d), arm, int(n), int(priced), float(cost or 0.0))
                for workload, d, arm, n, priced, cost in conn.execute(served)
            ]
            shadow_days = [
                ShadowDay(workload, date.fromisoformat(d), float(cost or 0.0))
                for workload, d, cost in conn.execute(shadow)
            ]
        return arm_days, shadow_days

    def _ts_text(self) -> sa.ColumnElement[str]:
        """Request time as ISO text in UTC, without building a Python datetime per row."""
        if self._db.dialect == "postgresql":
            return sa.func.to_char(sa.func.timezone("UTC", t.requests.c.ts), 'YYYY-MM-DD"T"HH24:MI:SS.US')
        return sa.type_coerce(t.requests.c.ts, sa.String)

    def export(self, *, since: datetime | None = None, batch: int = 100_000) -> Iterator[list[tuple[object, ...]]]:
        """Every request (no bodies) as tuples of ``EXPORT_COLUMNS``, streamed in lists of up to ``batch``."""
        r = t.requests.c
        query = sa.select(self._ts_text().label("ts"), *(r[name] for name in EXPORT_COLUMNS[1:]))
        if since is not None:
            query = query.where(r.ts >= since)
        with self._db.read() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
            for part in result.partitions(batch):
                yield [tuple(row) for row in part]
