"""Percentiles (p95 latency) and their distribution-free confidence intervals.

The point estimate is numpy's default percentile (linear interpolation between order
statistics, Hyndman & Fan 1996 type 7). The interval uses order statistics only: for the
q-quantile ξ and ``B ~ Binomial(n, q)``, ``P(X(l) <= ξ < X(u)) = P(l <= B <= u - 1)`` for any
continuous distribution (Conover 1999, "Practical Nonparametric Statistics", §3.2; Hahn &
Meeker 1991, §5.2). Ranks are chosen equal-tailed and conservative in each tail.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from modelswap.stats._validate import as_sample, check_confidence

Side = Literal["upper", "lower"]


def _check_q(q: float) -> float:
    if not 0.0 < q < 100.0:
        raise ValueError(f"percentile must lie strictly between 0 and 100, got {q}")
    return float(q)


def percentile(values: npt.ArrayLike, q: float = 95.0) -> float:
    """The ``q``-th percentile (0–100) exactly as ``numpy.percentile`` computes it by default."""
    return float(np.percentile(as_sample(values), _check_q(q)))


@dataclass(frozen=True)
class QuantileInterval:
    """A distribution-free interval for a percentile, from two order statistics."""

    estimate: float
    """The sample percentile (numpy's definition)."""
    lower: float
    upper: float
    lower_rank: int
    """1-based rank of the order statistic used as the lower bound."""
    upper_rank: int
    """1-based rank of the order statistic used as the upper bound."""
    coverage: float
    """Exact coverage ``P(lower_rank <= B < upper_rank)`` for continuous data (>= confidence)."""


def _ranks(n: int, p: float, confidence: float) -> tuple[int, int, float] | None:
    """1-based ranks (l, u) with each tail <= (1 - confidence)/2, or None if n is too small."""
    tail = (1.0 - confidence) / 2.0
    from scipy import stats  # deferred: importing scipy costs most of a second

    cdf = stats.binom.cdf(np.arange(n + 1), n, p)
    below = np.flatnonzero(cdf <= tail)  # candidates for l - 1
    above = np.flatnonzero(cdf >= 1.0 - tail)  # candidates for u - 1
    if below.size == 0 or above.size == 0 or above[0] + 1 > n:
        return None
    lo, hi = int(below[-1]) + 1, int(above[0]) + 1
    return lo, hi, float(cdf[hi - 1] - cdf[lo - 1])


@functools.lru_cache(maxsize=1024)
def _one_sided_rank(n: int, p: float, tail: float, side: Side) -> int | None:
    """1-based rank of the order statistic bounding the p-quantile from one side with error <= tail."""
    from scipy import stats  # deferred: importing scipy costs most of a second

    cdf = stats.binom.cdf(np.arange(n + 1), n, p)
    if side == "upper":  # P(X(u) < ξ) = P(B >= u) = 1 - cdf(u - 1) <= tail
        above = np.flatnonzero(cdf >= 1.0 - tail)
        return None if above.size == 0 or above[0] + 1 > n else int(above[0]) + 1
    below = np.flatnonzero(cdf <= tail)  # P(X(l) > ξ) = P(B <= l - 1) = cdf(l - 1) <= tail
    return None if below.size == 0 else int(below[-1]) + 1


def min_n_for_quantile_bound(q: float = 95.0, tail: float = 0.0125, side: Side = "upper") -> int:
    """Smallest sample with a one-sided distribution-free bound of the ``q``-th percentile at error ``tail``.

    For the upper bound of p95 that is ``0.95^n <= tail`` (86 at ``tail`` = 1.25 %).
    """
    p = _check_q(q) / 100.0
    if not 0.0 < tail < 0.5:
        raise ValueError(f"tail must be a probability below 0.5 (e.g. 0.025), got {tail}")
    n = int(np.ceil(np.log(tail) / np.log(p if side == "upper" else 1.0 - p)))
    while _one_sided_rank(max(n, 1), p, tail, side) is None:
        n += 1
    return max(n, 1)


def quantile_bound(values: npt.ArrayLike, q: float, tail: float, side: Side) -> float:
    """A one-sided distribution-free confidence bound for the ``q``-th percentile.

    ``side="upper"``: an order statistic that lies below the true percentile with probability at
    most ``tail``; ``"lower"``: one that lies above it with probability at most ``tail``. Exact
    for continuous data and conservative for tied (discrete) data (Conover 1999, §3.2). Raises
    ``ValueError`` when the sample is too small (see ``min_n_for_quantile_bound``).
    """
    x = np.sort(as_sample(values))
    p = _check_q(q) / 100.0
    if not 0.0 < tail < 0.5:
        raise ValueError(f"tail must be a probability below 0.5 (e.g. 0.025), got {tail}")
    rank = _one_sided_rank(x.size, p, tail, side)
    if rank is None:
        need = min_n_for_quantile_bound(q, tail, side)
        raise ValueError(f"{x.size} values are too few for an {side} bound of p{q:g}; at least {need} are needed")
    return float(x[rank - 1])


def min_n_for_quantile_interval(q: float = 95.0, confidence: float = 0.95) -> int:
    """Smallest sample size for which a two-sided distribution-free interval exists (72 for p95 at 95 %)."""
    p = _check_q(q) / 100.0
    tail = (1.0 - check_confidence(confidence)) / 2.0
    # Both tails need an order statistic outside them: p^n <= tail and (1 - p)^n <= tail.
    n = int(np.ceil(max(np.log(tail) / np.log(p), np.log(tail) / np.log(1.0 - p))))
    while _ranks(n, p, confidence) is None:
        n += 1
    return n


def quantile_interval(values: npt.ArrayLike, q: float = 95.0, confidence: float = 0.95) -> QuantileInterval:
    """Distribution-free confidence interval for the ``q``-th percentile from order statistics.

    Raises ``ValueError`` when the sample is too small for any such interval
    (see ``min_n_for_quantile_interval``).
    """
    x = np.sort(as_sample(values))
    p = _check_q(q) / 100.0
    check_confidence(confidence)
    ranks = _ranks(x.size, p, confidence)
    if ranks is None:
        need = min_n_for_quantile_interval(q, confidence)
        raise ValueError(
            f"{x.size} values are too few for a {confidence:.0%} interval of p{q:g}; at least {need} are needed"
        )
    lo, hi, coverage = ranks
    return QuantileInterval(
        estimate=float(np.percentile(x, q)),
        lower=float(x[lo - 1]),
        upper=float(x[hi - 1]),
        lower_rank=lo,
        upper_rank=hi,
        coverage=coverage,
    )
