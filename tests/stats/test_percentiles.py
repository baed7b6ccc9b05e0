"""Percentile and its distribution-free interval: numpy, scipy.stats.quantile_test, coverage."""

import numpy as np
import pytest
from scipy import stats

from modelswap.stats import min_n_for_quantile_interval, percentile, quantile_interval


def test_percentile_is_numpys() -> None:
    x = np.random.default_rng(0).lognormal(size=1001)
    for q in (50, 90, 95, 99, 99.9):
        assert percentile(x, q) == np.percentile(x, q)


@pytest.mark.parametrize("n", [72, 100, 250, 1000, 5000])
@pytest.mark.parametrize(("q", "conf"), [(95, 0.95), (50, 0.9), (99, 0.95), (90, 0.99)])
def test_interval_matches_scipy_quantile_test(n: int, q: float, conf: float) -> None:
    x = np.random.default_rng(n).exponential(size=n)
    if n < min_n_for_quantile_interval(q, conf):
        with pytest.raises(ValueError, match="too few"):
            quantile_interval(x, q, conf)
        return
    ours = quantile_interval(x, q, conf)
    ref = stats.quantile_test(x, q=0, p=q / 100, alternative="two-sided").confidence_interval(conf)
    assert (ours.lower, ours.upper) == (ref.low, ref.high)
    assert ours.estimate == np.percentile(x, q)
    assert ours.coverage >= conf


def test_minimum_sample_for_p95() -> None:
    # 0.95^n <= 0.025 first holds at n = 72 (0.95^71 = 0.026).
    assert min_n_for_quantile_interval(95, 0.95) == 72
    assert quantile_interval(np.arange(72.0), 95).upper_rank == 72
    with pytest.raises(ValueError, match="at least 72"):
        quantile_interval(np.arange(71.0), 95)


def test_coverage_is_at_least_nominal() -> None:
    # 4 000 lognormal samples of 300 latencies; the interval's exact coverage is >= 95 % for any
    # continuous distribution, so the simulated rate must not fall below 0.95 - 3 SE (SE 0.0034).
    rng = np.random.default_rng(5)
    truth = float(np.exp(stats.norm.ppf(0.95) * 0.5))
    x = np.sort(rng.lognormal(0.0, 0.5, size=(4000, 300)), axis=1)
    ci = quantile_interval(x[0], 95)
    covered = (x[:, ci.lower_rank - 1] <= truth) & (truth <= x[:, ci.upper_rank - 1])
    assert covered.mean() >= 0.95 - 3 * 0.0034
    assert covered.mean() == pytest.approx(ci.coverage, abs=4 * np.sqrt(ci.coverage * (1 - ci.coverage) / 4000))


def test_guards() -> None:
    with pytest.raises(ValueError, match="empty"):
        percentile([], 95)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0, 2.0], 100)
    with pytest.raises(ValueError, match="NaN"):
        quantile_interval([1.0, float("nan")], 50)
