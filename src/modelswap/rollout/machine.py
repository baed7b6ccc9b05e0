"""The rollout stage machine: given where a workload is and what the evidence says, what to do next.

``next_step(schedule, state, evidence, now) -> Decision`` is pure: no clock, no store. The
controller reads the state and the evidence, calls it, and carries the decision out. The rules,
in the order they are applied:

1. a workload rolled back stays so until a person undoes it: the machine never promotes it;
2. a rollback trigger that fired rolls a live canary back, with the reasons;
3. a paused workload holds;
4. before the canary, blockers (gates not passed, shadow days short) hold it in shadow;
5. a step is promoted only after its hold time **and** the minimum requests on each arm;
6. a promotion that needs approval waits for one given for exactly that step;
7. a promotion always goes to the next step, so shares only grow and none is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from modelswap.config_rollout import Rollout

NOT_STARTED = -1
"""``RolloutState.step`` of a workload still in shadow (no canary yet)."""

Action = Literal["hold", "promote", "rollback", "await_approval"]


@dataclass(frozen=True, slots=True)
class RolloutState:
    """Where a workload stands in its schedule."""

    step: int = NOT_STARTED
    """Index into ``Rollout.schedule`` (0: the canary), or ``NOT_STARTED``."""
    started_at: datetime | None = None
    """When the current step began (None before the canary)."""
    rolled_back: bool = False
    """The rollback flag is set: only the old model serves."""
    paused: bool = False
    """A person paused the automatic promotions."""
    approved_step: int | None = None
    """A step a person approved entering (valid only for the next promotion)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the analysis found for the current step, reduced to what the machine needs."""

    canary_requests: int = 0
    """Requests the new model served during the current step."""
    control_requests: int = 0
    """Requests the old model served during the current step."""
    breaches: tuple[str, ...] = ()
    """Rollback triggers that fired, each with its figures; any one rolls the canary back."""
    blockers: tuple[str, ...] = ()
    """Why the canary may not start yet (gates, shadow days); read only before the canary."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do now, and why."""

    action: Action
    reasons: tuple[str, ...] = ()
    to_step: int | None = None
    """The step a promotion enters."""
    share: float | None = None
    """The new model's share (percent) after a promotion."""
    hold_until: datetime | None = None
    """When the current hold time ends (for a hold that waits on time)."""
    needs: dict[str, int] = field(default_factory=dict)
    """Requests still needed per arm before a promotion."""

    @property
    def headline(self) -> str:
        """One line for people: what and why."""
        why = "; ".join(self.reasons)
        if self.action == "promote":
            return f"promote to {self.share:g} %" + (f" ({why})" if why else "")
        return f"{self.action.replace('_', ' ')}: {why}" if why else self.action.replace("_", " ")


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _fmt(hours: float) -> str:
    return f"{hours:.1f}".rstrip("0").rstrip(".")


def needs_approval(schedule: Rollout, to_step: int) -> bool:
    """Whether entering ``to_step`` waits for a person under the schedule's approval rule."""
    rule = schedule.approval
    if rule == "every_step":
        return True
    if rule == "first":
        return to_step == 0
    return rule == "before_full" and schedule.schedule[to_step].share >= 100


def next_step(schedule: Rollout, state: RolloutState, evidence: Evidence, now: datetime) -> Decision:
    """The next move for one workload (see the module docstring for the rules)."""
    steps = schedule.schedule
    if not NOT_STARTED <= state.step < len(steps):
        raise ValueError(f"step {state.step} is outside the schedule (0 to {len(steps) - 1})")
    if state.rolled_back:
        return Decision("hold", ("rolled back: the old model serves; a person must undo the rollback",))
    if evidence.breaches and state.step != NOT_STARTED:
        return Decision("rollback", evidence.breaches)
    if state.paused:
        return Decision("hold", ("paused (modelswap rollout resume)",))
    last = len(steps) - 1
    if state.step == last:
        return Decision("hold", ("at 100 %: the rollout is complete",))
    if state.step == NOT_STARTED:
        if evidence.blockers:
            return Decision("hold", evidence.blockers)
        return _promote(schedule, state, 0, ("nothing holds the canary back",))
    current = steps[state.step]
    started = state.started_at or now
    held = _hours(now - started)
    reasons: list[str] = []
    hold_until = None
    if held < current.hold_hours:
        hold_until = started + timedelta(hours=current.hold_hours)
        reasons.append(f"{_fmt(held)} h of {_fmt(current.hold_hours)} h held at {current.share:g} %")
    need = schedule.min_requests_per_arm
    needs = {
        arm: need - n
        for arm, n in (("canary", evidence.canary_requests), ("control", evidence.control_requests))
        if n < need
    }
    for arm, short in needs.items():
        reasons.append(f"{arm} has {need - short} of {need} requests")
    if reasons:
        return Decision("hold", tuple(reasons), hold_until=hold_until, needs=needs)
    done = f"held {_fmt(held)} h at {current.share:g} % with no trigger fired"
    return _promote(schedule, state, state.step + 1, (done,))


def _promote(schedule: Rollout, state: RolloutState, to_step: int, reasons: tuple[str, ...]) -> Decision:
    share = schedule.schedule[to_step].share
    if needs_approval(schedule, to_step) and state.approved_step != to_step:
        return Decision(
            "await_approval",
            (*reasons, f"promotion to {share:g} % needs approval (modelswap rollout approve)"),
            to_step=to_step,
            share=share,
        )
    return Decision("promote", reasons, to_step=to_step, share=share)
