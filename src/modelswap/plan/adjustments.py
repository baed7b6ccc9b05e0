"""What the migration file and its scenario preset require of each plan item.

A high-risk swap asks for a longer shadow, extra eval suites (tool use, structured output)
and a larger human review; routing to a cheaper model adds a calibrated confidence gate.
``requirements`` turns those into thresholds, extra checks (each proven by an eval run that
names the suite) and notes, item by item. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from modelswap.catalog.deprecations import deprecation_warnings
from modelswap.catalog.scenarios import DEFAULT_SHADOW_DAYS, Scenario, SuggestedGate
from modelswap.config import Migration

DEFAULT_REVIEW_SAMPLE = 200
"""Shadow pairs a person reviews when no scenario says otherwise (the process's 200)."""
DEFAULT_NIGHTLY_NIGHTS = 7
"""Nights of paired golden-set scoring that make a trend (a week of the shadow phase)."""
CONFIDENCE_GATE_SUITE = "routing_calibration"
"""The eval suite that calibrates a routing confidence gate."""
_GATE_FIELDS = {"pass_rate": "pass_rate", "p95_latency_ms": "p95_latency", "cost_per_request": "cost_per_request"}


@dataclass(frozen=True, slots=True)
class SuiteCheck:
    """An extra check on an item: an eval suite that must have run for every workload."""

    suite: str
    label: str
    why: str


@dataclass(frozen=True, slots=True)
class Requirements:
    """Thresholds, extra checks and notes per item, for one migration and its scenario."""

    shadow_days: Mapping[str, float]
    """Minimum shadow days per workload (the longer of the file's and the scenario's)."""
    nightly_nights: int = DEFAULT_NIGHTLY_NIGHTS
    review_sample: int = DEFAULT_REVIEW_SAMPLE
    checks: Mapping[str, tuple[SuiteCheck, ...]] = field(default_factory=dict)
    """Item key → extra checks the scenario adds."""
    notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Item key → what the scenario changes there, in words."""
    plan_notes: tuple[str, ...] = ()
    """The scenario's advice for the whole migration."""


def describe_gate(gate: SuggestedGate) -> str:
    """``tool_call_validity within 1 point`` and the like."""
    if gate.max_drop_points is not None:
        return f"{gate.metric} within {gate.max_drop_points:g} points"
    if gate.max_increase_points is not None:
        return f"{gate.metric} up at most {gate.max_increase_points:g} points"
    if gate.max_ratio is not None:
        return f"{gate.metric} at most {gate.max_ratio:g} × the old model's"
    return f"{gate.metric} up at most {gate.max_increase_pct:g} %"


def requirements(
    migration: Migration,
    preset: Scenario | None,
    *,
    nightly_nights: int = DEFAULT_NIGHTLY_NIGHTS,
    today: date | None = None,
) -> Requirements:
    """What each item needs for this migration, with the scenario's adjustments folded in.

    With ``today``, the deprecation and retirement dates of the old and new models near it
    become notes on the retention item (the old model must stay deployable 30 days after 100 %).
    """
    preset_days = preset.plan.shadow_min_days if preset else 0
    shadow_days = {w.name: max(w.rollout.shadow_min_days, preset_days) for w in migration.workloads}
    notes: dict[str, list[str]] = {}
    if today is not None:
        for role in ("old", "new"):
            for warning in deprecation_warnings(migration.endpoints[role].model, today):
                notes.setdefault("retention", []).append(f"{role} model: {warning}")
    if preset is None:
        return Requirements(
            shadow_days=shadow_days, nightly_nights=nightly_nights, notes={k: tuple(v) for k, v in notes.items()}
        )
    plan = preset.plan
    checks: dict[str, list[SuiteCheck]] = {}
    why = f"scenario {preset.slug} ({preset.risk} risk)"

    if plan.shadow_min_days > DEFAULT_SHADOW_DAYS:
        notes.setdefault("shadow", []).append(f"longer shadow: at least {plan.shadow_min_days} days ({why})")
    short = sorted(w.name for w in migration.workloads if w.rollout.shadow_min_days < plan.shadow_min_days)
    if short:
        notes.setdefault("shadow", []).append(
            f"the migration file asks for fewer shadow days for {', '.join(short)}; "
            f"the plan uses the scenario's {plan.shadow_min_days}"
        )

    for suite in plan.extra_evals:
        if plan.confidence_gate and suite == CONFIDENCE_GATE_SUITE:
            continue
        label = f"{suite.replace('_', '-')} eval run for every workload"
        checks.setdefault("nightly-scoring", []).append(SuiteCheck(suite, label, why))
    if plan.confidence_gate:
        label = f"calibrated confidence gate: {CONFIDENCE_GATE_SUITE.replace('_', '-')} eval run for every workload"
        checks.setdefault("quality-gate", []).append(SuiteCheck(CONFIDENCE_GATE_SUITE, label, why))
        notes.setdefault("quality-gate", []).append(
            f"routing behind a confidence gate: about {plan.target_share:.0%} of requests expected on the new "
            "model; calibrate the gate before the shadow starts"
        )
        notes.setdefault("promote", []).append(
            f"100 % means every request passes the confidence gate; about {plan.target_share:.0%} are then "
            "answered by the new model"
        )

    suggested = [describe_gate(g) for g in plan.gates]
    notes.setdefault("quality-gate", []).append(f"{why} suggests gates: {'; '.join(suggested)}")
    not_in_file = sorted({g.metric for g in plan.gates if g.metric not in _GATE_FIELDS})
    if not_in_file:
        notes["quality-gate"].append(
            f"not expressible in the migration file yet, confirm by hand: {', '.join(not_in_file)}"
        )
    if plan.review_sample != DEFAULT_REVIEW_SAMPLE:
        notes.setdefault("diff-review", []).append(
            f"review {plan.review_sample} pairs instead of {DEFAULT_REVIEW_SAMPLE} ({why})"
        )
    asr = [describe_gate(g) for g in plan.gates if g.metric == "attack_success_rate"]
    if asr:
        notes.setdefault("red-team", []).append(f"gate: {asr[0]} ({why})")

    return Requirements(
        shadow_days=shadow_days,
        nightly_nights=nightly_nights,
        review_sample=plan.review_sample,
        checks={k: tuple(v) for k, v in checks.items()},
        notes={k: tuple(v) for k, v in notes.items()},
        plan_notes=plan.plan_notes,
    )
