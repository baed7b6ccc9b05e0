"""Tests for live canaries: always-valid sequential tests, and Mann-Whitney for latency shifts.

The mixture sequential probability ratio test (mSPRT; Robbins 1970; Johari, Koomen, Pekelis &
Walsh, "Always valid inference: continuous monitoring of A/B tests", Operations Research 70(3),
2022, §4) mixes the likelihood ratio over a normal prior ``N(null, tau²)`` on the effect:

    Λ = sqrt(V / (V + τ²)) · exp(τ² (θ̂ - θ0)² / (2 V (V + τ²)))

where θ̂ is the estimate and V its variance. Λ is a martingale under H0, so by Ville's
inequality ``P(Λ ever reaches 1/α) <= α``: looking after every request, every hour or 48 times
keeps the false-alarm rate at α. The always-valid p-value is the running minimum of ``1/Λ``.
For a normal mean with known variance this is exact; for rates it uses the normal
approximation with plug-in variances (Johari et al., §4.2), hence a minimum sample per arm.

Mann-Whitney U (scipy) compares whole latency distributions at one look, as Kayenta's canary
judge does; it is *not* always valid, so do not re-run it at every look and stop at the first
small p-value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from modelswap.stats._validate import as_sample

FloatArray = npt.NDArray[np.float64]


def mixture_log_lr(
    estimate: npt.ArrayLike, variance: npt.ArrayLike, null: float = 0.0, tau: float = 0.02
) -> FloatArray:
    """Log of the mSPRT mixture likelihood ratio for an approximately normal estimate (vectorised).

    ``tau`` is the prior spread of the effect: the effect size the test is most sensitive to
    (Johari et al. 2022, §5 suggest matching it to effects seen in practice). A zero variance
    with a non-zero deviation gives +inf; a zero variance with no deviation gives 0.
    """
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    est = np.asarray(estimate, dtype=np.float64)
    var = np.asarray(variance, dtype=np.float64)
    if np.any(var < 0):
        raise ValueError("variances must be non-negative")
    t2 = tau * tau
    dev2 = (est - null) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lr = 0.5 * np.log(var / (var + t2)) + t2 * dev2 / (2.0 * var * (var + t2))
    return np.where(var > 0, log_lr, np.where(dev2 > 0, np.inf, 0.0))


def always_valid_p(log_lr: npt.ArrayLike, evidence_for: npt.ArrayLike | None = None) -> FloatArray:
    """Always-valid p-values over successive looks (last axis): running minimum of ``min(1, 1/Λ)``.

    ``evidence_for`` (booleans, same shape) makes the test one-sided: a look only counts when
    the estimate lies on the alternative's side. Still valid: it can only reject less often.
    """
    lr = np.asarray(log_lr, dtype=np.float64)
    p = np.minimum(1.0, np.exp(-lr))
    if evidence_for is not None:
        p = np.where(np.asarray(evidence_for, dtype=bool), p, 1.0)
    return np.minimum.accumulate(p, axis=-1)


def rate_difference(
    events_old: npt.ArrayLike, n_old: npt.ArrayLike, events_new: npt.ArrayLike, n_new: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Estimate and plug-in variance of ``rate_new - rate_old`` for two independent arms (vectorised)."""
    eo, no, en, nn = (np.asarray(v, dtype=np.float64) for v in (events_old, n_old, events_new, n_new))
    if np.any(no < 1) or np.any(nn < 1):
        raise ValueError("each arm needs at least one request")
    po, pn = eo / no, en / nn
    return pn - po, po * (1.0 - po) / no + pn * (1.0 - pn) / nn


def normal_mean_log_lr(
    total: npt.ArrayLike, count: npt.ArrayLike, sigma: float, null: float = 0.0, tau: float = 1.0
) -> FloatArray:
    """mSPRT log-LR for the mean of normal observations with known ``sigma`` (Johari et al., eq. 11).

    Pass running sums and counts to get the whole path of looks at once.
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    n = np.asarray(count, dtype=np.float64)
    if np.any(n < 1):
        raise ValueError("each look needs at least one observation")
    return mixture_log_lr(np.asarray(total, dtype=np.float64) / n, sigma * sigma / n, null, tau)


@dataclass(frozen=True)
class SequentialLook:
    """One look of a sequential test for an increase of a rate (e.g. errors) in the canary."""

    estimate: float
    """``rate_new - rate_old`` (a proportion)."""
    log_lr: float
    """Log mixture likelihood ratio against ``increase = max_increase``."""
    p_value: float
    """Always-valid p-value, including every earlier look through ``previous_p``."""
    reject: bool
    """True when the increase is shown to exceed ``max_increase`` at level ``alpha``."""
    enough_data: bool
    """Whether both arms reached ``min_samples``; looks before that never reject."""


def rate_increase_look(
    events_old: int,
    n_old: int,
    events_new: int,
    n_new: int,
    max_increase: float = 0.0,
    *,
    alpha: float = 0.05,
    tau: float = 0.02,
    previous_p: float = 1.0,
    min_samples: int = 200,
) -> SequentialLook:
    """Look at a canary: is the new arm's rate more than ``max_increase`` above the old one's?

    Tests H0: ``rate_new - rate_old <= max_increase`` with the one-sided mSPRT; feed back
    ``p_value`` as ``previous_p`` at the next look so the false-alarm rate over all looks stays
    at most ``alpha``.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    est, var = rate_difference(events_old, n_old, events_new, n_new)
    log_lr = mixture_log_lr(est, var, max_increase, tau)
    enough = min(n_old, n_new) >= min_samples
    p_now = float(always_valid_p(log_lr[None], (est > max_increase)[None])[0]) if enough else 1.0
    p = min(float(previous_p), p_now)
    return SequentialLook(
        estimate=float(est),
        log_lr=float(log_lr),
        p_value=p,
        reject=enough and p <= alpha,
        enough_data=enough,
    )


@dataclass(frozen=True)
class ShiftTest:
    """Mann-Whitney U comparison of two latency samples."""

    statistic: float
    """U of the new sample."""
    p_value: float
    prob_new_greater: float
    """``P(new > old) + P(new == old)/2``: 0.5 when the distributions match."""
    alternative: str


def latency_shift_test(
    old: npt.ArrayLike,
    new: npt.ArrayLike,
    *,
    alternative: Literal["greater", "less", "two-sided"] = "greater",
) -> ShiftTest:
    """Mann-Whitney U test that the new arm's latencies are shifted up (``greater``) from the old.

    A wrapper of ``scipy.stats.mannwhitneyu`` (asymptotic with tie and continuity corrections
    for large samples, exact for small ones), with the common-language effect size.
    """
    o, w = as_sample(old, "old"), as_sample(new, "new")
    from scipy import stats  # deferred: importing scipy costs most of a second

    res = stats.mannwhitneyu(w, o, alternative=alternative)
    u = float(res.statistic)
    return ShiftTest(
        statistic=u,
        p_value=float(res.pvalue),
        prob_new_greater=u / (o.size * w.size),
        alternative=alternative,
    )
