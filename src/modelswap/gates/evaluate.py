"""All of a workload's gates at once: the configured ``Gates`` and the measured data → results."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy.typing as npt

from modelswap.config import Gates, RatioGate
from modelswap.gates.error_rate import decide_error_rate
from modelswap.gates.escalation import decide_escalation_rate
from modelswap.gates.pass_rate import MIN_PAIRED_CASES, decide_pass_rate
from modelswap.gates.ratio import Statistic, decide_ratio, min_cases_for
from modelswap.gates.result import GateResult, Verdict


@dataclass(frozen=True)
class GateData:
    """What the gates judge. Leave out what was not measured; its gate becomes INCONCLUSIVE."""

    old_pass: npt.ArrayLike | None = None
    """The old model's pass/fail per golden-set case."""
    new_pass: npt.ArrayLike | None = None
    """The new model's pass/fail on the same cases, in the same order."""
    pass_rate_note: str = ""
    """What the pass/fail outcomes count and leave out (failed calls, excluded cases), for the reason."""
    old_errors: npt.ArrayLike | None = None
    """Whether the old model's call failed (after its retries), per case both models were asked."""
    new_errors: npt.ArrayLike | None = None
    """The same for the new model, same cases, same order."""
    old_latency: npt.ArrayLike | None = None
    new_latency: npt.ArrayLike | None = None
    latency_paired: bool = False
    """True when ``old_latency[i]`` and ``new_latency[i]`` are the same request (shadow pairs)."""
    old_cost: npt.ArrayLike | None = None
    new_cost: npt.ArrayLike | None = None
    cost_paired: bool = False
    """True when ``old_cost[i]`` and ``new_cost[i]`` are the same request."""
    escalated: npt.ArrayLike | None = None
    """For a routed workload: whether each request of its new (cascade) arm was escalated to the strong model."""
    seed: int = 0
    """Seed of the bootstrap, so a stored result can be reproduced exactly."""


def _missing(gate: str, metric: str, what: str, margin: float, confidence: float, needed: int) -> GateResult:
    return GateResult(
        gate=gate,
        metric=metric,
        verdict=Verdict.INCONCLUSIVE,
        estimate=None,
        interval=None,
        margin=margin,
        confidence=confidence,
        n=0,
        reason=f"no {what} were recorded for both models; at least {needed} are needed to judge this gate.",
        more_cases_needed=needed,
    )


def _ratio_gate(
    name: str,
    gate: RatioGate,
    statistic: Statistic,
    old: npt.ArrayLike | None,
    new: npt.ArrayLike | None,
    paired: bool,
    seed: int,
) -> GateResult:
    if old is None or new is None:
        label = "latencies" if statistic == "p95" else "request costs"
        metric = "p95 latency ratio new / old" if statistic == "p95" else "mean cost ratio new / old"
        needed = min_cases_for(statistic, gate.confidence)
        return _missing(name, metric, label, gate.max_ratio, gate.confidence, needed)
    return decide_ratio(old, new, gate, statistic, paired=paired, seed=seed, name=name)


def _noted(result: GateResult, note: str) -> GateResult:
    if not note:
        return result
    reason = f"{result.reason} {note[0].upper()}{note[1:]}."
    return replace(result, reason=reason, details={**result.details, "note": note})


def evaluate(gates: Gates, data: GateData) -> list[GateResult]:
    """Judge every configured gate (pass rate, error rate, p95 latency, cost per request, escalation rate),
    in that order."""
    results: list[GateResult] = []
    if gates.pass_rate is not None:
        pr = gates.pass_rate
        if data.old_pass is None or data.new_pass is None:
            metric = "pass-rate difference new − old (points)"
            what = "paired pass/fail outcomes"
            results.append(_missing("pass_rate", metric, what, pr.max_drop_points, pr.confidence, MIN_PAIRED_CASES))
        else:
            results.append(_noted(decide_pass_rate(data.old_pass, data.new_pass, pr), data.pass_rate_note))
    if gates.error_rate is not None:
        er = gates.error_rate
        if data.old_errors is None or data.new_errors is None:
            metric, what = "error-rate difference new − old (points)", "calls of both models"
            margin = er.max_increase_points
            results.append(_missing("error_rate", metric, what, margin, er.confidence, MIN_PAIRED_CASES))
        else:
            results.append(decide_error_rate(data.old_errors, data.new_errors, er))
    if gates.p95_latency is not None:
        results.append(
            _ratio_gate(
                "p95_latency",
                gates.p95_latency,
                "p95",
                data.old_latency,
                data.new_latency,
                data.latency_paired,
                data.seed,
            )
        )
    if gates.cost_per_request is not None:
        results.append(
            _ratio_gate(
                "cost_per_request",
                gates.cost_per_request,
                "mean",
                data.old_cost,
                data.new_cost,
                data.cost_paired,
                data.seed,
            )
        )
    if gates.escalation_rate is not None:
        results.append(decide_escalation_rate([] if data.escalated is None else data.escalated, gates.escalation_rate))
    return results
