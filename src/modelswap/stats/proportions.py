"""Confidence intervals for one binomial proportion (one model's pass rate).

Wilson's score interval (Wilson 1927), with or without continuity correction, as given by
Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
seven methods", Stat Med 17:857–872, methods 3 and 4.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from modelswap.stats._validate import check_confidence, check_count
from modelswap.stats.interval import Interval

FloatArray = npt.NDArray[np.float64]


def z_two_sided(confidence: float) -> float:
    """The standard-normal quantile for a two-sided interval at ``confidence`` (1.96 at 0.95)."""
    return NormalDist().inv_cdf(0.5 + check_confidence(confidence) / 2.0)


def wilson_bounds(
    successes: npt.ArrayLike,
    n: npt.ArrayLike,
    confidence: float = 0.95,
    *,
    continuity: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Vectorised Wilson score bounds for ``successes / n`` (Newcombe 1998, methods 3 and 4).

    Inputs broadcast; every ``n`` must be at least 1. Returns ``(lower, upper)`` arrays.
    """
    x = np.asarray(successes, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    if np.any(m < 1):
        raise ValueError("every n must be at least 1")
    if np.any((x < 0) | (x > m)):
        raise ValueError("successes must lie between 0 and n")
    z = z_two_sided(confidence)
    z2 = z * z
    p = x / m
    q = 1.0 - p
    denom = 2.0 * (m + z2)
    if not continuity:
        centre = 2.0 * m * p + z2
        half = z * np.sqrt(z2 + 4.0 * m * p * q)
        lower, upper = (centre - half) / denom, (centre + half) / denom
    else:
        lower, upper = _corrected(m, p, q, z, z2, denom)
    # At x = 0 and x = n the bounds are exactly 0 and 1; pin them against rounding.
    return np.where(x == 0, 0.0, np.clip(lower, 0.0, 1.0)), np.where(x == m, 1.0, np.clip(upper, 0.0, 1.0))


def _corrected(
    m: FloatArray, p: FloatArray, q: FloatArray, z: float, z2: float, denom: FloatArray
) -> tuple[FloatArray, FloatArray]:
    with np.errstate(invalid="ignore"):
        lower = (
            2.0 * m * p + z2 - 1.0 - z * np.sqrt(np.maximum(z2 - 2.0 - 1.0 / m + 4.0 * p * (m * q + 1.0), 0))
        ) / denom
        upper = (
            2.0 * m * p + z2 + 1.0 + z * np.sqrt(np.maximum(z2 + 2.0 - 1.0 / m + 4.0 * p * (m * q - 1.0), 0))
        ) / denom
    return lower, upper


def wilson_interval(successes: int, n: int, confidence: float = 0.95, *, continuity: bool = False) -> Interval:
    """Wilson score interval for one proportion, e.g. a model's pass rate on a golden set.

    ``continuity=True`` gives the continuity-corrected form (Newcombe 1998, method 4), which is
    more conservative. Worked example (Newcombe 1998): 81/263 → [0.2553, 0.3662].
    """
    check_count(successes, n)
    lower, upper = wilson_bounds(successes, n, confidence, continuity=continuity)
    return Interval(float(lower), float(upper))
