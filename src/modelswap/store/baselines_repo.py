"""Baselines: per workload, snapshots of the old model's figures that later stages compare against."""

from __future__ import annotations

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.bulk import columns_of, values_of
from modelswap.store.connections import Connections
from modelswap.store.rows import BaselineRow

_BASELINE = columns_of(BaselineRow)


class BaselinesRepo:
    """Baseline snapshots, newest wins."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def add(self, baseline: BaselineRow) -> int:
        """Store a baseline snapshot; returns its id."""
        with self._db.write() as conn:
            stmt = t.baselines.insert().values(values_of(baseline, _BASELINE)).returning(t.baselines.c.id)
            return int(conn.execute(stmt).scalar_one())

    def latest(self, workload: str) -> BaselineRow | None:
        """The workload's most recent baseline, or None."""
        b = t.baselines
        query = sa.select(b).where(b.c.workload == workload).order_by(b.c.created_at.desc(), b.c.id.desc())
        with self._db.read() as conn:
            row = conn.execute(query.limit(1)).first()
        return None if row is None else BaselineRow(**row._mapping)
