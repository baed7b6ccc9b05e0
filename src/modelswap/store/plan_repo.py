"""The plan's ticks: an append-only history of items ticked and unticked, by whom and on what evidence."""

from __future__ import annotations

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.bulk import columns_of, values_of
from modelswap.store.connections import Connections
from modelswap.store.rows import PlanTickRow, PlanTicks

_PLAN_TICK = columns_of(PlanTickRow)


class PlanRepo:
    """Plan ticks."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def add_tick(self, tick: PlanTickRow) -> int:
        """Append a tick or untick to the plan's history; returns its id. Nothing is overwritten."""
        if tick.state not in ("ticked", "unticked"):
            raise ValueError(f"plan tick state must be 'ticked' or 'unticked', got {tick.state!r}")
        with self._db.write() as conn:
            stmt = t.plan_ticks.insert().values(values_of(tick, _PLAN_TICK)).returning(t.plan_ticks.c.id)
            return int(conn.execute(stmt).scalar_one())

    def ticks(self, item_key: str | None = None) -> PlanTicks:
        """The latest tick per plan item and the full history, oldest first (one item if given)."""
        p = t.plan_ticks
        query = sa.select(p).order_by(p.c.id)
        if item_key is not None:
            query = query.where(p.c.item_key == item_key)
        with self._db.read() as conn:
            history = [PlanTickRow(**row._mapping) for row in conn.execute(query)]
        latest: dict[str, PlanTickRow] = {}
        for tick in history:
            latest[tick.item_key] = tick
        return PlanTicks(latest=latest, history=history)
