"""Routing calibrations: what ``modelswap route calibrate`` decided, for the console and the record."""

from __future__ import annotations

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.connections import Connections
from modelswap.store.rows import RouteCalibrationRow

_COLUMNS = ("workload", "created_at", "run_id", "cheap_model", "strong_model", "signal", "threshold",
            "settings", "verification", "curve")  # fmt: skip


class RoutingRepo:
    """Calibrations per workload, newest last."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def add_calibration(self, row: RouteCalibrationRow) -> int:
        """Store a calibration; its id."""
        values = {name: getattr(row, name) for name in _COLUMNS}
        with self._db.write() as conn:
            result = conn.execute(sa.insert(t.route_calibrations).values(values))
            key = result.inserted_primary_key
        return int(key[0]) if key else 0

    def calibrations(self, workload: str | None = None, *, limit: int = 50) -> list[RouteCalibrationRow]:
        """The latest ``limit`` calibrations (of ``workload``, or of all), oldest first."""
        c = t.route_calibrations
        query = sa.select(c).order_by(c.c.created_at.desc(), c.c.id.desc()).limit(limit)
        if workload is not None:
            query = query.where(c.c.workload == workload)
        with self._db.read() as conn:
            rows = [RouteCalibrationRow(**row._mapping) for row in conn.execute(query)]
        return rows[::-1]

    def latest(self, workload: str) -> RouteCalibrationRow | None:
        """The workload's newest calibration, or None."""
        found = self.calibrations(workload, limit=1)
        return found[0] if found else None
