"""What a gate decides: a verdict with the evidence and a sentence a team lead can read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    """The outcome of one gate, or of all of them."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class GateResult:
    """One gate's decision: old vs new on one metric, judged by a confidence interval."""

    gate: str
    """Which gate: ``pass_rate``, ``p95_latency`` or ``cost_per_request``."""
    metric: str
    """What the estimate measures, e.g. ``pass-rate difference new − old (points)``."""
    verdict: Verdict
    estimate: float | None
    """Point estimate in the metric's unit; None when there was no data to estimate it."""
    interval: tuple[float, float] | None
    """Two-sided interval at ``confidence``; None when it could not be computed."""
    margin: float
    """Pass rate: largest tolerated drop in points (the interval must lie above −margin).
    Ratios: the largest tolerated new/old ratio (the interval must lie at or below it)."""
    confidence: float
    n: int
    """Paired cases, or the smaller arm's size for unpaired data."""
    reason: str
    """The decision in one or two sentences."""
    more_cases_needed: int | None = None
    """For INCONCLUSIVE: further cases (per arm when unpaired) likely to decide it; None if unknowable."""
    method: str = ""
    """How the interval was computed, e.g. ``Tango score interval (Tango 1998)``."""
    details: Mapping[str, float | int | str] = field(default_factory=dict)
    """Supporting numbers (discordant counts, McNemar p, arm sizes, …)."""


def overall(results: Iterable[GateResult]) -> Verdict:
    """FAIL if any gate fails, else INCONCLUSIVE if any is, else PASS.

    With no gates at all the answer is INCONCLUSIVE: nothing was checked, so nothing can be
    signed off.
    """
    verdicts = [r.verdict for r in results]
    if not verdicts:
        return Verdict.INCONCLUSIVE
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    if Verdict.INCONCLUSIVE in verdicts:
        return Verdict.INCONCLUSIVE
    return Verdict.PASS
