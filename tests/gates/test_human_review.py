"""The human-review gate: constructed verdicts → PASS, FAIL, INCONCLUSIVE with the pairs still needed."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.config import Gates, HumanReviewGate
from modelswap.gates import Verdict, decide_human_review

GATE = HumanReviewGate(max_worse_percent=5, confidence=0.95)


def test_two_worse_in_200_passes() -> None:
    r = decide_human_review([1] * 2 + [0] * 198, None, GATE)
    assert r.verdict is Verdict.PASS
    assert r.interval is not None and r.interval[1] < 5
    assert r.reason.startswith("new worse on 1.0 % of traffic [")


def test_thirty_worse_in_200_fails() -> None:
    r = decide_human_review([1] * 30 + [0] * 170, None, GATE)
    assert r.verdict is Verdict.FAIL
    assert r.interval is not None and r.interval[0] > 5


def test_six_worse_in_200_is_inconclusive_with_more_pairs() -> None:
    r = decide_human_review([1] * 6 + [0] * 194, None, GATE)
    assert r.verdict is Verdict.INCONCLUSIVE
    assert r.more_cases_needed is not None and r.more_cases_needed > 0
    more = r.more_cases_needed
    # At the same share with the advised number of pairs, the gate decides.
    n = 200 + more
    worse = int(0.03 * n)  # the observed share, rounded down
    assert decide_human_review([1] * worse + [0] * (n - worse), None, GATE).verdict is Verdict.PASS


def test_too_few_reviews_never_pass() -> None:
    r = decide_human_review([0] * 10, None, HumanReviewGate(max_worse_percent=40, min_reviewed=30))
    assert r.verdict is Verdict.INCONCLUSIVE and r.more_cases_needed == 20


def test_nothing_reviewed_is_inconclusive() -> None:
    r = decide_human_review([], None, GATE)
    assert r.verdict is Verdict.INCONCLUSIVE and r.estimate is None and r.more_cases_needed == 30


def test_weights_move_the_decision() -> None:
    # 10 % of the sample is worse, but those pairs were oversampled 20× and stand for little traffic.
    worse = [1] * 20 + [0] * 180
    weights = [1] * 20 + [20] * 180
    assert decide_human_review(worse, None, GATE).verdict is Verdict.FAIL
    assert decide_human_review(worse, weights, GATE).verdict is not Verdict.FAIL


def test_gate_is_off_unless_written() -> None:
    assert Gates().human_review is None
    assert Gates.model_validate({"human_review": {"max_worse_percent": 3}}).human_review == HumanReviewGate(
        max_worse_percent=3
    )


@given(st.lists(st.floats(0, 1), max_size=300), st.floats(0.5, 50))
def test_verdict_agrees_with_interval(worse: list[float], limit: float) -> None:
    r = decide_human_review(worse, None, HumanReviewGate(max_worse_percent=limit))
    if r.verdict is Verdict.PASS:
        assert r.interval is not None and r.interval[1] < limit and r.n >= 30
    if r.verdict is Verdict.FAIL:
        assert r.interval is not None and r.interval[0] > limit
    if r.verdict is Verdict.INCONCLUSIVE:
        assert r.more_cases_needed is None or r.more_cases_needed >= 1
    with pytest.raises(ValueError):
        decide_human_review([2], None, GATE)
