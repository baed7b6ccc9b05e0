"""Routing decisions: sticky, monotone, well-spread buckets; stages; the rollback flag."""

from __future__ import annotations

import dataclasses
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.rollout.routing import (
    STAGES,
    Decision,
    RoutingState,
    bucket,
    choose_arm,
    sticky_key_of,
)

keys = st.text(max_size=40)
salts = st.text(min_size=1, max_size=20)
shares = st.floats(min_value=0, max_value=100)
unit = st.floats(min_value=0, max_value=1, exclude_max=True)


def split(share: float) -> RoutingState:
    return RoutingState(stage="split", share=share, rollback=False)


def fraction_on_new(share: float, salt: str = "support-chat", n: int = 10_000) -> float:
    state = split(share)
    on_new = sum(choose_arm(state, f"user-{i}", salt, 0.0).serve == "new" for i in range(n))
    return 100.0 * on_new / n


@given(keys, salts)
def test_bucket_is_deterministic_and_in_range(key: str, salt: str) -> None:
    assert 0.0 <= bucket(key, salt) < 100.0
    assert bucket(key, salt) == bucket(key, salt)


@given(keys, salts, shares, unit, unit)
def test_a_sticky_key_always_gets_the_same_arm(key: str, salt: str, share: float, r1: float, r2: float) -> None:
    state = split(share)
    assert choose_arm(state, key, salt, r1) == choose_arm(state, key, salt, r2)


@given(keys, salts, shares, shares)
def test_raising_the_share_never_moves_anyone_back_to_old(key: str, salt: str, a: float, b: float) -> None:
    low, high = sorted((a, b))
    if choose_arm(split(low), key, salt, 0.0).serve == "new":
        assert choose_arm(split(high), key, salt, 0.0).serve == "new"


def test_users_on_new_at_1_percent_stay_on_new_at_10_and_50() -> None:
    users = [f"user-{i}" for i in range(5_000)]
    on_new = {s: {u for u in users if choose_arm(split(s), u, "w", 0.0).serve == "new"} for s in (1, 10, 50)}
    assert on_new[1] <= on_new[10] <= on_new[50]
    assert on_new[1]


@pytest.mark.parametrize("share", [1.0, 10.0, 50.0])
def test_split_lands_within_one_point_over_10000_keys(share: float) -> None:
    assert fraction_on_new(share) == pytest.approx(share, abs=1.0)


@given(keys, salts)
def test_share_0_is_all_old_and_share_100_all_new(key: str, salt: str) -> None:
    assert choose_arm(split(0), key, salt, 0.0) == Decision("old", None)
    assert choose_arm(split(100), key, salt, 0.999) == Decision("new", None)


def test_different_workloads_bucket_independently() -> None:
    users = [f"user-{i}" for i in range(10_000)]
    a = [bucket(u, "support-chat") for u in users]
    b = [bucket(u, "ticket-triage") for u in users]
    assert abs(statistics.correlation(a, b)) < 0.05
    both = sum(x < 10 and y < 10 for x, y in zip(a, b, strict=True))
    assert both / len(users) == pytest.approx(0.01, abs=0.005)  # 10 % x 10 %, not 10 %


def test_without_a_sticky_key_the_callers_random_value_decides() -> None:
    state = split(10)
    assert choose_arm(state, None, "w", 0.05).serve == "new"
    assert choose_arm(state, None, "w", 0.10).serve == "old"
    assert choose_arm(state, None, "w", 0.95).serve == "old"


@given(st.sampled_from(sorted(STAGES)), shares, st.booleans(), st.text(max_size=10) | st.none(), unit)
def test_the_rollback_flag_wins_over_every_stage(
    stage: str, share: float, mirror: bool, key: str | None, r: float
) -> None:
    state = RoutingState(stage=stage, share=share, rollback=True, mirror_old_when_full=mirror)  # type: ignore[arg-type]
    assert choose_arm(state, key, "w", r) == Decision("old", None)


@given(shares, keys)
def test_shadow_serves_old_and_mirrors_new(share: float, key: str) -> None:
    state = RoutingState(stage="shadow", share=share, rollback=False)
    assert choose_arm(state, key, "w", 0.5) == Decision(serve="old", shadow="new")


def test_full_serves_new_and_mirrors_old_only_when_asked() -> None:
    plain = RoutingState(stage="full", share=100, rollback=False)
    mirrored = RoutingState(stage="full", share=100, rollback=False, mirror_old_when_full=True)
    assert choose_arm(plain, "u", "w", 0.5) == Decision("new", None)
    assert choose_arm(mirrored, "u", "w", 0.5) == Decision("new", "old")


def test_rolled_back_serves_old_and_mirrors_nothing() -> None:
    state = RoutingState(stage="rolled_back", share=50, rollback=False, mirror_old_when_full=True)
    assert choose_arm(state, "u", "w", 0.0) == Decision("old", None)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stage": "canary", "share": 1},
        {"stage": "split", "share": -0.1},
        {"stage": "split", "share": 100.5},
        {"stage": "split", "share": float("nan")},
        {"stage": "split", "share": 1, "version": -1},
    ],
)
def test_routing_state_refuses_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RoutingState(rollback=False, **kwargs)  # type: ignore[arg-type]


def test_routing_state_and_decision_are_immutable() -> None:
    state = split(10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.share = 50  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        choose_arm(state, "u", "w", 0.0).serve = "new"  # type: ignore[misc]


SESSION = {"x-session-id": "sess-1"}


@pytest.mark.parametrize(
    ("spec", "headers", "body", "expected"),
    [
        ("user", {}, {"user": "alice"}, "alice"),
        ("user", {}, {"metadata": {"user_id": "bob"}}, "bob"),  # Anthropic Messages
        ("user", {}, {"safety_identifier": "h-42", "user": "alice"}, "h-42"),  # OpenAI's successor to user
        ("user", {}, {"safety_identifier": "", "user": "alice"}, "alice"),
        ("user", SESSION, {"user": "alice"}, "alice"),
        ("user", SESSION, {}, "sess-1"),
        ("user", SESSION, {"user": ""}, "sess-1"),
        ("user", SESSION, {"user": 42}, "sess-1"),
        ("user", {}, {}, None),
        ("header:X-Tenant", {"x-tenant": "acme"}, {}, "acme"),
        ("header:x-tenant", {**SESSION}, {}, "sess-1"),
        ("metadata:account", {}, {"metadata": {"account": "a-7"}}, "a-7"),
        ("metadata:account", {}, {"metadata": {"account": 7}}, None),
        ("metadata:account", {}, {"metadata": "not a mapping"}, None),
        ("metadata:account", SESSION, {}, "sess-1"),
    ],
)
def test_sticky_key_of(spec: str, headers: dict[str, str], body: dict[str, object], expected: str | None) -> None:
    assert sticky_key_of(spec, headers, body) == expected


def test_sticky_key_of_refuses_an_unknown_spec() -> None:
    with pytest.raises(ValueError, match="header:NAME"):
        sticky_key_of("cookie:sid", {}, {})
