"""Choice runs: what ``modelswap choose`` found per workload, kept so the console can show it.

One row per (choice, workload): the candidates compared with the old model on the same golden
cases (``eval_run_id``), their figures (a JSON document written by ``choose.report``), and the
pick, the cheapest candidate that passed every gate (None when none did). Append-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from modelswap.store.engine import WRITE_OPTION
from modelswap.store.rows import Json
from modelswap.store.schema import choice_runs
from modelswap.store.store import Store


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceRow:
    """One workload's part of a choice run."""

    choice_id: str
    workload: str
    ts: datetime
    candidates: list[str]
    figures: Json
    eval_run_id: str | None = None
    pick: str | None = None
    id: int | None = field(default=None)


def record_choice(store: Store, rows: list[ChoiceRow]) -> None:
    """Store every workload's part of one choice run, together (all or nothing)."""
    values = [
        {
            "choice_id": r.choice_id,
            "workload": r.workload,
            "ts": r.ts,
            "eval_run_id": r.eval_run_id,
            "candidates": list(r.candidates),
            "pick": r.pick,
            "figures": r.figures,
        }
        for r in rows
    ]
    if not values:
        return
    with store.engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            conn.execute(choice_runs.insert(), values)


def latest_choice(store: Store, workload: str) -> ChoiceRow | None:
    """The workload's most recent choice run, or None."""
    c = choice_runs
    query = sa.select(c).where(c.c.workload == workload).order_by(c.c.ts.desc(), c.c.id.desc()).limit(1)
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else ChoiceRow(**row._mapping)


def choices_of(store: Store, choice_id: str) -> list[ChoiceRow]:
    """Every workload's part of one choice run, in the order they were stored."""
    c = choice_runs
    query = sa.select(c).where(c.c.choice_id == choice_id).order_by(c.c.id)
    with store.engine.connect() as conn:
        return [ChoiceRow(**row._mapping) for row in conn.execute(query)]
