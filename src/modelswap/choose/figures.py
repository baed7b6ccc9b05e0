"""A candidate's figures from one eval run, paired with the old model on the same cases (pure).

The statistics are the ones the rest of modelswap stands behind: the pass rate with its Wilson
interval (a call that failed after its retries is a failed case, as the gates count it); the
paired difference with the pass-rate gate's own interval (Tango, at the gate's confidence); the
mean cost per request with a seeded BCa bootstrap interval; p95 latency with a distribution-free
interval from order statistics (none below 72 answers at 95 %). The verdict is every configured
gate of the workload judged on this candidate as if it were ``new``.
"""

from __future__ import annotations

from collections.abc import Mapping

from modelswap.choose.ranking import CandidateFigures, Estimate, GateLine
from modelswap.config import Gates, PassRateGate
from modelswap.evals.failures import pair_outcomes
from modelswap.evals.results import CaseOutcome, gate_data
from modelswap.gates import evaluate, overall
from modelswap.gates.pass_rate import decide_pass_rate
from modelswap.stats import mean_interval, percentile, quantile_interval, wilson_interval

CONFIDENCE = 0.95
BASELINE = "baseline"
"""The verdict shown for the old model itself: it is what every candidate is compared with."""


def _rate(cases: Mapping[str, CaseOutcome]) -> tuple[int, int, Estimate]:
    judged = [o for o in cases.values() if o.error is not None or o.passed is not None]
    passed = sum(1 for o in judged if o.error is None and o.passed)
    if not judged:
        return 0, 0, Estimate(None)
    low, high = wilson_interval(passed, len(judged), CONFIDENCE)
    return passed, len(judged), Estimate(passed / len(judged), low, high)


def _answered(cases: Mapping[str, CaseOutcome], attribute: str) -> list[float]:
    values = (getattr(o, attribute) for o in cases.values() if o.error is None)
    return [float(v) for v in values if v is not None]


def cost_estimate(costs: list[float], seed: int = 0) -> Estimate:
    """Mean USD per request with a BCa bootstrap interval (none below two requests)."""
    if not costs:
        return Estimate(None)
    mean = sum(costs) / len(costs)
    if len(costs) < 2 or max(costs) == min(costs):
        return Estimate(mean, mean, mean) if len(costs) >= 2 else Estimate(mean)
    ci = mean_interval(costs, confidence=CONFIDENCE, seed=seed)
    return Estimate(mean, ci.lower, ci.upper)


def p95_estimate(latencies: list[float]) -> Estimate:
    """p95 latency with its order-statistic interval (None when there are too few answers for one)."""
    if not latencies:
        return Estimate(None)
    try:
        ci = quantile_interval(latencies, 95.0, CONFIDENCE)
    except ValueError:  # too few answers for a distribution-free interval
        return Estimate(percentile(latencies, 95.0))
    return Estimate(ci.estimate, ci.lower, ci.upper)


def _difference(old: list[bool], new: list[bool], gate: PassRateGate | None) -> Estimate:
    if not old:
        return Estimate(None)
    result = decide_pass_rate(old, new, gate or PassRateGate())
    low, high = result.interval if result.interval is not None else (None, None)
    return Estimate(result.estimate, low, high)


def candidate_figures(
    by_arm: Mapping[str, Mapping[str, CaseOutcome]],
    arm: str,
    gates: Gates,
    *,
    old: str = "old",
    model: str = "",
    lifecycle: str = "",
    seed: int = 0,
) -> CandidateFigures:
    """``arm``'s figures against ``old`` on the cases both were asked; ``arm == old`` gives the
    baseline row (no difference, verdict ``baseline``)."""
    cases = by_arm.get(arm, {})
    passed, judged, rate = _rate(cases)
    errors = sum(o.error is not None for o in cases.values())
    cost = cost_estimate(_answered(cases, "cost_usd"), seed)
    p95 = p95_estimate(_answered(cases, "latency_ms"))
    found = next((o.model for o in cases.values() if o.model), None) or model
    if arm == old:
        return CandidateFigures(arm, found, judged, passed, rate, Estimate(0.0), cost, p95, BASELINE, (), errors)
    paired = pair_outcomes(by_arm, old, arm)
    difference = _difference(paired.old, paired.new, gates.pass_rate)
    results = evaluate(gates, gate_data(by_arm, old, arm, seed=seed))
    lines = tuple(GateLine(r.gate, r.verdict.value, r.reason) for r in results)
    verdict = overall(results).value
    return CandidateFigures(arm, found, judged, passed, rate, difference, cost, p95, verdict, lines, errors, lifecycle)
