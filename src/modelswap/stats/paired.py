"""Old vs new on the same cases: discordance, paired intervals for the difference, McNemar.

The difference is always ``new - old`` in pass rate. In Newcombe's notation the 2×2 table of
(new, old) outcomes is ``e`` = both pass, ``f`` = only new passes, ``g`` = only old passes,
``h`` = neither, and the difference is ``(f - g) / n``.

- Newcombe RG (1998), "Improved confidence intervals for the difference between binomial
  proportions based on paired data", Stat Med 17:2635–2650, method 10 (hybrid score).
- Tango T (1998), "Equivalence test and confidence interval for the difference in proportions
  for the paired-sample design", Stat Med 17:891–908, with the correction in Tango (1999),
  Stat Med 18:3511–3513 (asymptotic score interval from the restricted MLE).
- McNemar's test in its exact conditional form: a binomial test on the discordant pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from modelswap.stats._validate import as_outcomes, check_confidence
from modelswap.stats.interval import Interval
from modelswap.stats.proportions import FloatArray, wilson_bounds, z_two_sided


@dataclass(frozen=True)
class Discordance:
    """Counts of the paired 2×2 table of (new, old) outcomes."""

    both: int
    """Cases both models pass (Newcombe's e)."""
    new_only: int
    """Cases only the new model passes (f)."""
    old_only: int
    """Cases only the old model passes (g)."""
    neither: int
    """Cases both models fail (h)."""

    def __post_init__(self) -> None:
        if min(self.both, self.new_only, self.old_only, self.neither) < 0:
            raise ValueError(f"counts must be non-negative, got {self}")

    @property
    def n(self) -> int:
        """Number of paired cases."""
        return self.both + self.new_only + self.old_only + self.neither

    @property
    def discordant(self) -> int:
        """Cases where the two models disagree."""
        return self.new_only + self.old_only

    @property
    def p_new(self) -> float:
        """The new model's pass rate."""
        return (self.both + self.new_only) / self.n

    @property
    def p_old(self) -> float:
        """The old model's pass rate."""
        return (self.both + self.old_only) / self.n

    @property
    def difference(self) -> float:
        """``p_new - p_old``, a proportion (multiply by 100 for points)."""
        return (self.new_only - self.old_only) / self.n


def discordance(old: npt.ArrayLike, new: npt.ArrayLike) -> Discordance:
    """Tally paired pass/fail outcomes of the old and the new model on the same cases."""
    o = as_outcomes(old, "old")
    w = as_outcomes(new, "new")
    if o.shape != w.shape:
        raise ValueError(f"old and new must score the same cases; got {o.size} and {w.size} outcomes")
    return Discordance(
        both=int(np.count_nonzero(o & w)),
        new_only=int(np.count_nonzero(w & ~o)),
        old_only=int(np.count_nonzero(o & ~w)),
        neither=int(np.count_nonzero(~o & ~w)),
    )


def _require_cases(table: Discordance) -> None:
    if table.n == 0:
        raise ValueError("no paired cases; the difference of pass rates is undefined")


# --- Newcombe (1998), method 10 -------------------------------------------------------------


def newcombe_paired_bounds(
    both: npt.ArrayLike,
    new_only: npt.ArrayLike,
    old_only: npt.ArrayLike,
    neither: npt.ArrayLike,
    confidence: float = 0.95,
) -> tuple[FloatArray, FloatArray]:
    """Vectorised Newcombe (1998) method-10 bounds for ``p_new - p_old``.

    Square-and-add of the two marginal Wilson intervals, with the correlation estimate φ
    corrected as in the paper: ``ad - bc`` is reduced by ``n/2`` when it exceeds ``n/2``,
    set to 0 when between 0 and ``n/2``, and φ is 0 when a margin is empty.
    """
    e, f, g, h = (np.asarray(v, dtype=np.float64) for v in (both, new_only, old_only, neither))
    n = e + f + g + h
    if np.any(n < 1):
        raise ValueError("every table needs at least one paired case")
    p1, p2 = (e + f) / n, (e + g) / n
    l1, u1 = wilson_bounds(e + f, n, confidence)
    l2, u2 = wilson_bounds(e + g, n, confidence)
    margins = (e + f) * (g + h) * (e + g) * (f + h)
    a = e * h - f * g
    numerator = np.where(a > n / 2, a - n / 2, np.where(a >= 0, 0.0, a))
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(margins > 0, numerator / np.sqrt(np.where(margins > 0, margins, 1.0)), 0.0)
    d = p1 - p2
    dl, du = p1 - l1, u1 - p1  # distances to the new model's Wilson bounds
    el, eu = p2 - l2, u2 - p2  # and to the old model's
    lower = d - np.sqrt(np.maximum(dl**2 - 2 * phi * dl * eu + eu**2, 0.0))
    upper = d + np.sqrt(np.maximum(du**2 - 2 * phi * du * el + el**2, 0.0))
    return np.maximum(lower, -1.0), np.minimum(upper, 1.0)


def newcombe_paired_interval(table: Discordance, confidence: float = 0.95) -> Interval:
    """Newcombe's hybrid score interval for the paired difference (Newcombe 1998, method 10).

    Example (Newcombe 1998, Table II): e, f, g, h = 36, 12, 2, 0 → [0.0569, 0.3404].
    """
    _require_cases(table)
    lower, upper = newcombe_paired_bounds(table.both, table.new_only, table.old_only, table.neither, confidence)
    return Interval(float(lower), float(upper))


# --- Tango (1998) ---------------------------------------------------------------------------


def tango_score(new_only: npt.ArrayLike, old_only: npt.ArrayLike, n: npt.ArrayLike, theta: npt.ArrayLike) -> FloatArray:
    """Tango's score statistic for H0: ``p_new - p_old = theta`` (vectorised, Tango 1998/1999).

    ``Z = (f - g - n·θ) / sqrt(n·(2·q̃ + θ(1 - θ)))`` where ``q̃`` is the MLE of the
    old-only cell probability under H0. ``Z`` decreases in ``θ``; a one-sided test of
    ``θ <= θ0`` rejects when ``Z(θ0) > z``.
    """
    f, g, m, th = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (new_only, old_only, n, theta)))
    a = 2.0 * m
    b = -f - g + (2.0 * m - f + g) * th
    c = -g * th * (1.0 - th)
    q = (-b + np.sqrt(np.maximum(b * b - 4.0 * a * c, 0.0))) / (2.0 * a)
    var = np.maximum(m * (2.0 * q + th * (1.0 - th)), 0.0)
    s = (f - g) - m * th
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, s / np.sqrt(np.where(var > 0, var, 1.0)), np.sign(s) * np.inf)
    return np.where(s == 0, 0.0, z)


def _tango_scalar(f: int, g: int, n: int, theta: float) -> float:
    # Scalar twin of tango_score (pure floats): root finding calls it many times.
    a = 2.0 * n
    b = -f - g + (2.0 * n - f + g) * theta
    c = -g * theta * (1.0 - theta)
    q = (-b + math.sqrt(max(b * b - 4.0 * a * c, 0.0))) / (2.0 * a)
    var = n * (2.0 * q + theta * (1.0 - theta))
    s = (f - g) - n * theta
    if s == 0:
        return 0.0
    if var <= 0:
        return math.copysign(math.inf, s)
    return s / math.sqrt(var)


def tango_interval(table: Discordance, confidence: float = 0.95) -> Interval:
    """Tango's asymptotic score interval for the paired difference ``p_new - p_old``.

    The set of θ whose score test is not rejected at ``1 - confidence`` (two-sided).
    Example (Fagerland, Lydersen & Laake 2014, Cavo et al. data, e,f,g,h = 59, 6, 16, 80):
    [-0.1240, -0.0054].
    """
    _require_cases(table)
    z = z_two_sided(confidence)
    f, g, n = table.new_only, table.old_only, table.n
    est = table.difference
    edge = 1.0 - 1e-12

    def lower_root(theta: float) -> float:
        return _tango_scalar(f, g, n, theta) - z

    def upper_root(theta: float) -> float:
        return _tango_scalar(f, g, n, theta) + z

    from scipy import optimize  # deferred: importing scipy costs most of a second

    lower = -1.0 if lower_root(-edge) <= 0 else float(optimize.brentq(lower_root, -edge, est, xtol=1e-12))
    upper = 1.0 if upper_root(edge) >= 0 else float(optimize.brentq(upper_root, est, edge, xtol=1e-12))
    return Interval(lower, upper)


def paired_difference_interval(table: Discordance, confidence: float = 0.95, method: str = "tango") -> Interval:
    """The paired interval for ``p_new - p_old`` by ``method``: ``"tango"`` or ``"newcombe"``."""
    check_confidence(confidence)
    if method == "tango":
        return tango_interval(table, confidence)
    if method == "newcombe":
        return newcombe_paired_interval(table, confidence)
    raise ValueError(f"unknown paired interval method {method!r}; expected 'tango' or 'newcombe'")


# --- McNemar ------------------------------------------------------------------------------


def mcnemar_exact(table: Discordance, *, mid_p: bool = False) -> float:
    """Two-sided exact McNemar p-value: a binomial(f + g, 1/2) test on the discordant pairs.

    ``mid_p=True`` subtracts the probability of the observed split (Lancaster's mid-p), which is
    less conservative. With no discordant pairs there is no evidence of a difference: p = 1.
    Example (Fagerland et al. 2014, Cavo data, f=6, g=16): p = 0.052479, mid-p = 0.034690.
    """
    k = table.discordant
    if k == 0:
        return 1.0
    low = min(table.new_only, table.old_only)
    from scipy import special  # deferred: importing scipy costs most of a second

    cdf = float(special.bdtr(low, k, 0.5))
    p = 2.0 * cdf
    if mid_p:  # subtract P(X = low) = cdf(low) - cdf(low - 1)
        p -= cdf - (float(special.bdtr(low - 1, k, 0.5)) if low > 0 else 0.0)
    return min(p, 1.0)
