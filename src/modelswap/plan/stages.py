"""A workload's rollout history replayed as time spans: at what share, since when, until when.

The rollout audit trail (``set_stage``, ``rollback``, ``undo_rollback``, ``clear_rollback`` events, each with the
state it led to) is the evidence for the cutover items. Pure functions over the events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from modelswap.store import RolloutEventRow

EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Span:
    """An interval during which the workload's routing stayed the same (``end`` None: still so)."""

    start: datetime
    end: datetime | None
    stage: str
    share: float
    """Percent served by the new model, as set (the rollback flag overrides it)."""
    rollback: bool

    @property
    def serving_share(self) -> float:
        """Percent actually served by the new model: 0 while rolled back or in shadow."""
        if self.rollback or self.stage in ("shadow", "rolled_back"):
            return 0.0
        return 100.0 if self.stage == "full" else self.share

    def length(self, now: datetime) -> timedelta:
        return (self.end or now) - self.start


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive spans that all met a condition."""

    start: datetime
    end: datetime | None

    def length(self, now: datetime) -> timedelta:
        return (self.end or now) - self.start


@dataclass(frozen=True, slots=True)
class Drill:
    """A rollback followed by its undo: the flag flipped and came back."""

    rolled_back_at: datetime
    restored_at: datetime
    actor: str
    reason: str | None


def spans(events: Sequence[RolloutEventRow]) -> list[Span]:
    """The routing spans the events describe, oldest first (events without a new state are skipped)."""
    states = [(e.ts, e.to_state) for e in events if isinstance(e.to_state, dict)]
    out = []
    for i, (ts, state) in enumerate(states):
        end = states[i + 1][0] if i + 1 < len(states) else None
        share = state.get("share", 0.0)
        out.append(
            Span(
                start=ts,
                end=end,
                stage=str(state.get("stage", "shadow")),
                share=float(share) if isinstance(share, int | float) else 0.0,
                rollback=bool(state.get("rollback", False)),
            )
        )
    return out


def runs(timeline: Sequence[Span], holds: Callable[[Span], bool]) -> list[Run]:
    """Maximal stretches of consecutive spans for which ``holds`` is true."""
    out: list[Run] = []
    start: datetime | None = None
    for i, span in enumerate(timeline):
        if holds(span):
            if start is None:
                start = span.start
            if i + 1 == len(timeline) or not holds(timeline[i + 1]):
                out.append(Run(start, span.end))
                start = None
    return out


def in_band(low: float, high: float | None = None) -> Callable[[Span], bool]:
    """Serving at least ``low`` percent (and below ``high``, if given), not rolled back."""

    def holds(span: Span) -> bool:
        s = span.serving_share
        return s >= low - EPS and (high is None or s < high - EPS)

    return holds


def full_since(timeline: Sequence[Span]) -> datetime | None:
    """Since when the workload has been at 100 % without interruption; None if it is not now."""
    full = runs(timeline, in_band(100.0))
    if full and full[-1].end is None:
        return full[-1].start
    return None


@dataclass(frozen=True, slots=True)
class Kept:
    """A person's decision that the workload stays on the old model (routing stage ``rolled_back``)."""

    at: datetime
    actor: str
    reason: str | None


def kept_on_old(events: Sequence[RolloutEventRow]) -> Kept | None:
    """The event that put the workload in stage ``rolled_back``, if it is still there (events oldest first).

    Unlike the rollback flag, which a person may undo, that stage ends the cutover of the workload:
    the old model keeps serving it.
    """
    kept: Kept | None = None
    for e in events:
        if not isinstance(e.to_state, dict):
            continue
        if e.to_state.get("stage") != "rolled_back":
            kept = None
        elif kept is None:
            kept = Kept(e.ts, e.actor, e.reason)
    return kept


def drills(events: Sequence[RolloutEventRow]) -> list[Drill]:
    """Each rollback followed (later) by an undo, oldest first."""
    out = []
    pending: RolloutEventRow | None = None
    for e in events:
        if e.action == "rollback":
            pending = pending or e
        elif e.action == "undo_rollback" and pending is not None:
            out.append(Drill(pending.ts, e.ts, pending.actor, pending.reason))
            pending = None
        elif e.action == "clear_rollback":  # ended by a stage change, not restored: no drill
            pending = None
    return out
