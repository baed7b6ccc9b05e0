"""The plan's inputs as plain values: everything the evidence rules look at, read from the store.

``PlanFacts`` is a frozen bundle of store rows and aggregates; tests build one by hand.
``read_facts`` is the only I/O: a handful of grouped queries, whatever the store's size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from modelswap.config import Migration
from modelswap.store import BaselineRow, EvalRunRow, EvidenceRow, RolloutEventRow, Store, read_evidence
from modelswap.store.evidence import KNOWN_KINDS
from modelswap.store.summaries import (
    ArmPassCount,
    RedteamTally,
    ShadowSpan,
    VerdictTally,
    eval_runs,
    first_verdict_times,
    pass_counts,
    redteam_tallies,
    rollout_history,
    shadow_spans,
    verdict_tallies,
)

NOT_FINISHED = frozenset({"running", "failed", "cancelled", "canceled", "error", "errored"})
BOTH_ARMS = frozenset({"old", "new"})


def run_finished(run: EvalRunRow) -> bool:
    """An eval run that completed (not running, failed or cancelled)."""
    return run.finished_at is not None and run.status.lower() not in NOT_FINISHED


def run_scores_both(run: EvalRunRow) -> bool:
    """An eval run that scored both the old and the new model."""
    return set(run.endpoints) >= BOTH_ARMS


@dataclass(frozen=True, slots=True)
class NightlyScore:
    """Pass counts per arm of a workload's latest finished nightly run of both models."""

    run_id: str
    started_at: datetime
    arms: Mapping[str, ArmPassCount]


@dataclass(frozen=True, slots=True)
class NightlyGates:
    """The workload's gates judged on its latest finished nightly run of both models."""

    run_id: str
    verdict: str
    """``PASS``, ``FAIL`` or ``INCONCLUSIVE`` (all gates together): only PASS proves anything."""
    detail: str
    """Each gate's verdict, and for INCONCLUSIVE the cases still needed, e.g. ``pass_rate INCONCLUSIVE (…)``."""


@dataclass(frozen=True, slots=True)
class ReviewGate:
    """A workload's ``human_review`` gate judged on the latest review set (5 % at 95 % unless configured)."""

    sample_id: int
    verdict: str
    """``PASS``, ``FAIL`` or ``INCONCLUSIVE``: only PASS proves the item."""
    reason: str
    reviewed: int
    last_verdict: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanFacts:
    """What the store holds that bears on the plan, keyed by workload; ``now`` is when it was read."""

    now: datetime
    baselines: Mapping[str, BaselineRow] = field(default_factory=dict)
    """Each workload's latest baseline (absent: none stored)."""
    shadow: Mapping[str, ShadowSpan] = field(default_factory=dict)
    eval_runs: Mapping[str, tuple[EvalRunRow, ...]] = field(default_factory=dict)
    """Every eval run per workload, oldest first."""
    latest_nightly: Mapping[str, NightlyScore] = field(default_factory=dict)
    nightly_gates: Mapping[str, NightlyGates] = field(default_factory=dict)
    """Gate verdicts on the latest nightly run per workload (absent: not judged, which proves nothing)."""
    verdicts: Mapping[str, VerdictTally] = field(default_factory=dict)
    first_verdicts: tuple[datetime, ...] = ()
    """When each reviewed pair got its first verdict, oldest first."""
    review_gates: Mapping[str, ReviewGate] = field(default_factory=dict)
    """The human-review gate per workload on the latest review set (absent: no review set)."""
    redteam: Mapping[tuple[str | None, str], RedteamTally] = field(default_factory=dict)
    """(workload or None, arm) → probes and successful attacks."""
    rollout: Mapping[str, tuple[RolloutEventRow, ...]] = field(default_factory=dict)
    """Every rollout event per workload, oldest first."""
    evidence: tuple[EvidenceRow, ...] = ()
    """Recorded evidence of the kinds the plan reads, oldest first."""


def _latest_nightly_run(runs: tuple[EvalRunRow, ...]) -> EvalRunRow | None:
    for run in reversed(runs):
        if run.nightly and run_finished(run) and run_scores_both(run):
            return run
    return None


def _gates_on(store: Store, migration: Migration, run: EvalRunRow) -> NightlyGates:
    from modelswap.evals.gating import judge_run  # deferred: the evals stack is heavy to import

    judged = judge_run(migration, store, run)
    detail = "; ".join(
        f"{r.gate} {r.verdict.value}"
        + (f" ({r.more_cases_needed:,} more cases needed)" if r.more_cases_needed is not None else "")
        for r in judged.results
    )
    return NightlyGates(run.id, judged.verdict.value, detail or "no gates configured")


def _review_gates(store: Store, migration: Migration) -> dict[str, ReviewGate]:
    from modelswap.config import HumanReviewGate
    from modelswap.gates.human_review import decide_human_review
    from modelswap.review.review_set import reviewed

    done = reviewed(store)
    if done is None:
        return {}
    last = max((v.ts for by in done.verdicts.values() for v in by.values()), default=None)
    out = {}
    for w in migration.workloads:
        worse, weights = done.worse_and_weights(w.name)
        result = decide_human_review(worse, weights, w.gates.human_review or HumanReviewGate())
        out[w.name] = ReviewGate(done.sample.id, result.verdict.value, result.reason, result.n, last)
    return out


def read_facts(store: Store, migration: Migration, now: datetime) -> PlanFacts:
    """Read everything the evidence rules need for ``migration``'s workloads from ``store``."""
    names = [w.name for w in migration.workloads]
    baselines = {name: b for name in names if (b := store.baselines.latest(name)) is not None}
    runs = {name: tuple(eval_runs(store, name)) for name in names}
    latest = {name: r for name in names if (r := _latest_nightly_run(runs[name])) is not None}
    nightly = {name: NightlyScore(r.id, r.started_at, pass_counts(store, r.id)) for name, r in latest.items()}
    evidence = tuple(row for kind in KNOWN_KINDS for row in read_evidence(store, kind))
    return PlanFacts(
        now=now,
        baselines=baselines,
        shadow=shadow_spans(store, names),
        eval_runs=runs,
        latest_nightly=nightly,
        nightly_gates={name: _gates_on(store, migration, r) for name, r in latest.items()},
        verdicts=verdict_tallies(store, names),
        first_verdicts=tuple(first_verdict_times(store, names)),
        review_gates=_review_gates(store, migration),
        redteam=redteam_tallies(store),
        rollout={name: tuple(events) for name, events in rollout_history(store, names).items()},
        evidence=tuple(sorted(evidence, key=lambda e: (e.ts, e.id or 0))),
    )
