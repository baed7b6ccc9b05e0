"""Sample sizes: plugging the returned n back in reaches the target power by simulation."""

import numpy as np
import pytest
from scipy import stats

from modelswap.stats import paired_cases_needed, tango_score, unpaired_cases_needed

Z975 = float(stats.norm.ppf(0.975))


def _paired_power(p_new_only: float, p_old_only: float, margin: float, n: int, reps: int, seed: int) -> float:
    """Share of simulated studies whose 95 % Tango interval excludes -margin on the true side."""
    rng = np.random.default_rng(seed)
    cells = rng.multinomial(n, [p_new_only, p_old_only, 1 - p_new_only - p_old_only], size=reps)
    z = tango_score(cells[:, 0], cells[:, 1], n, -margin)
    above = p_new_only - p_old_only > -margin
    return float((z > Z975).mean() if above else (z < -Z975).mean())


@pytest.mark.parametrize(
    ("p_new_only", "p_old_only", "margin"),
    [
        (0.03, 0.03, 0.02),  # equal pass rates, 6 % discordance, 2-point margin
        (0.05, 0.04, 0.02),  # new slightly better
        (0.10, 0.10, 0.05),
        (0.02, 0.05, 0.02),  # new truly 3 points worse: n to show it FAILs
        (0.01, 0.01, 0.03),  # few discordant cases
    ],
)
def test_paired_n_reaches_target_power(p_new_only: float, p_old_only: float, margin: float) -> None:
    # 10 000 simulated studies: MC standard error 0.004. The formula is asymptotic; with few
    # discordant pairs (≈6 expected in the last case) the discrete score test does a little
    # better than promised (0.84), never materially worse: accept [0.78, 0.85].
    n = paired_cases_needed(p_new_only, p_old_only, margin, 0.95, 0.8)
    assert n is not None
    power = _paired_power(p_new_only, p_old_only, margin, n, 10_000, seed=n)
    assert 0.78 <= power <= 0.85


def test_paired_n_reduces_to_connor_1987_without_margin() -> None:
    # With margin 0 Nam's n is Connor's: (z_a sqrt(psi) + z_b sqrt(psi - delta^2))^2 / delta^2.
    p10, p01 = 0.12, 0.06
    psi, delta = p10 + p01, p10 - p01
    zb = stats.norm.ppf(0.9)
    connor = (Z975 * np.sqrt(psi) + zb * np.sqrt(psi - delta**2)) ** 2 / delta**2
    assert paired_cases_needed(p10, p01, 0.0, 0.95, 0.9) == int(np.ceil(connor))


def test_paired_n_shape() -> None:
    assert paired_cases_needed(0.03, 0.05, 0.02) is None  # the difference sits on the margin
    small = paired_cases_needed(0.03, 0.03, 0.05)
    large = paired_cases_needed(0.03, 0.03, 0.02)
    assert small is not None and large is not None and small < large
    more_power = paired_cases_needed(0.03, 0.03, 0.02, power=0.9)
    assert more_power is not None and more_power > large
    with pytest.raises(ValueError, match="power"):
        paired_cases_needed(0.03, 0.03, 0.02, power=80)
    with pytest.raises(ValueError, match="margin"):
        paired_cases_needed(0.03, 0.03, 2.0)
    with pytest.raises(ValueError, match="discordant"):
        paired_cases_needed(0.7, 0.5, 0.02)


def test_unpaired_n_reaches_target_power() -> None:
    # Wald non-inferiority test of two independent pass rates at the returned n per group.
    p_old, p_new, margin = 0.90, 0.90, 0.03
    n = unpaired_cases_needed(p_old, p_new, margin)
    assert n is not None
    rng = np.random.default_rng(1)
    xo = rng.binomial(n, p_old, 20_000) / n
    xn = rng.binomial(n, p_new, 20_000) / n
    se = np.sqrt(xo * (1 - xo) / n + xn * (1 - xn) / n)
    power = ((xn - xo - Z975 * se) > -margin).mean()
    assert power == pytest.approx(0.8, abs=0.02)  # MC SE 0.003


def test_unpaired_needs_more_than_paired_when_outcomes_correlate() -> None:
    # 90 % vs 90 % with 6 % discordance: pairing saves most of the cases (DESIGN.md).
    paired = paired_cases_needed(0.03, 0.03, 0.02)
    unpaired = unpaired_cases_needed(0.9, 0.9, 0.02)
    assert paired is not None and unpaired is not None
    assert paired < unpaired / 2


@pytest.mark.parametrize(
    ("f", "g", "n", "more"), [(3, 5, 100, 2000), (3, 3, 100, 500), (30, 50, 1000, 20_000), (0, 2, 60, 300)]
)
def test_predictive_probability_matches_a_brute_force_simulation(f: int, g: int, n: int, more: int) -> None:
    # Independent implementation: draw the discordant cells from the Jeffreys posterior, draw the
    # further cases from them, judge the pooled table with Tango's score test itself.
    from modelswap.stats import predictive_decision_probability

    rng = np.random.default_rng(f * 1000 + g + more)
    cells = rng.dirichlet([f + 0.5, g + 0.5, n - f - g + 0.5], size=20_000)
    extra = np.array([rng.multinomial(more, c) for c in cells])
    z = tango_score(f + extra[:, 0], g + extra[:, 1], n + more, -0.02)
    brute = float(np.mean(np.abs(z) > Z975))
    assert predictive_decision_probability(f, g, n, more, 0.02, draws=20_000) == pytest.approx(brute, abs=0.02)


def test_cases_to_decide_reach_the_target_and_grow_near_the_margin() -> None:
    from modelswap.stats import paired_cases_to_decide, predictive_decision_probability

    far = paired_cases_to_decide(3, 3, 100, 0.02)
    near = paired_cases_to_decide(3, 5, 100, 0.02)  # observed exactly on the margin
    assert far.more is not None and near.more is not None and far.more < near.more
    assert predictive_decision_probability(3, 5, 100, near.more, 0.02) >= 0.79
    assert predictive_decision_probability(3, 5, 100, near.more // 2, 0.02) < 0.8
    # the plug-in n takes the 6 % observed discordance for the truth and asks for fewer cases
    plug_in = paired_cases_needed(0.03, 0.03, 0.02)
    assert plug_in is not None and plug_in - 100 < far.more
    with pytest.raises(ValueError, match="target"):
        paired_cases_to_decide(3, 3, 100, 0.02, target=1.5)
    with pytest.raises(ValueError, match="new_only"):
        paired_cases_to_decide(60, 60, 100, 0.02)
