"""One-sided percentile bounds (against scipy) and the p95 ratio interval's error rates by simulation."""

import numpy as np
import pytest
from scipy import stats

from modelswap.stats import min_n_for_quantile_bound, min_n_for_quantile_ratio, quantile_bound, quantile_ratio_bounds

Z95 = float(stats.norm.ppf(0.95))


@pytest.mark.parametrize("n", [72, 100, 333, 2000])
@pytest.mark.parametrize("tail", [0.025, 0.0125])
def test_one_sided_bounds_match_scipy_quantile_test(n: int, tail: float) -> None:
    x = np.random.default_rng(n).exponential(size=n)
    if n < min_n_for_quantile_bound(95, tail, "upper"):
        with pytest.raises(ValueError, match="too few"):
            quantile_bound(x, 95, tail, "upper")
        return
    lower = stats.quantile_test(x, q=0, p=0.95, alternative="greater").confidence_interval(1 - tail).low
    upper = stats.quantile_test(x, q=0, p=0.95, alternative="less").confidence_interval(1 - tail).high
    assert quantile_bound(x, 95, tail, "lower") == lower
    assert quantile_bound(x, 95, tail, "upper") == upper


def test_minimum_samples() -> None:
    assert min_n_for_quantile_bound(95, 0.025, "upper") == 72  # 0.95^72 = 0.0249
    assert min_n_for_quantile_bound(95, 0.0125, "upper") == 86
    assert min_n_for_quantile_ratio(95, 0.95) == 72


@pytest.mark.parametrize("n", [72, 100, 300, 1000])
@pytest.mark.parametrize("sigma_new", [0.2, 0.6, 1.2])
def test_ratio_interval_misses_at_most_nominally_on_each_side(n: int, sigma_new: float) -> None:
    # True p95 ratio exactly 1.2 (old lognormal σ 0.6, new of another shape). The upper bound may
    # lie below the truth at most 2.5 % of the time (a false PASS at the limit), and the lower
    # bound above it at most 2.5 % (a false FAIL). 2 000 samples: SE 0.35 %; allow 2 SE.
    rng = np.random.default_rng(n * 10 + int(sigma_new * 10))
    old = rng.lognormal(0.0, 0.6, (2000, n))
    new = rng.lognormal(np.log(1.2) + Z95 * (0.6 - sigma_new), sigma_new, (2000, n))
    r = [quantile_ratio_bounds(old[i], new[i]) for i in range(2000)]
    assert np.mean([x.upper < 1.2 for x in r]) <= 0.025 + 0.007
    assert np.mean([x.lower > 1.2 for x in r]) <= 0.025 + 0.007
    assert all(x.lower <= x.estimate <= x.upper for x in r)


def test_guards() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        quantile_ratio_bounds(np.full(100, -1.0), np.ones(100))
    with pytest.raises(ValueError, match="positive baseline"):
        quantile_ratio_bounds(np.zeros(100), np.ones(100))
    assert quantile_ratio_bounds(np.ones(100), np.zeros(100)).upper == 0.0
