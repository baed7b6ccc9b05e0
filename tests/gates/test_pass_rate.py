"""The pass-rate gate: constructed cases, and its error rate and power by simulation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.config import PassRateGate
from modelswap.gates import Verdict, decide_pass_rate
from modelswap.stats import paired_cases_needed, tango_score

GATE = PassRateGate(max_drop_points=2.0, confidence=0.95)


def outcomes(both: int, new_only: int, old_only: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    """Paired old/new pass-fail arrays with exactly these 2×2 counts."""
    old = np.repeat([True, False, True, False], [both, new_only, old_only, neither])
    new = np.repeat([True, True, False, False], [both, new_only, old_only, neither])
    return old, new


def test_one_point_worse_on_100_cases_is_inconclusive() -> None:
    # old 90 %, new 89 % on 100 paired cases.
    old, new = outcomes(87, 2, 3, 8)
    assert (old.mean(), new.mean()) == (0.90, 0.89)
    r = decide_pass_rate(old, new, GATE)
    assert r.verdict is Verdict.INCONCLUSIVE
    assert r.more_cases_needed is not None and r.more_cases_needed > 100
    assert r.interval is not None and r.interval[0] < -2.0 < r.interval[1]
    assert r.reason.startswith("new pass rate 89.0 % vs old 90.0 % on 100 paired cases: difference −1.0 points [")
    assert "the whole interval must lie above −2 points to pass" in r.reason
    assert f"about {r.more_cases_needed:,} more paired cases would decide it" in r.reason


def test_ten_points_worse_on_500_cases_fails() -> None:
    old, new = outcomes(390, 10, 60, 40)  # old 90 %, new 80 %
    r = decide_pass_rate(old, new, GATE)
    assert r.verdict is Verdict.FAIL
    assert r.estimate == pytest.approx(-10.0)
    assert r.interval is not None and r.interval[1] < -2.0
    assert r.more_cases_needed is None
    assert "worse by more than 2 points" in r.reason


def test_equal_rates_on_20000_cases_pass() -> None:
    old, new = outcomes(17_700, 300, 300, 1_700)  # both 90 %
    r = decide_pass_rate(old, new, GATE)
    assert r.verdict is Verdict.PASS
    assert r.interval is not None and r.interval[0] > -2.0
    assert r.n == 20_000 and r.details["only_old_passes"] == 300
    assert r.details["mcnemar_exact_p"] == 1.0


def test_never_passes_on_too_few_cases() -> None:
    # 20 perfect cases under a lax 50-point margin: the interval clears the margin, the count does not.
    old, new = outcomes(20, 0, 0, 0)
    r = decide_pass_rate(old, new, PassRateGate(max_drop_points=50))
    assert r.verdict is Verdict.INCONCLUSIVE
    assert r.more_cases_needed == 10
    assert "at least 30 paired cases" in r.reason


def test_no_cases_is_inconclusive_not_an_error() -> None:
    r = decide_pass_rate([], [], GATE)
    assert r.verdict is Verdict.INCONCLUSIVE and r.n == 0 and r.interval is None
    assert r.more_cases_needed == 30


def test_on_the_margin_it_still_says_how_many_cases_would_likely_decide() -> None:
    # Observed exactly 2 points worse: the truth may be 0 or −4, so more cases can decide it.
    old, new = outcomes(860, 30, 50, 60)
    r = decide_pass_rate(old, new, GATE)
    assert r.verdict is Verdict.INCONCLUSIVE
    assert r.more_cases_needed is not None and r.more_cases_needed > 1000
    assert "no realistic number" not in r.reason
    assert f"about {r.more_cases_needed:,} more paired cases would decide it with 80 % probability" in r.reason


def test_interval_printed_never_looks_equal_to_the_margin() -> None:
    # A lower bound of −1.992 must not print as −2.0 next to "must lie above −2".
    old, new = outcomes(360, 3, 5, 82)
    r = decide_pass_rate(old, new, GATE)
    assert r.verdict is Verdict.PASS
    assert r.interval is not None and -2.0 < r.interval[0] < -1.99
    assert "[−1.99, " in r.reason and "[−2.0," not in r.reason


def test_newcombe_method_is_available() -> None:
    old, new = outcomes(17_700, 300, 300, 1_700)
    r = decide_pass_rate(old, new, GATE, method="newcombe")
    assert r.verdict is Verdict.PASS and "Newcombe" in r.method
    with pytest.raises(ValueError, match="method"):
        decide_pass_rate(old, new, GATE, method="wald")  # type: ignore[arg-type]


def _simulate(n: int, p_cells: tuple[float, float, float, float], reps: int, seed: int) -> list[Verdict]:
    """Verdicts of the gate on ``reps`` simulated studies of ``n`` cases.

    Every study the score test says is decided (PASS or FAIL) is judged by the gate itself, and so
    are 30 of the undecided ones; the gate must agree with the test on each of them. (The
    undecided rest are INCONCLUSIVE by ``test_verdict_agrees_with_interval``; judging them all
    would spend most of the time on the advice about further cases.)
    """
    rng = np.random.default_rng(seed)
    tables = rng.multinomial(n, p_cells, size=reps)
    z = tango_score(tables[:, 1], tables[:, 2], n, -GATE.max_drop_points / 100)
    crit = 1.959963984540054
    expected = np.where((z > crit) & (n >= 30), "PASS", np.where(z < -crit, "FAIL", "INCONCLUSIVE"))
    undecided = np.flatnonzero(expected == "INCONCLUSIVE")
    checked = set(np.flatnonzero(expected != "INCONCLUSIVE")) | set(rng.permutation(undecided)[:30])
    for i in checked:
        assert decide_pass_rate(*outcomes(*tables[i]), GATE).verdict.value == expected[i]
    return [Verdict(v) for v in expected]


@pytest.mark.parametrize(
    ("n", "p_cells"),
    [
        (500, (0.85, 0.03, 0.05, 0.07)),  # old 90 %, new 88 %: exactly at the margin
        (2000, (0.85, 0.03, 0.05, 0.07)),
        (300, (0.70, 0.08, 0.10, 0.12)),  # old 80 %, new 78 %, more disagreement
    ],
)
def test_false_pass_rate_at_the_margin(n: int, p_cells: tuple[float, float, float, float]) -> None:
    # 2 000 gate decisions when the new model is truly 2 points worse. The gate passes only if
    # a two-sided 95 % interval clears −2, so the nominal false-pass rate is 2.5 %; Monte-Carlo
    # tolerance 3 SE = 0.0105 → at most 3.55 % (well under the 5 % a reviewer would accept).
    results = _simulate(n, p_cells, 2000, seed=n)
    false_pass = np.mean([r is Verdict.PASS for r in results])
    assert false_pass <= 0.025 + 0.0105


def test_power_at_the_planned_sample_size() -> None:
    # Truly equal (90 % vs 90 %, 6 % discordance): at the n the sample-size function asks for
    # (80 % power), the gate passes ≈80 % of the time. 1 000 decisions, 3 SE = 0.038.
    n = paired_cases_needed(0.03, 0.03, 0.02, 0.95, 0.8)
    assert n is not None
    results = _simulate(n, (0.87, 0.03, 0.03, 0.07), 1000, seed=1)
    assert np.mean([r is Verdict.PASS for r in results]) == pytest.approx(0.8, abs=0.038)
    assert not any(r is Verdict.FAIL for r in results)


def test_more_cases_needed_is_enough() -> None:
    # Take an INCONCLUSIVE result, add the cases it asks for from the same population: the
    # gate then decides about 80 % of the time (its stated power).
    p_cells = (0.87, 0.03, 0.03, 0.07)
    first = decide_pass_rate(*outcomes(348, 12, 12, 28), GATE)  # 400 cases in exactly those shares
    assert first.verdict is Verdict.INCONCLUSIVE and first.more_cases_needed is not None
    total = first.n + first.more_cases_needed
    results = _simulate(total, p_cells, 600, seed=3)
    assert np.mean([r is Verdict.PASS for r in results]) >= 0.7


def test_equal_on_many_cases_passes_almost_always() -> None:
    results = _simulate(5000, (0.87, 0.03, 0.03, 0.07), 500, seed=4)
    assert np.mean([r is Verdict.PASS for r in results]) >= 0.99


counts = st.integers(0, 300)


@settings(max_examples=150, deadline=None)
@given(counts, counts, counts, counts, st.sampled_from([0.5, 1.0, 2.0, 5.0]), st.sampled_from([0.9, 0.95, 0.99]))
def test_verdict_agrees_with_interval(a: int, b: int, c: int, d: int, margin: float, conf: float) -> None:
    gate = PassRateGate(max_drop_points=margin, confidence=conf)
    r = decide_pass_rate(*outcomes(a, b, c, d), gate)
    if r.interval is None:
        assert r.verdict is Verdict.INCONCLUSIVE
        return
    lo, hi = r.interval
    assert lo <= (r.estimate or 0.0) <= hi
    if r.verdict is Verdict.PASS:
        assert lo > -margin and r.n >= 30
    elif r.verdict is Verdict.FAIL:
        assert hi < -margin
    else:
        assert r.more_cases_needed is None or r.more_cases_needed >= 1
