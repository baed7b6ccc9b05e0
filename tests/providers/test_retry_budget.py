"""The retry budget: a token bucket that keeps retries a share of the requests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.providers.retry_budget import BudgetSpec, RetryBudget


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_it_starts_full_and_empties() -> None:
    budget = RetryBudget(BudgetSpec(ratio=0, min_per_s=0, burst=3), clock=Clock())
    assert [budget.withdraw() for _ in range(4)] == [True, True, True, False]


def test_requests_earn_retries_at_the_ratio() -> None:
    budget = RetryBudget(BudgetSpec(ratio=0.2, min_per_s=0, burst=0.0), clock=Clock())
    assert budget.withdraw() is False
    budget = RetryBudget(BudgetSpec(ratio=0.2, min_per_s=0, burst=10), clock=Clock())
    for _ in range(10):
        budget.withdraw()
    for _ in range(10):
        budget.deposit()
    assert [budget.withdraw() for _ in range(3)] == [True, True, False]


def test_time_earns_a_trickle_up_to_the_burst() -> None:
    clock = Clock()
    budget = RetryBudget(BudgetSpec(ratio=0, min_per_s=0.5, burst=2), clock=clock)
    assert budget.withdraw() and budget.withdraw() and not budget.withdraw()
    clock.now += 2.0
    assert budget.withdraw() and not budget.withdraw()
    clock.now += 1000.0
    assert budget.available == 2.0


def test_a_bad_spec_is_refused() -> None:
    with pytest.raises(ValueError, match="ratio"):
        BudgetSpec(ratio=1.5)


@given(
    ratio=st.floats(0, 1),
    min_per_s=st.floats(0, 5),
    burst=st.integers(0, 20),
    steps=st.lists(st.tuples(st.sampled_from(["request", "retry"]), st.floats(0, 3)), max_size=200),
)
def test_retries_never_exceed_what_the_traffic_and_time_earned(
    ratio: float, min_per_s: float, burst: int, steps: list[tuple[str, float]]
) -> None:
    clock = Clock()
    budget = RetryBudget(BudgetSpec(ratio=ratio, min_per_s=min_per_s, burst=burst), clock=clock)
    requests = retries = 0
    for what, wait in steps:
        clock.now += wait
        if what == "request":
            budget.deposit()
            requests += 1
        elif budget.withdraw():
            retries += 1
    assert retries <= ratio * requests + min_per_s * clock.now + burst + 1e-9
