"""Ticks by hand: who ticked or unticked an item, when and why; and how a tick meets the evidence.

Every tick and untick is appended to the store's history (nothing is overwritten). The
latest one per item counts: a tick marks the item done whatever the evidence says; an
untick reopens an item the evidence had proven, until newer evidence proves it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from modelswap.plan.evidence import Evidence, State
from modelswap.plan.figures import when
from modelswap.plan.items import item
from modelswap.store import Json, PlanTickRow, Store


def _record(
    store: Store, ref: str | int, state: str, by: str, note: str | None, now: datetime | None, evidence: Json | None
) -> PlanTickRow:
    actor = " ".join(by.split())
    if not actor:
        raise ValueError("say who ticks the item (a name, e.g. --by alice)")
    clean_note = " ".join(note.split()) if note else None
    row = PlanTickRow(
        item_key=item(ref).key,
        state=state,  # type: ignore[arg-type]
        actor=actor,
        ts=now or datetime.now(UTC),
        note=clean_note or None,
        evidence=evidence,
    )
    row_id = store.plan.add_tick(row)
    return PlanTickRow(
        item_key=row.item_key, state=row.state, actor=actor, ts=row.ts, note=row.note, evidence=evidence, id=row_id
    )


def tick(
    store: Store,
    ref: str | int,
    *,
    by: str,
    note: str | None = None,
    now: datetime | None = None,
    evidence: Json | None = None,
) -> PlanTickRow:
    """Tick an item by hand (done outside modelswap); ``evidence`` may snapshot what the records said."""
    return _record(store, ref, "ticked", by, note, now, evidence)


def untick(
    store: Store,
    ref: str | int,
    *,
    by: str,
    note: str | None = None,
    now: datetime | None = None,
    evidence: Json | None = None,
) -> PlanTickRow:
    """Untick an item by hand: withdraws a tick, or reopens an item the evidence had proven."""
    return _record(store, ref, "unticked", by, note, now, evidence)


def history(store: Store, ref: str | int | None = None) -> list[PlanTickRow]:
    """Every tick and untick, oldest first (of one item if given)."""
    return list(store.plan.ticks(None if ref is None else item(ref).key).history)


def describe_tick(t: PlanTickRow) -> str:
    """``ticked by hand by alice on 2025-03-01 12:00 UTC: note``."""
    return f"{t.state} by hand by {t.actor} on {when(t.ts)}" + (f": {t.note}" if t.note else "")


@dataclass(frozen=True, slots=True)
class Resolution:
    """An item's final state once its evidence and its latest tick are weighed."""

    state: State
    done_by: str | None
    """``evidence`` or the person who ticked it; None while not done."""
    done_at: datetime | None
    summary: str


def resolve(ev: Evidence, latest: PlanTickRow | None) -> Resolution:
    """Weigh the evidence against the latest tick (pure)."""
    evidence_done = Resolution("done", "evidence", ev.done_at, ev.summary)
    if latest is None:
        return evidence_done if ev.state == "done" else Resolution(ev.state, None, None, ev.summary)
    said = describe_tick(latest)
    if latest.state == "ticked":
        if ev.state == "done":
            return Resolution("done", "evidence", ev.done_at, f"{ev.summary}; also {said}")
        return Resolution("done", latest.actor, latest.ts, said)
    if ev.state == "done":
        if ev.done_at is not None and ev.done_at > latest.ts:
            return evidence_done  # newer evidence than the untick
        return Resolution("in_progress", None, None, f"{said}; the evidence says: {ev.summary}")
    return Resolution(ev.state, None, None, f"{ev.summary} ({said})")
