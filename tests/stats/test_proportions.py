"""Wilson interval: Newcombe's (1998) published examples, statsmodels, and coverage by simulation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from modelswap.stats import wilson_bounds, wilson_interval

# Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Stat Med 17:857-872, illustrative examples: method 3 (score) and 4 (score, CC).
NEWCOMBE_1998A = [
    (81, 263, (0.2553, 0.3662), (0.2535, 0.3682)),
    (15, 148, (0.0624, 0.1605), (0.0598, 0.1644)),
    (0, 20, (0.0, 0.1611), (0.0, 0.2005)),
    (1, 29, (0.0061, 0.1718), (0.0018, 0.1963)),
]


@pytest.mark.parametrize(("x", "n", "plain", "corrected"), NEWCOMBE_1998A)
def test_matches_newcombe_1998_examples(x: int, n: int, plain: tuple, corrected: tuple) -> None:
    assert wilson_interval(x, n) == pytest.approx(plain, abs=5e-5)
    assert wilson_interval(x, n, continuity=True) == pytest.approx(corrected, abs=5e-5)


def test_matches_statsmodels_wilson_on_a_grid() -> None:
    n = np.array([1, 7, 30, 100, 1000, 20000])
    for m in n:
        x = np.arange(0, m + 1, max(1, m // 50))
        lo, hi = wilson_bounds(x, m, 0.9)
        ref_lo, ref_hi = proportion_confint(x, m, alpha=0.1, method="wilson")
        np.testing.assert_allclose(lo, ref_lo, atol=1e-12)
        np.testing.assert_allclose(hi, ref_hi, atol=1e-12)


@pytest.mark.parametrize("continuity", [False, True])
def test_coverage_is_near_nominal(continuity: bool) -> None:
    # Coverage averaged over p in [0.5, 0.98] at n = 200, 4 000 samples per p; the Wilson interval
    # holds its level on average (Newcombe 1998: mean coverage 0.952), the CC form is conservative.
    rng = np.random.default_rng(11)
    ps = np.linspace(0.5, 0.98, 25)
    n = 200
    x = rng.binomial(n, ps[:, None], size=(ps.size, 4000))
    lo, hi = wilson_bounds(x, n, 0.95, continuity=continuity)
    cover = ((lo <= ps[:, None]) & (ps[:, None] <= hi)).mean()
    # MC standard error of the mean coverage is < 0.001; 0.005 tolerates the discreteness.
    if continuity:
        assert cover >= 0.95
    else:
        assert cover == pytest.approx(0.95, abs=0.005)


@settings(deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_interval_contains_estimate_and_stays_in_unit_range(xn: tuple[int, int]) -> None:
    x, n = xn
    for cc in (False, True):
        ci = wilson_interval(x, n, continuity=cc)
        assert 0.0 <= ci.lower <= x / n <= ci.upper <= 1.0


def test_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="at least one trial"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(5, 4)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 4, confidence=95)
