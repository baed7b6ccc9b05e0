"""Drawing the review set: stratified by workload, oversampling the pairs that differ most, with the
inclusion probability of every drawn pair kept so estimates speak for the traffic, not the sample.

Allocation: every workload first gets ``floor`` pairs (or all it has), the rest of the budget is
shared in proportion to each workload's number of reviewable pairs (largest remainders).
Within a workload, pair ``i`` has size ``1 + boost · score_i``; inclusion probabilities are
``n_h · size_i / Σ size`` (capped at 1, the excess shared again), and a systematic PPS draw over a
random order realises exactly those probabilities. A drawn pair's weight is ``1 / π_i``: the
number of the workload's pairs it stands for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DEFAULT_SIZE = 200
DEFAULT_FLOOR = 20
DEFAULT_BOOST = 3.0
"""A pair that differs completely (score 1) is four times as likely to be drawn as an identical one."""


@dataclass(frozen=True)
class Candidate:
    """A recorded shadow pair that could be reviewed."""

    pair_id: int
    workload: str
    score: float
    """The diff score in [0, 1] (``review.diffscore.diff_score``)."""


@dataclass(frozen=True)
class Drawn:
    """A pair in the review set, with its inclusion probability and weight."""

    pair_id: int
    workload: str
    score: float
    probability: float
    weight: float


@dataclass(frozen=True)
class SampleSet:
    """The review set and what it stands for."""

    pairs: tuple[Drawn, ...]
    population: Mapping[str, int]
    """Reviewable pairs per workload (the strata)."""
    allocation: Mapping[str, int]
    excluded_no_body: int
    """Shadow pairs left out because their bodies were not recorded."""
    seed: int


def allocate(population: Mapping[str, int], size: int, floor: int = DEFAULT_FLOOR) -> dict[str, int]:
    """Pairs to draw per workload: ``floor`` each (or all it has), the rest in proportion to volume.

    Never more than a workload has; the total is ``min(size, Σ population)``.
    """
    if size < 0 or floor < 0:
        raise ValueError("size and floor must not be negative")
    if any(n < 0 for n in population.values()):
        raise ValueError("pair counts must not be negative")
    total = min(size, sum(population.values()))
    names = sorted(population)
    out = {w: min(floor, population[w]) for w in names}
    if sum(out.values()) > total:  # the floors alone overshoot: share the budget evenly instead
        out = dict.fromkeys(names, 0)
        left = total
        while left:
            for w in names:
                if left and out[w] < population[w]:
                    out[w] += 1
                    left -= 1
        return out
    while (left := total - sum(out.values())) > 0:
        room = {w: population[w] - out[w] for w in names if population[w] > out[w]}
        volume = sum(population[w] for w in room)
        shares = {w: left * population[w] / volume for w in room}
        extra = {w: min(room[w], int(shares[w])) for w in room}
        by_remainder = sorted(room, key=lambda w: (-(shares[w] - int(shares[w])), -population[w], w))
        spare = left - sum(extra.values())
        for w in by_remainder:
            if spare and extra[w] < room[w]:
                extra[w] += 1
                spare -= 1
        for w, k in extra.items():
            out[w] += k
    return out


def inclusion_probabilities(sizes: npt.ArrayLike, n: int) -> npt.NDArray[np.float64]:
    """``π_i = n · s_i / Σ s`` with any ``π > 1`` capped at 1 and the excess shared again; Σ π = n."""
    s = np.asarray(sizes, dtype=np.float64)
    if np.any(s <= 0) or not np.all(np.isfinite(s)):
        raise ValueError("sizes must be positive and finite")
    if not 0 <= n <= s.size:
        raise ValueError(f"cannot draw {n} of {s.size} units")
    pi = np.zeros_like(s)
    certain = np.zeros(s.size, dtype=bool)
    while True:
        rest = n - certain.sum()
        free = ~certain
        pi[free] = rest * s[free] / s[free].sum() if rest else 0.0
        pi[certain] = 1.0
        over = free & (pi >= 1.0)
        if not over.any():
            return pi
        certain |= over


def systematic_pps(pi: npt.NDArray[np.float64], rng: np.random.Generator) -> npt.NDArray[np.intp]:
    """Indices drawn so that unit ``i`` is in the sample with probability ``pi[i]`` (Σ pi integral)."""
    n = round(float(pi.sum()))
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    order = rng.permutation(pi.size)
    cumulative = np.cumsum(pi[order])
    cumulative *= n / cumulative[-1]  # absorb rounding so the last edge is exactly n
    points = rng.uniform() + np.arange(n)
    picked = np.searchsorted(cumulative, points, side="right")
    return np.sort(order[np.minimum(picked, pi.size - 1)])


def draw_sample(
    candidates: Sequence[Candidate],
    *,
    size: int = DEFAULT_SIZE,
    floor: int = DEFAULT_FLOOR,
    boost: float = DEFAULT_BOOST,
    seed: int = 0,
    excluded_no_body: int = 0,
) -> SampleSet:
    """Draw the review set from reviewable pairs (seeded, so a stored set can be redrawn exactly)."""
    if boost < 0:
        raise ValueError("boost must not be negative")
    rng = np.random.default_rng(seed)
    strata: dict[str, list[Candidate]] = {}
    for c in sorted(candidates, key=lambda c: c.pair_id):
        strata.setdefault(c.workload, []).append(c)
    population = {w: len(cs) for w, cs in strata.items()}
    allocation = allocate(population, size, floor)
    drawn: list[Drawn] = []
    for w in sorted(strata):
        members = strata[w]
        sizes = 1.0 + boost * np.clip([c.score for c in members], 0.0, 1.0)
        pi = inclusion_probabilities(sizes, allocation[w])
        for i in systematic_pps(pi, rng):
            c = members[int(i)]
            drawn.append(Drawn(c.pair_id, w, c.score, float(pi[i]), 1.0 / float(pi[i])))
    return SampleSet(tuple(drawn), population, allocation, excluded_no_body, seed)
