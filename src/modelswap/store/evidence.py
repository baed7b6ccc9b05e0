"""Evidence: append-only proof that a step of the migration happened, for the plan to read.

Modules whose work has no table of its own record it here: an inventory snapshot
(``kind="inventory"``), a rollback drill (``"rollback_drill"``), a health probe of the old
model (``"retention_probe"``). A row names its workload, or none when it covers the whole
migration; ``source`` says what produced it (``modelswap inventory``, ``drill``, ...), ``ok``
whether it went well, and ``figures`` holds its key numbers (a ``summary`` string, if given,
is what the plan shows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from modelswap.store.engine import WRITE_OPTION
from modelswap.store.rows import Json
from modelswap.store.schema import evidence
from modelswap.store.store import Store

KNOWN_KINDS: tuple[str, ...] = ("inventory", "rollback_drill", "retention_probe", "redteam_gate")
"""Kinds the plan reads today; others may be stored and are kept as they are."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceRow:
    """One piece of evidence: what kind, for which workload (None: all), when, from what, how it went."""

    kind: str
    ts: datetime
    source: str
    ok: bool = True
    workload: str | None = None
    figures: Json | None = None
    id: int | None = None


def record_evidence(store: Store, row: EvidenceRow) -> int:
    """Append one piece of evidence; returns its id. Nothing is ever overwritten."""
    if not row.kind or not row.source:
        raise ValueError("evidence needs a kind (e.g. 'inventory') and a source (what produced it)")
    values = {
        "kind": row.kind,
        "workload": row.workload,
        "ts": row.ts,
        "source": row.source,
        "ok": row.ok,
        "figures": row.figures,
    }
    with store.engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            return int(conn.execute(evidence.insert().values(values).returning(evidence.c.id)).scalar_one())


def read_evidence(store: Store, kind: str | None = None, *, workload: str | None = None) -> list[EvidenceRow]:
    """Stored evidence, oldest first, optionally of one kind and/or for one workload."""
    e = evidence
    query = sa.select(e).order_by(e.c.ts, e.c.id)
    if kind is not None:
        query = query.where(e.c.kind == kind)
    if workload is not None:
        query = query.where(e.c.workload == workload)
    with store.engine.connect() as conn:
        return [EvidenceRow(**row._mapping) for row in conn.execute(query)]
