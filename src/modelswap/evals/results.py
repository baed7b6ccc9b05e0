"""An eval run read back: per (case, arm) outcomes, per-arm figures, and the data the gates judge.

A case passes on an arm when every scorer passed it (``case_passed``: any failure fails it,
any undecided scorer leaves it undecided). A call that failed after its retries has no verdict
in ``CaseOutcome`` (``passed`` is None, ``error`` set) and is counted apart in ``ArmFigures``
(``errors``), but the gates count it as a **failed case for that model**: an app calling it
would have got the error (``evals.failures``). Latency and cost are per (case, arm), taken once
however many scorers scored it; a failed call has no latency or cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from modelswap.evals.case import subset_digest
from modelswap.evals.failures import pair_outcomes
from modelswap.evals.scorers.base import Score
from modelswap.evals.scoring import case_passed
from modelswap.gates import GateData
from modelswap.stats import Interval, percentile, wilson_interval
from modelswap.store import EvalResultRow, EvalRunRow, Store
from modelswap.store.summaries import eval_runs

FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """One arm's result on one case."""

    case_id: str
    arm: str
    model: str | None
    passed: bool | None
    latency_ms: float | None
    cost_usd: float | None
    error: str | None
    cached: bool
    escalated: bool | None = None
    """For a routed arm: whether the cascade escalated this case to the strong model."""


@dataclass(frozen=True, slots=True)
class ArmFigures:
    """One arm's figures over a run: pass rate (Wilson interval), cost and latency."""

    arm: str
    model: str | None
    cases: int
    """Cases run on this arm (answered or not)."""
    passed: int
    decided: int
    """Answered cases with a pass/fail verdict (the pass rate's denominator)."""
    errors: int
    """Cases whose call failed after its retries (left out of the pass rate)."""
    pass_rate: float | None
    interval: Interval | None
    cost_per_request_usd: float | None
    cost_total_usd: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    cached: int


def outcomes(rows: Iterable[EvalResultRow]) -> dict[str, dict[str, CaseOutcome]]:
    """Arm → case id → outcome, from a run's result rows (any order)."""
    grouped: dict[tuple[str, str], list[EvalResultRow]] = {}
    for row in rows:
        grouped.setdefault((row.arm, row.case_id), []).append(row)
    out: dict[str, dict[str, CaseOutcome]] = {}
    for (arm, case_id), group in grouped.items():
        first = group[0]
        decided = [r for r in group if r.scorer != "none" or r.passed is not None]
        verdict = None if first.error is not None else case_passed(Score(r.passed, r.score, "", {}) for r in decided)
        cached = bool(isinstance(first.output, dict) and first.output.get("cached"))
        routed = first.output.get("routed") if isinstance(first.output, dict) else None
        escalated = bool(routed.get("escalated")) if isinstance(routed, dict) else None
        out.setdefault(arm, {})[case_id] = CaseOutcome(
            case_id, arm, first.model, verdict, first.latency_ms, first.cost_usd, first.error, cached, escalated
        )
    return out


def _finite(values: Iterable[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and np.isfinite(v)]


def arm_figures(arm: str, cases: Mapping[str, CaseOutcome], confidence: float = 0.95) -> ArmFigures:
    """Pass rate with its Wilson interval, mean cost per request and latency percentiles of one arm."""
    verdicts = [o.passed for o in cases.values() if o.passed is not None]
    passed = sum(verdicts)
    decided = len(verdicts)
    costs = _finite(o.cost_usd for o in cases.values() if o.error is None)
    latencies = _finite(o.latency_ms for o in cases.values() if o.error is None)
    models = [o.model for o in cases.values() if o.model]
    return ArmFigures(
        arm=arm,
        model=models[0] if models else None,
        cases=len(cases),
        passed=passed,
        decided=decided,
        errors=sum(o.error is not None for o in cases.values()),
        pass_rate=passed / decided if decided else None,
        interval=wilson_interval(passed, decided, confidence) if decided else None,
        cost_per_request_usd=float(np.mean(costs)) if costs else None,
        cost_total_usd=float(np.sum(costs)) if costs else None,
        latency_p50_ms=percentile(latencies, 50) if latencies else None,
        latency_p95_ms=percentile(latencies, 95) if latencies else None,
        latency_p99_ms=percentile(latencies, 99) if latencies else None,
        cached=sum(o.cached for o in cases.values()),
    )


def run_figures(rows: Iterable[EvalResultRow], confidence: float = 0.95) -> dict[str, ArmFigures]:
    """Figures per arm of one run."""
    return {arm: arm_figures(arm, cases, confidence) for arm, cases in outcomes(rows).items()}


def paired_outcomes(
    by_arm: Mapping[str, Mapping[str, CaseOutcome]], old: str = "old", new: str = "new"
) -> tuple[list[bool], list[bool]]:
    """Pass/fail of ``old`` and ``new`` on the cases both were asked, in the same case order; a
    failed call is a fail, and only cases both failed or a scorer left undecided are left out."""
    paired = pair_outcomes(by_arm, old, new)
    return paired.old, paired.new


def _paired_values(
    a: Mapping[str, CaseOutcome], b: Mapping[str, CaseOutcome], attribute: str
) -> tuple[list[float], list[float]] | None:
    old_values, new_values = [], []
    for case_id, x in a.items():
        y = b.get(case_id)
        if y is None or x.error is not None or y.error is not None:
            continue
        u, v = getattr(x, attribute), getattr(y, attribute)
        if u is not None and v is not None:
            old_values.append(float(u))
            new_values.append(float(v))
    return (old_values, new_values) if old_values else None


def gate_data(
    by_arm: Mapping[str, Mapping[str, CaseOutcome]], old: str = "old", new: str = "new", *, seed: int = 0
) -> GateData:
    """What the gates judge, from one run: paired pass/fail (a failed call fails the case),
    failed calls per case, and per-case latency and cost of both arms on the same cases
    (paired). Missing measurements are left out (→ INCONCLUSIVE)."""
    paired = pair_outcomes(by_arm, old, new)
    old_pass, new_pass = paired.old, paired.new
    a, b = by_arm.get(old, {}), by_arm.get(new, {})
    latency = _paired_values(a, b, "latency_ms")
    cost = _paired_values(a, b, "cost_usd")
    escalated = [o.escalated for o in b.values() if o.escalated is not None and o.error is None]
    return GateData(
        old_pass=old_pass if old_pass else None,
        new_pass=new_pass if new_pass else None,
        pass_rate_note=paired.note(old, new),
        old_errors=paired.old_errors if paired.old_errors else None,
        new_errors=paired.new_errors if paired.new_errors else None,
        old_latency=latency[0] if latency else None,
        new_latency=latency[1] if latency else None,
        latency_paired=True,
        old_cost=cost[0] if cost else None,
        new_cost=cost[1] if cost else None,
        cost_paired=True,
        escalated=escalated if escalated else None,
        seed=seed,
    )


@dataclass(frozen=True, slots=True)
class RoutedFigures:
    """A routed ``new`` arm's escalation share and its cost cut against ``old``, with intervals."""

    routed: int
    escalated: int
    escalation_interval: Interval
    saving: float | None
    """1 − mean routed cost / mean old cost, on the cases both answered; None without costs."""
    saving_interval: Interval | None


def routed_figures(
    by_arm: Mapping[str, Mapping[str, CaseOutcome]], old: str = "old", new: str = "new", *,
    confidence: float = 0.95, seed: int = 0,
) -> RoutedFigures | None:  # fmt: skip
    """The escalation share (Wilson) and the cost cut (paired BCa bootstrap of the ratio of mean cost
    per request, as the cost gate computes it) of a routed arm; None when ``new`` was not routed."""
    from modelswap.stats.bootstrap import mean_ratio_interval

    flags = [o.escalated for o in by_arm.get(new, {}).values() if o.escalated is not None and o.error is None]
    if not flags:
        return None
    escalated = sum(flags)
    share = wilson_interval(escalated, len(flags), confidence)
    costs = _paired_values(by_arm.get(old, {}), by_arm.get(new, {}), "cost_usd")
    if costs is None or sum(costs[0]) <= 0 or len(costs[0]) < 2:
        return RoutedFigures(len(flags), escalated, share, None, None)
    ratio = mean_ratio_interval(costs[0], costs[1], confidence=confidence, seed=seed, paired=True)
    cut = Interval(1.0 - float(ratio.upper), 1.0 - float(ratio.lower))
    return RoutedFigures(len(flags), escalated, share, 1.0 - float(ratio.estimate), cut)


def is_finished(run: EvalRunRow) -> bool:
    """A run that completed (every pair answered or failed after its retries)."""
    return run.status == FINISHED and run.finished_at is not None


def subset_size(run: EvalRunRow, whole_sha256: str | None = None) -> int | None:
    """How many cases ``run`` asked when it ran only the first cases of its golden set (``--limit``: a
    quick choice, a health probe), else None. Read from the run's spec; a run stored before the spec
    said so is recognised by its digest when ``whole_sha256`` (the golden file's digest) is given."""
    golden = run.spec.get("golden_set") if isinstance(run.spec, Mapping) else None
    cases = golden.get("cases") if isinstance(golden, Mapping) else None
    if not isinstance(golden, Mapping) or not isinstance(cases, int):
        return None
    if golden.get("first_of") or (whole_sha256 and run.golden_set_sha256 == subset_digest(whole_sha256, cases)):
        return cases
    return None


def partial_reason(run: EvalRunRow, whole_sha256: str | None = None) -> str | None:
    """Why ``run`` says nothing about its workload's whole golden set (None: it covers it)."""
    cases = subset_size(run, whole_sha256)
    if cases is None:
        return None
    return f"run {run.id} asked only the first {cases:,} cases of the golden set (a --limit run)"


@dataclass(frozen=True, slots=True)
class ChosenRun:
    """The run a judgement rests on, and the newer runs passed over because they were partial."""

    run: EvalRunRow | None
    skipped: tuple[tuple[EvalRunRow, str], ...] = ()
    """Newer finished runs of the same arms left out, each with why."""


def choose_run(
    store: Store,
    workload: str,
    *,
    arms: Sequence[str] = ("old", "new"),
    nightly: bool | None = None,
    whole_sha256: str | None = None,
) -> ChosenRun:
    """The workload's most recent finished run over its whole golden set that covered every arm in
    ``arms``, and the newer partial runs (``--limit`` subsets) it passed over."""
    skipped: list[tuple[EvalRunRow, str]] = []
    for run in reversed(eval_runs(store, workload, nightly=nightly)):
        if not (is_finished(run) and set(arms) <= set(run.endpoints)):
            continue
        reason = partial_reason(run, whole_sha256)
        if reason is None:
            return ChosenRun(run, tuple(skipped))
        skipped.append((run, reason))
    return ChosenRun(None, tuple(skipped))


def latest_run(
    store: Store,
    workload: str,
    *,
    arms: Sequence[str] = ("old", "new"),
    nightly: bool | None = None,
) -> EvalRunRow | None:
    """The workload's most recent finished run over its whole golden set that covered every arm in
    ``arms`` (a ``--limit`` run on its first cases is no baseline, gate or retry target)."""
    return choose_run(store, workload, arms=arms, nightly=nightly).run
