"""The stage machine: plain cases, then properties over random schedules, states and evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.config_rollout import Rollout, Step
from modelswap.rollout.machine import NOT_STARTED, Decision, Evidence, RolloutState, next_step

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DEFAULT = Rollout()
ENOUGH = Evidence(canary_requests=500, control_requests=50_000)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_the_default_schedule_is_the_process() -> None:
    assert [(s.share, s.hold_hours) for s in DEFAULT.schedule] == [(1, 48), (10, 24), (50, 24), (100, 0)]


def test_shadow_starts_the_canary_once_nothing_blocks_it() -> None:
    blocked = next_step(DEFAULT, RolloutState(), Evidence(blockers=("shadow: 3 of 14 days",)), T0)
    assert blocked.action == "hold" and blocked.reasons == ("shadow: 3 of 14 days",)
    go = next_step(Rollout(approval="none"), RolloutState(), Evidence(), T0)
    assert (go.action, go.to_step, go.share) == ("promote", 0, 1)


def test_by_default_a_person_approves_the_canary_and_the_controller_the_rest() -> None:
    wait = next_step(DEFAULT, RolloutState(), Evidence(), T0)
    assert (wait.action, wait.to_step, wait.share) == ("await_approval", 0, 1)
    assert "needs approval" in wait.reasons[-1]
    go = next_step(DEFAULT, RolloutState(approved_step=0), Evidence(), T0)
    assert (go.action, go.to_step) == ("promote", 0)
    # later steps promote on evidence alone
    later = next_step(DEFAULT, RolloutState(step=0, started_at=T0), ENOUGH, at(48))
    assert (later.action, later.share) == ("promote", 10)


def test_canary_holds_48_hours_then_promotes_to_10() -> None:
    state = RolloutState(step=0, started_at=T0)
    early = next_step(DEFAULT, state, ENOUGH, at(31))
    assert early.action == "hold"
    assert early.reasons == ("31 h of 48 h held at 1 %",)
    assert early.hold_until == at(48)
    later = next_step(DEFAULT, state, ENOUGH, at(48))
    assert (later.action, later.to_step, later.share) == ("promote", 1, 10)


def test_hold_time_alone_is_not_enough_without_the_minimum_sample() -> None:
    thin = Evidence(canary_requests=120, control_requests=12_000)
    d = next_step(DEFAULT, RolloutState(step=0, started_at=T0), thin, at(72))
    assert d.action == "hold"
    assert d.needs == {"canary": 80}
    assert "canary has 120 of 200 requests" in d.reasons


def test_a_fired_trigger_rolls_back_with_its_reasons() -> None:
    why = ("error_rate: new 4.1 % vs old 1.0 % (+3.1 points > 2), always-valid p = 0.003",)
    d = next_step(DEFAULT, RolloutState(step=1, started_at=T0), Evidence(breaches=why), at(1))
    assert d.action == "rollback" and d.reasons == why


def test_rolled_back_and_paused_workloads_hold() -> None:
    rolled = next_step(DEFAULT, RolloutState(step=1, started_at=T0, rolled_back=True), ENOUGH, at(100))
    assert rolled.action == "hold" and "rolled back" in rolled.reasons[0]
    paused = next_step(DEFAULT, RolloutState(step=1, started_at=T0, paused=True), ENOUGH, at(100))
    assert paused.action == "hold" and "paused" in paused.reasons[0]


def test_approval_before_full_waits_for_that_step_only() -> None:
    schedule = Rollout(approval="before_full")
    state = RolloutState(step=2, started_at=T0)
    wait = next_step(schedule, state, ENOUGH, at(30))
    assert (wait.action, wait.to_step, wait.share) == ("await_approval", 3, 100)
    stale = next_step(schedule, RolloutState(step=2, started_at=T0, approved_step=2), ENOUGH, at(30))
    assert stale.action == "await_approval"
    ok = next_step(schedule, RolloutState(step=2, started_at=T0, approved_step=3), ENOUGH, at(30))
    assert (ok.action, ok.share) == ("promote", 100)
    # earlier steps do not need approval under before_full
    assert next_step(schedule, RolloutState(step=0, started_at=T0), ENOUGH, at(48)).action == "promote"


def test_full_is_the_end() -> None:
    d = next_step(DEFAULT, RolloutState(step=3, started_at=T0), Evidence(), at(1000))
    assert d.action == "hold" and "complete" in d.reasons[0]


def test_a_step_outside_the_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="outside the schedule"):
        next_step(DEFAULT, RolloutState(step=4, started_at=T0), ENOUGH, T0)


# ---- properties ------------------------------------------------------------------------


@st.composite
def schedules(draw: st.DrawFn) -> Rollout:
    shares = sorted(draw(st.sets(st.integers(1, 99), min_size=1, max_size=4)))
    holds = draw(st.lists(st.sampled_from([0, 0.5, 24, 48]), min_size=len(shares) + 1, max_size=len(shares) + 1))
    steps = [Step(share=s, hold_hours=h) for s, h in zip([*shares, 100], holds, strict=True)]
    return Rollout(
        canary=steps[0],
        steps=tuple(steps[1:]),
        min_requests_per_arm=draw(st.integers(1, 500)),
        approval=draw(st.sampled_from(["none", "first", "before_full", "every_step"])),
    )


evidence = st.builds(
    Evidence,
    canary_requests=st.integers(0, 1000),
    control_requests=st.integers(0, 1000),
    breaches=st.sampled_from([(), ("error_rate fired",)]),
    blockers=st.sampled_from([(), ("gates not passed",)]),
)


@st.composite
def states(draw: st.DrawFn, schedule: Rollout) -> RolloutState:
    step = draw(st.integers(NOT_STARTED, len(schedule.schedule) - 1))
    return RolloutState(
        step=step,
        started_at=None if step == NOT_STARTED else T0,
        rolled_back=draw(st.booleans()),
        paused=draw(st.booleans()),
        approved_step=draw(st.one_of(st.none(), st.integers(0, len(schedule.schedule) - 1))),
    )


@settings(max_examples=400, deadline=None)
@given(data=st.data(), schedule=schedules(), ev=evidence, hours=st.floats(0, 200))
def test_properties_of_every_decision(data: st.DataObject, schedule: Rollout, ev: Evidence, hours: float) -> None:
    state = data.draw(states(schedule))
    d: Decision = next_step(schedule, state, ev, at(hours))
    if d.action == "promote":
        assert d.to_step == state.step + 1, "never skips a step"
        assert not state.rolled_back, "never promotes during a rollback"
        assert not ev.breaches or state.step == NOT_STARTED, "never promotes past a fired trigger"
        assert not state.paused
        assert d.share == schedule.schedule[d.to_step].share
        if schedule.approval in ("first", "every_step") and d.to_step == 0:
            assert state.approved_step == 0, "leaving shadow waits for a person"
        if state.step != NOT_STARTED:
            current = schedule.schedule[state.step]
            assert hours >= current.hold_hours, "never promotes before the hold time"
            assert min(ev.canary_requests, ev.control_requests) >= schedule.min_requests_per_arm
            assert d.share > current.share, "shares only grow"
    if d.action == "rollback":
        assert ev.breaches and not state.rolled_back and state.step != NOT_STARTED
    assert d.reasons, "every decision says why"


@settings(max_examples=100, deadline=None)
@given(schedule=schedules(), hours_per_look=st.floats(0.5, 12))
def test_a_healthy_rollout_walks_every_step_in_order(schedule: Rollout, hours_per_look: float) -> None:
    state, now, seen = RolloutState(), T0, []
    for _ in range(2000):
        d = next_step(schedule, state, ENOUGH, now)
        if d.action == "await_approval":
            state = RolloutState(state.step, state.started_at, approved_step=d.to_step)
            continue
        if d.action == "promote":
            assert d.to_step is not None
            seen.append(d.share)
            state = RolloutState(d.to_step, now)
        elif state.step == len(schedule.schedule) - 1:
            break
        now += timedelta(hours=hours_per_look)
    assert seen == [s.share for s in schedule.schedule]
