"""Seeded, vectorised bootstrap intervals for p95 ratios and mean costs.

Percentile and BCa intervals (Efron & Tibshirani 1993, "An Introduction to the Bootstrap",
ch. 13–14; the BCa acceleration from jackknife influence values, with the multi-sample form of
Davison & Hinkley 1997, "Bootstrap Methods and their Application", ch. 5). Unpaired
resampling draws each arm independently; paired resampling draws whole cases, keeping each
case's old and new values together (shadow traffic, eval runs).

For unpaired percentiles no resample is materialised: the k-th smallest of n uniform draws
is ``Beta(k, n - k + 1)`` and the next one follows from it (Rényi's representation), so a
bootstrap percentile costs O(1) per resample instead of O(n).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from modelswap.stats._validate import as_sample, check_confidence

FloatArray = npt.NDArray[np.float64]
Method = Literal["percentile", "bca"]
Seed = int | np.random.Generator

_CHUNK_ELEMENTS = 2_000_000  # bound on the size of one block of materialised resamples


@dataclass(frozen=True)
class BootstrapInterval:
    """A bootstrap confidence interval and how it was produced."""

    estimate: float
    lower: float
    upper: float
    confidence: float
    method: Method
    resamples: int
    paired: bool


# --- resampling --------------------------------------------------------------------------


def _rng(seed: Seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _position(n: int, p: float) -> tuple[int, float]:
    """numpy's linear percentile: 0-based index j and weight of x[j + 1]."""
    h = (n - 1) * p
    j = min(int(np.floor(h)), n - 1)
    return j, h - j


def _quantile_replicates_unpaired(
    sorted_x: FloatArray, p: float, resamples: int, rng: np.random.Generator
) -> FloatArray:
    """Bootstrap replicates of the p-quantile of one sample, via order statistics of uniforms."""
    n = sorted_x.size
    j, frac = _position(n, p)
    k = j + 1  # 1-based rank of the lower order statistic needed
    u_k = rng.beta(k, n - k + 1, size=resamples)
    low = sorted_x[np.minimum((u_k * n).astype(np.int64), n - 1)]
    if frac == 0.0 or k >= n:
        return low
    u_next = u_k + (1.0 - u_k) * rng.beta(1, n - k, size=resamples)
    high = sorted_x[np.minimum((u_next * n).astype(np.int64), n - 1)]
    return low + frac * (high - low)


def _index_blocks(n: int, resamples: int, rng: np.random.Generator) -> Iterator[npt.NDArray[np.intp]]:
    """Resampled case indices, a block of rows at a time so memory stays bounded."""
    rows = max(1, _CHUNK_ELEMENTS // n)
    for start in range(0, resamples, rows):
        yield rng.integers(0, n, size=(min(rows, resamples - start), n), dtype=np.intp)


def _replicates_by_case(
    arrays: Sequence[FloatArray],
    statistic: Callable[[FloatArray], FloatArray],
    resamples: int,
    rng: np.random.Generator,
) -> list[FloatArray]:
    """Resample whole cases (shared indices) and apply ``statistic`` row-wise to each array."""
    n = arrays[0].size
    out: list[list[FloatArray]] = [[] for _ in arrays]
    for idx in _index_blocks(n, resamples, rng):
        for slot, arr in zip(out, arrays, strict=True):
            slot.append(statistic(arr[idx]))
    return [np.concatenate(parts) for parts in out]


def _row_quantile(p: float) -> Callable[[FloatArray], FloatArray]:
    """Row-wise numpy percentile via a partial sort (several times faster than ``np.quantile``)."""

    def stat(block: FloatArray) -> FloatArray:
        j, frac = _position(block.shape[1], p)
        kth = [j, j + 1] if j + 1 < block.shape[1] else [j]
        part = np.partition(block, kth, axis=1)
        low = part[:, j]
        return low if frac == 0.0 else low + frac * (part[:, j + 1] - low)

    return stat


def _row_mean(block: FloatArray) -> FloatArray:
    return np.asarray(block.mean(axis=1), dtype=np.float64)


# --- jackknife (for the BCa acceleration) -------------------------------------------------


def _leave_one_out_quantiles(x: FloatArray, p: float) -> FloatArray:
    """The p-quantile of x with case i removed, for every i (O(n), exact for numpy's definition)."""
    n = x.size
    order = np.argsort(x, kind="stable")
    s = x[order]
    j, frac = _position(n - 1, p)
    removed = np.arange(n)  # rank of the removed value in s
    # In the remaining n-1 values, the value at index k is s[k] if k < r else s[k+1].
    lo = np.where(j < removed, s[j], s[min(j + 1, n - 1)])
    hi_idx = min(j + 1, n - 2)
    hi = np.where(hi_idx < removed, s[hi_idx], s[min(hi_idx + 1, n - 1)])
    by_rank = lo + frac * (hi - lo)
    out = np.empty(n)
    out[order] = by_rank
    return out


def _leave_one_out_means(x: FloatArray) -> FloatArray:
    return np.asarray((x.sum() - x) / (x.size - 1), dtype=np.float64)


def _acceleration(groups: Sequence[FloatArray]) -> float:
    """BCa acceleration from the jackknife values of each independent sample.

    ``a = Σ_g n_g⁻³ Σ l³ / (6 (Σ_g n_g⁻² Σ l²)^{3/2})`` with ``l = (n_g - 1)(mean - jackknife value)``
    (Davison & Hinkley 1997, ch. 5); one sample gives Efron & Tibshirani's formula (1993, §14.3).
    """
    num = 0.0
    den = 0.0
    for jack in groups:
        n = jack.size
        if n < 2:
            continue
        infl = (n - 1) * (jack.mean() - jack)
        num += float(np.sum(infl**3)) / n**3
        den += float(np.sum(infl**2)) / n**2
    if den <= 0.0:
        return 0.0
    return float(num / (6.0 * den**1.5))


# --- intervals from replicates -------------------------------------------------------------


def _interval(
    estimate: float,
    replicates: FloatArray,
    confidence: float,
    method: Method,
    jackknife: Sequence[FloatArray],
    paired: bool,
) -> BootstrapInterval:
    if not np.all(np.isfinite(replicates)):
        raise ValueError("bootstrap replicates are not finite (is the old arm's statistic zero?)")
    tail = (1.0 - confidence) / 2.0
    probs = np.array([tail, 1.0 - tail])
    used: Method = method
    if method == "bca":
        below = np.count_nonzero(replicates < estimate) + 0.5 * np.count_nonzero(replicates == estimate)
        frac = below / replicates.size
        if 0.0 < frac < 1.0:
            from scipy import stats  # deferred: importing scipy costs most of a second

            z0 = float(stats.norm.ppf(frac))
            a = _acceleration(jackknife)
            zq = stats.norm.ppf(probs)
            probs = stats.norm.cdf(z0 + (z0 + zq) / (1.0 - a * (z0 + zq)))
        else:  # every replicate on one side: no bias correction possible
            used = "percentile"
    lower, upper = np.quantile(replicates, probs)
    return BootstrapInterval(
        estimate=estimate,
        lower=float(lower),
        upper=float(upper),
        confidence=confidence,
        method=used,
        resamples=int(replicates.size),
        paired=paired,
    )


def _check(method: str, resamples: int, confidence: float) -> None:
    check_confidence(confidence)
    if method not in ("percentile", "bca"):
        raise ValueError(f"unknown bootstrap method {method!r}; expected 'percentile' or 'bca'")
    if resamples < 100:
        raise ValueError(f"use at least 100 resamples (2000 is usual), got {resamples}")


def _pair(old: npt.ArrayLike, new: npt.ArrayLike, paired: bool) -> tuple[FloatArray, FloatArray]:
    o, w = as_sample(old, "old"), as_sample(new, "new")
    if paired and o.size != w.size:
        raise ValueError(f"paired resampling needs one old and one new value per case; got {o.size} and {w.size}")
    if min(o.size, w.size) < 2:
        raise ValueError("each arm needs at least two values for a bootstrap interval")
    return o, w


# --- public functions ----------------------------------------------------------------------


def quantile_ratio_interval(
    old: npt.ArrayLike,
    new: npt.ArrayLike,
    q: float = 95.0,
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: Seed = 0,
    paired: bool = False,
    method: Method = "bca",
) -> BootstrapInterval:
    """Bootstrap interval for ``percentile(new, q) / percentile(old, q)`` (e.g. p95 latency).

    ``paired=True`` resamples cases (old[i], new[i]) together; otherwise each arm on its own.
    """
    _check(method, resamples, confidence)
    if not 0.0 < q < 100.0:
        raise ValueError(f"percentile must lie strictly between 0 and 100, got {q}")
    o, w = _pair(old, new, paired)
    p = q / 100.0
    rng = _rng(seed)
    est_o, est_w = float(np.percentile(o, q)), float(np.percentile(w, q))
    if est_o <= 0.0:
        raise ValueError(f"the old arm's p{q:g} is {est_o:g}; a ratio needs a positive baseline")
    jack_o, jack_w = _leave_one_out_quantiles(o, p), _leave_one_out_quantiles(w, p)
    if paired:
        rep_o, rep_w = _replicates_by_case([o, w], _row_quantile(p), resamples, rng)
        jackknife = [jack_w / jack_o]
    else:
        rep_o = _quantile_replicates_unpaired(np.sort(o), p, resamples, rng)
        rep_w = _quantile_replicates_unpaired(np.sort(w), p, resamples, rng)
        jackknife = [est_w / jack_o, jack_w / est_o]
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates = rep_w / rep_o
    return _interval(est_w / est_o, replicates, confidence, method, jackknife, paired)


def p95_ratio_interval(
    old: npt.ArrayLike,
    new: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: Seed = 0,
    paired: bool = False,
    method: Method = "bca",
) -> BootstrapInterval:
    """Bootstrap interval for the ratio of p95 values, new / old (e.g. latency)."""
    return quantile_ratio_interval(
        old, new, 95.0, confidence=confidence, resamples=resamples, seed=seed, paired=paired, method=method
    )


def mean_interval(
    values: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: Seed = 0,
    method: Method = "bca",
) -> BootstrapInterval:
    """Bootstrap interval for a mean (e.g. cost per request), robust to the skew of costs."""
    _check(method, resamples, confidence)
    x = as_sample(values)
    if x.size < 2:
        raise ValueError("at least two values are needed for a bootstrap interval")
    (replicates,) = _replicates_by_case([x], _row_mean, resamples, _rng(seed))
    return _interval(float(x.mean()), replicates, confidence, method, [_leave_one_out_means(x)], False)


def mean_ratio_interval(
    old: npt.ArrayLike,
    new: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: Seed = 0,
    paired: bool = False,
    method: Method = "bca",
) -> BootstrapInterval:
    """Bootstrap interval for ``mean(new) / mean(old)`` (e.g. cost per request)."""
    _check(method, resamples, confidence)
    o, w = _pair(old, new, paired)
    rng = _rng(seed)
    mo, mw = float(o.mean()), float(w.mean())
    if mo <= 0.0:
        raise ValueError(f"the old arm's mean is {mo:g}; a ratio needs a positive baseline")
    jack_o, jack_w = _leave_one_out_means(o), _leave_one_out_means(w)
    if paired:
        rep_o, rep_w = _replicates_by_case([o, w], _row_mean, resamples, rng)
        jackknife = [jack_w / jack_o]
    else:
        (rep_o,) = _replicates_by_case([o], _row_mean, resamples, rng)
        (rep_w,) = _replicates_by_case([w], _row_mean, resamples, rng)
        jackknife = [mw / jack_o, jack_w / mo]
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates = rep_w / rep_o
    return _interval(mw / mo, replicates, confidence, method, jackknife, paired)
