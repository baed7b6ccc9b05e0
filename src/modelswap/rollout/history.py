"""Where a workload stands in its schedule, read from its routing state and its audit trail (pure).

The controller keeps no state of its own: the step is the share the routing state serves, the
step began at the last event that changed what the new model serves (an undone rollback starts
the hold again), a pause is the latest of ``pause`` / ``resume``, and an approval counts only
when given after the step began.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from modelswap.config_rollout import Rollout
from modelswap.rollout.machine import NOT_STARTED, RolloutState
from modelswap.rollout.routing import RoutingState
from modelswap.store import RolloutEventRow

PAUSE, RESUME, APPROVE = "pause", "resume", "approve"


@dataclass(frozen=True, slots=True)
class Approval:
    """A person's go-ahead for promoting to one share."""

    share: float
    ts: datetime
    actor: str


def serving_share(state: object) -> float:
    """Percent the new model serves in a stored state (``to_state`` / ``from_state`` JSON)."""
    if not isinstance(state, dict) or state.get("rollback") or state.get("stage") in ("shadow", "rolled_back", None):
        return 0.0
    if state.get("stage") == "full":
        return 100.0
    share = state.get("share", 0.0)
    return float(share) if isinstance(share, int | float) else 0.0


def step_of(schedule: Rollout, routing: RoutingState) -> int:
    """The schedule step the routing serves: the highest step at or below its share."""
    if routing.stage == "full":
        return len(schedule.schedule) - 1
    if routing.stage != "split" or routing.share <= 0:
        return NOT_STARTED
    reached = [i for i, s in enumerate(schedule.schedule) if s.share <= routing.share + 1e-9]
    return reached[-1] if reached else 0


def step_started(events: Sequence[RolloutEventRow]) -> datetime | None:
    """When what the new model serves last changed (events oldest first)."""
    started, share = None, 0.0
    for e in events:
        if not isinstance(e.to_state, dict):
            continue
        now_share = serving_share(e.to_state)
        if started is None or abs(now_share - share) > 1e-9:
            started = e.ts
        share = now_share
    return started


def rollout_state(
    schedule: Rollout,
    routing: RoutingState,
    events: Sequence[RolloutEventRow],
    approvals: Sequence[Approval] = (),
) -> RolloutState:
    """The machine's view of a workload (``events`` oldest first)."""
    step = step_of(schedule, routing)
    started = step_started(events) if step != NOT_STARTED else None
    toggles = [e.action for e in events if e.action in (PAUSE, RESUME)]
    paused = bool(toggles) and toggles[-1] == PAUSE
    approved = None
    for a in approvals:
        if started is None or a.ts >= started:
            matches = [i for i, s in enumerate(schedule.schedule) if abs(s.share - a.share) < 1e-9]
            approved = matches[0] if matches else approved
    rolled_back = routing.rollback or routing.stage == "rolled_back"
    return RolloutState(step=step, started_at=started, rolled_back=rolled_back, paused=paused, approved_step=approved)
