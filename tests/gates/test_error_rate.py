"""The error-rate gate: the new model's calls may fail at most a margin more often than the old one's."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.config import ErrorRateGate, Gates
from modelswap.gates import GateData, Verdict, decide_error_rate, evaluate, limit_cell

GATE = ErrorRateGate(max_increase_points=1.0)


def errors(both: int, new_only: int, old_only: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    old = np.repeat([True, False, True, False], [both, new_only, old_only, neither])
    new = np.repeat([True, True, False, False], [both, new_only, old_only, neither])
    return old, new


def test_three_points_more_failures_on_1000_cases_fails() -> None:
    r = decide_error_rate(*errors(0, 30, 0, 970), GATE)
    assert r.verdict is Verdict.FAIL and r.gate == "error_rate"
    assert r.interval is not None and r.interval[0] > 1.0
    assert "new error rate 3.0 % vs old 0.0 % on 1,000 paired cases: difference +3.0 points" in r.reason
    assert "must lie below +1 points" in r.reason and r.details["new_failed"] == 30
    assert limit_cell(r) == "< +1 pts"


def test_no_failures_on_many_cases_passes_and_few_cases_never_pass() -> None:
    assert decide_error_rate(*errors(0, 0, 0, 2000), GATE).verdict is Verdict.PASS
    few = decide_error_rate(*errors(0, 0, 0, 20), ErrorRateGate(max_increase_points=50))
    assert few.verdict is Verdict.INCONCLUSIVE and few.more_cases_needed == 10


def test_near_the_margin_says_how_many_more_cases() -> None:
    r = decide_error_rate(*errors(2, 8, 2, 188), GATE)
    assert r.verdict is Verdict.INCONCLUSIVE and r.more_cases_needed is not None
    assert f"about {r.more_cases_needed:,} more paired cases would decide it" in r.reason


def test_it_is_judged_only_when_configured_and_is_inconclusive_without_data() -> None:
    assert [r.gate for r in evaluate(Gates(), GateData())] == ["pass_rate"]
    (r,) = evaluate(Gates(pass_rate=None, error_rate=GATE), GateData())
    assert r.gate == "error_rate" and r.verdict is Verdict.INCONCLUSIVE and r.more_cases_needed == 30


@pytest.mark.parametrize("n", [300, 1000])
def test_false_pass_rate_at_the_margin(n: int) -> None:
    # The new model's calls truly fail 1 point more often (2 % vs 1 %): PASS at most 2.5 % of the time.
    rng = np.random.default_rng(n)
    passes = 0
    for cells in rng.multinomial(n, [0.005, 0.015, 0.005, 0.975], size=400):
        passes += decide_error_rate(*errors(*cells), GATE).verdict is Verdict.PASS
    assert passes / 400 <= 0.025 + 3 * 0.008


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50), st.integers(0, 400))
def test_verdict_agrees_with_the_interval(a: int, b: int, c: int, d: int) -> None:
    r = decide_error_rate(*errors(a, b, c, d), GATE)
    if r.interval is None:
        assert r.verdict is Verdict.INCONCLUSIVE
    elif r.verdict is Verdict.PASS:
        assert r.interval[1] < 1.0 and r.n >= 30
    elif r.verdict is Verdict.FAIL:
        assert r.interval[0] > 1.0
