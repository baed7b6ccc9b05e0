"""A weighted share with its interval: the share of traffic where the new model is worse, from review
verdicts weighted by their sampling weights.

Point estimate: the Hájek (ratio) form of the Horvitz–Thompson estimator, ``Σ w·y / Σ w``, where
``y`` is the share of a pair's reviewers who found the new answer worse and ``w`` its sampling
weight. Interval: Wilson's score interval evaluated at Kish's effective sample size
``n_eff = (Σ w)² / Σ w²`` (Kish 1965; Korn & Graubard 1998 for the Wilson form). docs/review.md says
why this one rather than a Wald interval with a linearised variance: it stays inside [0, 1] and
keeps its width when no reviewer has yet found the new model worse — a Wald interval collapses
to zero width there and would let a gate pass on a handful of verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from modelswap.stats.proportions import wilson_bounds

METHOD = "Wilson interval at Kish's effective sample size (Hájek estimate)"


@dataclass(frozen=True)
class WorseShare:
    """Estimated share (0–1) of traffic where the new model's answer is worse than the old one's."""

    estimate: float
    lower: float
    upper: float
    confidence: float
    n: int
    """Reviewed pairs."""
    n_effective: float
    """Kish's effective sample size; ``n`` when all weights are equal."""
    worse: float
    """Reviewed pairs judged worse (fractional when reviewers split)."""


def _arrays(worse: npt.ArrayLike, weights: npt.ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(worse, dtype=np.float64).ravel()
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if y.shape != w.shape:
        raise ValueError(f"{y.size} outcomes but {w.size} weights")
    if not (np.all(np.isfinite(y)) and np.all((y >= 0) & (y <= 1))):
        raise ValueError("each outcome must be a share between 0 and 1")
    if not (np.all(np.isfinite(w)) and np.all(w > 0)):
        raise ValueError("weights must be positive and finite")
    return y, w


def kish_effective_size(weights: npt.ArrayLike) -> float:
    """``(Σ w)² / Σ w²``: how many equally weighted cases the weighted sample is worth."""
    w = np.asarray(weights, dtype=np.float64)
    return float(w.sum() ** 2 / np.square(w).sum()) if w.size else 0.0


def worse_share(worse: npt.ArrayLike, weights: npt.ArrayLike | None = None, confidence: float = 0.95) -> WorseShare:
    """Weighted share of traffic where the new model is worse, with its two-sided interval.

    ``worse[i]`` is 1 when pair ``i``'s reviewers found the new answer worse, 0 when not, a
    fraction when they split; ``weights[i]`` is the pair's sampling weight (1 / inclusion
    probability). With no pairs the interval is the whole [0, 1].
    """
    y, w = _arrays(worse, weights)
    if y.size == 0:
        return WorseShare(0.0, 0.0, 1.0, confidence, 0, 0.0, 0.0)
    p = float(np.dot(w, y) / w.sum())
    n_eff = kish_effective_size(w)
    lo, hi = wilson_bounds(p * n_eff, n_eff, confidence)
    return WorseShare(p, float(lo), float(hi), confidence, int(y.size), n_eff, float(y.sum()))


def effective_size_to_decide(p: float, limit: float, confidence: float, *, ceiling: float = 1e7) -> float | None:
    """The smallest effective sample size at which the Wilson interval around ``p`` excludes ``limit``.

    None when ``p == limit`` (no sample size separates them) or more than ``ceiling`` is needed.
    """
    if p == limit:
        return None
    side = 1 if p < limit else 0  # p below the limit: the upper bound must drop under it

    def decided(m: float) -> bool:
        lo, hi = wilson_bounds(p * m, m, confidence)
        return bool(hi < limit) if side else bool(lo > limit)

    low, high = 1.0, 2.0
    while not decided(high):
        if high > ceiling:
            return None
        low, high = high, high * 2
    while high - low > 0.5:
        mid = (low + high) / 2
        low, high = (low, mid) if decided(mid) else (mid, high)
    return high
