"""An order-statistic interval for the ratio of two percentiles (p95 latency new / old).

Each arm's percentile gets one-sided distribution-free bounds from its order statistics
(Conover 1999, §3.2), each wrong with probability at most ``(1 - confidence) / 2``. On the log
scale their distances from the estimates act as the arms' margins of error and are combined in
quadrature, as Price & Bonett (2002, "Distribution-free confidence intervals for difference and
ratio of medians", J Stat Comput Simul 72:119–124) do for medians::

    log upper = log(new/old) + sqrt(log(U_new/p95_new)^2 + log(p95_old/L_old)^2)

This is valid for independent arms and conservative when the arms are positively associated
(the same cases answered by both models). By simulation (``tests/stats/test_quantile_ratio.py``)
a gate passing when the whole interval lies at or below a limit passes falsely 0.3–2.1 % of the
time at the limit for n from 72 to 1,000 and tail shapes from lognormal σ 0.2 to 1.2 — never above
the nominal 2.5 %, unlike the BCa bootstrap of p95 it replaces (3.4–3.7 % at n = 72, 2.9 % at
n = 100).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from modelswap.stats._validate import as_sample, check_confidence
from modelswap.stats.percentiles import min_n_for_quantile_bound, quantile_bound


@dataclass(frozen=True)
class QuantileRatioInterval:
    """The ratio of two percentiles, new / old, with its distribution-free bounds."""

    estimate: float
    lower: float
    upper: float
    """``inf`` when the old arm's lower bound is 0."""
    confidence: float
    n_old: int
    n_new: int


def min_n_for_quantile_ratio(q: float = 95.0, confidence: float = 0.95) -> int:
    """Fewest values per arm for the interval (86 for p95 at 95 %: ``0.95^n <= 1.25 %``)."""
    tail = (1.0 - check_confidence(confidence)) / 2.0
    return max(min_n_for_quantile_bound(q, tail, "upper"), min_n_for_quantile_bound(q, tail, "lower"))


def _divide(a: float, b: float) -> float:
    return a / b if b > 0 else math.inf


def quantile_ratio_bounds(
    old: npt.ArrayLike, new: npt.ArrayLike, q: float = 95.0, confidence: float = 0.95
) -> QuantileRatioInterval:
    """Interval for ``percentile(new, q) / percentile(old, q)`` covering the true ratio with
    probability at least ``confidence`` (values must be non-negative, e.g. latencies)."""
    tail = (1.0 - check_confidence(confidence)) / 2.0
    o, w = as_sample(old, "old values"), as_sample(new, "new values")
    if np.any(o < 0) or np.any(w < 0):
        raise ValueError("a ratio of percentiles needs non-negative values (latencies, costs)")
    est_o, est_w = float(np.percentile(o, q)), float(np.percentile(w, q))
    if est_o <= 0:
        raise ValueError(f"the old arm's p{q:g} is {est_o:g}; a ratio needs a positive baseline")
    if est_w <= 0:
        return QuantileRatioInterval(0.0, 0.0, _divide(quantile_bound(w, q, tail, "upper"), est_o), confidence,
                                     int(o.size), int(w.size))  # fmt: skip
    up = _log_gap(quantile_bound(w, q, tail, "upper"), est_w), _log_gap(est_o, quantile_bound(o, q, tail, "lower"))
    down = _log_gap(est_w, quantile_bound(w, q, tail, "lower")), _log_gap(quantile_bound(o, q, tail, "upper"), est_o)
    log_ratio = math.log(est_w / est_o)
    return QuantileRatioInterval(
        estimate=est_w / est_o,
        lower=math.exp(log_ratio - math.hypot(*down)),
        upper=math.exp(log_ratio + math.hypot(*up)),
        confidence=confidence,
        n_old=int(o.size),
        n_new=int(w.size),
    )


def _log_gap(high: float, low: float) -> float:
    """``log(high / low)`` (≥ 0), infinite when ``low`` is 0."""
    return math.log(high / low) if low > 0 else math.inf
