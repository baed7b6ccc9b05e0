"""Calibrating a cascade's threshold on the golden set: pick it on one split, verify it on the other.

Pure: every golden case has been answered by the cheap and the strong model (pass/fail and cost
each) and the signal has rated the cheap answer. At a threshold ``t`` the cascade keeps the cheap
answer when the confidence is at least ``t``, else escalates (paying for the strong call, and for
the cheap one too when the signal needed its answer). On split A the threshold with the lowest
mean cost whose routed pass rate is non-inferior to the strong model's (lower bound of Tango's
paired interval above −margin) is chosen; split B then reports, for that threshold alone, the
pass-rate difference, the cost ratio (BCa bootstrap of mean cost, paired) and the escalation share
(Wilson), so the figures a team reads were not used to pick the threshold.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from modelswap.stats.bootstrap import mean_ratio_interval
from modelswap.stats.interval import Interval
from modelswap.stats.paired import discordance, tango_interval
from modelswap.stats.proportions import wilson_interval

__all__ = [
    "Calibration",
    "CaseOutcome",
    "CurvePoint",
    "Verification",
    "calibrate",
    "curve",
    "split_cases",
    "split_ids",
    "thin",
]

MIN_SPLIT_CASES = 10
"""Fewest cases on either side of the split: below it neither picking nor verifying means anything."""


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """One golden case answered by both models, and the signal's confidence in the cheap answer."""

    case_id: str
    cheap_pass: bool
    strong_pass: bool
    cheap_cost: float
    strong_cost: float
    confidence: float


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """The cascade at one threshold: how much stays on the cheap model, how good, how dear."""

    threshold: float
    share_cheap: float
    pass_rate: float
    strong_pass_rate: float
    mean_cost: float
    cost_ratio: float
    """Mean routed cost / mean strong cost (1 − saving)."""


@dataclass(frozen=True, slots=True)
class Verification:
    """The chosen threshold on the held-out split, with intervals."""

    n: int
    pass_rate: float
    strong_pass_rate: float
    difference: Interval
    """Routed − strong pass rate (points), Tango's paired interval."""
    difference_estimate: float
    cost_ratio: float
    cost_ratio_interval: Interval
    escalation: float
    escalation_interval: Interval
    non_inferior: bool
    """The lower bound of the difference lies above −margin."""

    @property
    def saving(self) -> float:
        """1 − mean routed cost / mean strong cost."""
        return 1.0 - self.cost_ratio

    @property
    def saving_interval(self) -> Interval:
        """The saving's interval (from the cost ratio's)."""
        return Interval(1.0 - self.cost_ratio_interval.upper, 1.0 - self.cost_ratio_interval.lower)


@dataclass(frozen=True, slots=True)
class Calibration:
    """What ``calibrate`` decided and why."""

    threshold: float | None
    """None when no threshold keeps the routed pass rate within the margin on split A."""
    margin_points: float
    confidence: float
    needs_answer: bool
    seed: int
    split: float
    picked_on: int
    curve: tuple[CurvePoint, ...]
    """Every candidate threshold on all cases, most kept on the cheap model first."""
    verification: Verification | None


def _routed(
    cases: Sequence[CaseOutcome], threshold: float, needs_answer: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(routed pass, routed cost, escalated) per case at ``threshold``."""
    conf = np.array([c.confidence for c in cases], dtype=np.float64)
    keep = conf >= threshold
    cheap_pass = np.array([c.cheap_pass for c in cases], dtype=bool)
    strong_pass = np.array([c.strong_pass for c in cases], dtype=bool)
    cheap_cost = np.array([c.cheap_cost for c in cases], dtype=np.float64)
    strong_cost = np.array([c.strong_cost for c in cases], dtype=np.float64)
    escalated_cost = strong_cost + (cheap_cost if needs_answer else 0.0)
    return np.where(keep, cheap_pass, strong_pass), np.where(keep, cheap_cost, escalated_cost), ~keep


def candidates(cases: Sequence[CaseOutcome]) -> list[float]:
    """Thresholds worth trying: 0 (keep every cheap answer) and each distinct confidence, ascending."""
    return sorted({0.0, *(min(max(c.confidence, 0.0), 1.0) for c in cases)})


def curve(cases: Sequence[CaseOutcome], needs_answer: bool) -> tuple[CurvePoint, ...]:
    """The cost–quality curve: one point per candidate threshold."""
    strong_pass = float(np.mean([c.strong_pass for c in cases])) if cases else 0.0
    strong_cost = float(np.mean([c.strong_cost for c in cases])) if cases else 0.0
    points = []
    for t in candidates(cases):
        passed, cost, escalated = _routed(cases, t, needs_answer)
        mean_cost = float(cost.mean())
        ratio = mean_cost / strong_cost if strong_cost > 0 else float("nan")
        points.append(CurvePoint(t, 1.0 - float(escalated.mean()), float(passed.mean()), strong_pass, mean_cost, ratio))
    return tuple(points)


def split_ids(case_ids: Sequence[str], share: float, seed: int) -> tuple[list[str], list[str]]:
    """The one seeded split of a golden set's case ids into (A: ``share`` of them, B: the rest), whatever
    their order: ``route train`` fits the classifier on A and ``route calibrate`` verifies on B."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"split is the share of cases in split A, in (0, 1); got {share}")
    shuffled = sorted(case_ids)
    random.Random(seed).shuffle(shuffled)
    cut = round(len(shuffled) * share)
    return shuffled[:cut], shuffled[cut:]


def split_cases(cases: Sequence[CaseOutcome], share: float, seed: int) -> tuple[list[CaseOutcome], list[CaseOutcome]]:
    """The cases of split A (``share`` of them: the threshold is picked there) and B (the rest: it is
    verified there), as ``split_ids`` cuts them."""
    by_id = {c.case_id: c for c in cases}
    ids_a, ids_b = split_ids(list(by_id), share, seed)
    a, b = [by_id[i] for i in ids_a], [by_id[i] for i in ids_b]
    if len(a) < MIN_SPLIT_CASES or len(b) < MIN_SPLIT_CASES:
        raise ValueError(
            f"{len(cases)} cases split {len(a)}/{len(b)}: each side needs at least {MIN_SPLIT_CASES}; "
            "add golden cases or move --split"
        )
    return a, b


def _difference(routed: np.ndarray, strong: np.ndarray, confidence: float) -> tuple[float, Interval]:
    table = discordance(strong, routed)
    ci = tango_interval(table, confidence)
    return 100.0 * table.difference, Interval(100.0 * ci.lower, 100.0 * ci.upper)


def pick(cases: Sequence[CaseOutcome], margin_points: float, confidence: float, needs_answer: bool) -> float | None:
    """The cheapest threshold whose routed pass rate is non-inferior to the strong model's (None: none is)."""
    strong = np.array([c.strong_pass for c in cases], dtype=bool)
    best: tuple[float, float] | None = None
    for t in candidates(cases):
        passed, cost, _ = _routed(cases, t, needs_answer)
        _, ci = _difference(passed, strong, confidence)
        if ci.lower <= -margin_points:
            continue
        mean_cost = float(cost.mean())
        if best is None or mean_cost < best[1]:
            best = (t, mean_cost)
    return None if best is None else best[0]


def verify(
    cases: Sequence[CaseOutcome],
    threshold: float,
    margin_points: float,
    confidence: float,
    needs_answer: bool,
    seed: int,
) -> Verification:
    """The threshold's routed pass rate, cost and escalation share on ``cases``, with intervals."""
    strong = np.array([c.strong_pass for c in cases], dtype=bool)
    strong_cost = np.array([c.strong_cost for c in cases], dtype=np.float64)
    passed, cost, escalated = _routed(cases, threshold, needs_answer)
    estimate, ci = _difference(passed, strong, confidence)
    ratio = mean_ratio_interval(strong_cost, cost, confidence=confidence, seed=seed, paired=True)
    n, count = len(cases), int(escalated.sum())
    return Verification(
        n=n,
        pass_rate=float(passed.mean()),
        strong_pass_rate=float(strong.mean()),
        difference=ci,
        difference_estimate=estimate,
        cost_ratio=float(ratio.estimate),
        cost_ratio_interval=Interval(float(ratio.lower), float(ratio.upper)),
        escalation=count / n,
        escalation_interval=wilson_interval(count, n, confidence),
        non_inferior=ci.lower > -margin_points,
    )


def calibrate(
    cases: Sequence[CaseOutcome],
    *,
    margin_points: float,
    confidence: float = 0.95,
    needs_answer: bool = True,
    split: float = 0.5,
    seed: int = 0,
) -> Calibration:
    """Pick the threshold on split A at least cost subject to non-inferiority; verify it on split B."""
    a, b = split_cases(cases, split, seed)
    threshold = pick(a, margin_points, confidence, needs_answer)
    checked = None if threshold is None else verify(b, threshold, margin_points, confidence, needs_answer, seed)
    return Calibration(
        threshold=threshold,
        margin_points=margin_points,
        confidence=confidence,
        needs_answer=needs_answer,
        seed=seed,
        split=split,
        picked_on=len(a),
        curve=curve(cases, needs_answer),
        verification=checked,
    )


def thin(points: Sequence[CurvePoint], keep: float | None, most: int = 15) -> list[CurvePoint]:
    """At most about ``most`` points of a curve, evenly spaced, always with both ends and the
    threshold ``keep`` (for tables people read; the stored curve keeps every point)."""
    if len(points) <= most:
        return list(points)
    step = (len(points) - 1) / (most - 1)
    wanted = {round(i * step) for i in range(most)}
    return [p for i, p in enumerate(points) if i in wanted or p.threshold == keep]
