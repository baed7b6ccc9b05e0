"""Sequential tests: mixture SPRT keeps its false-alarm rate over 48 looks; Mann-Whitney is scipy's."""

import numpy as np
import pytest
from scipy import integrate, stats

from modelswap.stats import (
    always_valid_p,
    latency_shift_test,
    mixture_log_lr,
    normal_mean_log_lr,
    rate_difference,
    rate_increase_look,
)

LOOKS = 48
ALPHA = 0.05


def test_mixture_lr_matches_numerical_integration() -> None:
    # Λ = ∫ N(est; θ, V) / N(est; θ0, V) · N(θ; θ0, τ²) dθ, computed independently by quadrature.
    for est, var, null, tau in [(0.01, 1e-4, 0.0, 0.02), (0.05, 4e-4, 0.02, 0.01), (-0.3, 0.02, 0.0, 0.5)]:

        def integrand(theta: float, est: float = est, var: float = var, null: float = null, tau: float = tau) -> float:
            ratio = stats.norm.pdf(est, theta, np.sqrt(var)) / stats.norm.pdf(est, null, np.sqrt(var))
            return float(ratio * stats.norm.pdf(theta, null, tau))

        value, _ = integrate.quad(integrand, null - 12 * tau, null + 12 * tau, points=[est], limit=200)
        assert float(mixture_log_lr(est, var, null, tau)) == pytest.approx(np.log(value), rel=1e-6)


def _rate_paths(rng: np.random.Generator, reps: int, per_look: tuple[int, int], rates: tuple[float, float]):
    n_old = per_look[0] * np.arange(1, LOOKS + 1)
    n_new = per_look[1] * np.arange(1, LOOKS + 1)
    e_old = np.cumsum(rng.binomial(per_look[0], rates[0], size=(reps, LOOKS)), axis=1)
    e_new = np.cumsum(rng.binomial(per_look[1], rates[1], size=(reps, LOOKS)), axis=1)
    return e_old, n_old, e_new, n_new


@pytest.mark.parametrize(
    ("per_look", "p_old", "max_increase", "tau"),
    [
        ((5000, 50), 0.05, 0.0, 0.02),  # 1 % canary, hourly looks for 48 h
        ((5000, 50), 0.05, 0.02, 0.02),  # H0 at its boundary: new exactly 2 points worse
        ((500, 500), 0.02, 0.0, 0.01),  # 50 % split
        ((200, 200), 0.30, 0.0, 0.05),
    ],
)
def test_48_looks_keep_the_false_alarm_rate(
    per_look: tuple[int, int], p_old: float, max_increase: float, tau: float
) -> None:
    # 4 000 canaries under H0 (new rate = old rate + max_increase), looked at 48 times each.
    # Always valid: P(any false alarm) <= alpha; MC tolerance 3 SE = 0.010.
    rng = np.random.default_rng(int(p_old * 1000) + per_look[1])
    e_old, n_old, e_new, n_new = _rate_paths(rng, 4000, per_look, (p_old, p_old + max_increase))
    est, var = rate_difference(e_old, n_old, e_new, n_new)
    enough = np.minimum(n_old, n_new) >= 200
    p = always_valid_p(np.where(enough, mixture_log_lr(est, var, max_increase, tau), 0.0), est > max_increase)
    false_alarms = (p[:, -1] <= ALPHA).mean()
    assert false_alarms <= ALPHA + 0.010
    # The naive alternative — a one-sided z-test at every look — inflates it several-fold.
    z = (est - max_increase) / np.sqrt(np.where(var > 0, var, np.inf))
    naive = ((z > stats.norm.ppf(1 - ALPHA)) & enough).any(axis=1).mean()
    assert naive > 2 * ALPHA


def test_48_looks_normal_mean() -> None:
    # Known-variance normal observations: the mSPRT is an exact test-martingale.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4000, LOOKS * 25))
    sums = np.cumsum(x, axis=1)[:, 24::25]
    counts = np.arange(25, LOOKS * 25 + 1, 25)
    p = always_valid_p(normal_mean_log_lr(sums, counts, sigma=1.0, tau=0.3))
    assert (p[:, -1] <= ALPHA).mean() <= ALPHA + 0.010


def test_detects_a_real_increase() -> None:
    # Canary 5 points worse than a 5 % baseline, 1 % traffic: caught within 48 looks nearly always.
    rng = np.random.default_rng(4)
    e_old, n_old, e_new, n_new = _rate_paths(rng, 2000, (5000, 50), (0.05, 0.10))
    est, var = rate_difference(e_old, n_old, e_new, n_new)
    p = always_valid_p(np.where(n_new >= 200, mixture_log_lr(est, var, 0.0, 0.02), 0.0), est > 0)
    assert (p[:, -1] <= ALPHA).mean() > 0.9


def test_look_by_look_equals_the_vectorised_path() -> None:
    rng = np.random.default_rng(6)
    e_old, n_old, e_new, n_new = _rate_paths(rng, 1, (1000, 100), (0.05, 0.09))
    est, var = rate_difference(e_old[0], n_old, e_new[0], n_new)
    enough = np.minimum(n_old, n_new) >= 200
    path = always_valid_p(np.where(enough, mixture_log_lr(est, var, 0.01, 0.02), 0.0), est > 0.01)
    previous = 1.0
    for i in range(LOOKS):
        look = rate_increase_look(
            int(e_old[0, i]), int(n_old[i]), int(e_new[0, i]), int(n_new[i]), 0.01, previous_p=previous
        )
        assert look.p_value == pytest.approx(path[i], rel=1e-12)
        assert look.enough_data == enough[i]
        assert look.reject == (enough[i] and path[i] <= ALPHA)
        previous = look.p_value


def test_look_guards() -> None:
    look = rate_increase_look(0, 100, 50, 100)  # huge increase but under min_samples
    assert not look.reject and not look.enough_data and look.p_value == 1.0
    with pytest.raises(ValueError, match="at least one request"):
        rate_increase_look(0, 0, 0, 10)
    with pytest.raises(ValueError, match="tau"):
        mixture_log_lr(0.1, 0.01, tau=0.0)


def test_mann_whitney_wraps_scipy() -> None:
    rng = np.random.default_rng(8)
    old, new = rng.lognormal(0, 0.5, 300), rng.lognormal(0.1, 0.5, 250)
    res = latency_shift_test(old, new)
    ref = stats.mannwhitneyu(new, old, alternative="greater")
    assert (res.statistic, res.p_value) == (ref.statistic, ref.pvalue)
    assert res.prob_new_greater == pytest.approx(np.mean(new[:, None] > old[None, :]))
    same = latency_shift_test(old, old, alternative="two-sided")
    assert same.prob_new_greater == pytest.approx(0.5) and same.p_value == pytest.approx(1.0)


def test_mann_whitney_single_look_error_rate() -> None:
    # 500 looks at identical distributions: one-sided rejection rate near alpha (3 SE = 0.029).
    rng = np.random.default_rng(9)
    rejections = sum(
        latency_shift_test(rng.lognormal(size=100), rng.lognormal(size=100)).p_value <= ALPHA for _ in range(500)
    )
    assert rejections / 500 == pytest.approx(ALPHA, abs=0.029)
