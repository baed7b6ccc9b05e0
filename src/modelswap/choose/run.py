"""Running a choice: the golden sets on old and the candidates, then figures, ranking and the store.

>>> choice = await run_choice(migration, store, ["new", "gpt-4o-mini"], today=date.today())  # doctest: +SKIP
>>> [(c.workload, c.ranking.pick) for c in choice.workloads]

The evals go through the ordinary eval runner (``evals.batch.run_workloads``): its response cache
(answers already paid for are reused), rate limits, retries and progress callbacks. Each workload
gets one eval run with ``old`` and every candidate, so each candidate is paired with the old
model on the same cases; those runs are stored like any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from modelswap.choose.candidates import Candidates, resolve_candidates, with_candidates
from modelswap.choose.figures import candidate_figures
from modelswap.choose.ranking import rank
from modelswap.choose.report import WorkloadChoice, workload_json
from modelswap.config import Migration
from modelswap.evals.batch import EvalBatch, run_workloads
from modelswap.evals.ratelimit import RateLimit
from modelswap.evals.results import outcomes
from modelswap.evals.runner import PairResult, RunPlan, RunSummary
from modelswap.evals.targets import DEFAULT_CONCURRENCY
from modelswap.store import Store, new_id
from modelswap.store.choices import ChoiceRow, record_choice


@dataclass(frozen=True, slots=True)
class Choice:
    """What ``run_choice`` did: the candidates, each workload's ranking, and the eval batch."""

    choice_id: str
    at: datetime
    candidates: Candidates
    workloads: tuple[WorkloadChoice, ...]
    batch: EvalBatch


def workload_choice(migration: Migration, store: Store, summary: RunSummary, candidates: Candidates) -> WorkloadChoice:
    """One workload's ranking from its eval run (blocking: reads the store)."""
    gates = migration.workload(summary.workload).gates
    by_arm = outcomes(store.evals.results(summary.run_id))
    baseline = candidate_figures(by_arm, "old", gates)
    items = [
        candidate_figures(by_arm, arm, gates, lifecycle=candidates.flags.get(arm, ""))
        for arm in candidates.arms
        if arm in by_arm
    ]
    cases = len(by_arm.get("old", {}))
    return WorkloadChoice(summary.workload, baseline, rank(summary.workload, items), summary.run_id, cases)


def _store(store: Store, choice_id: str, at: datetime, arms: Sequence[str], found: Sequence[WorkloadChoice]) -> None:
    rows = [
        ChoiceRow(
            choice_id=choice_id,
            workload=c.workload,
            ts=at,
            candidates=list(arms),
            figures=workload_json(c),
            eval_run_id=c.eval_run_id,
            pick=c.ranking.pick,
        )
        for c in found
    ]
    record_choice(store, rows)


async def run_choice(
    migration: Migration,
    store: Store,
    names: Sequence[str],
    *,
    today: date,
    workloads: Sequence[str] | None = None,
    limit: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    limits: Mapping[str, RateLimit] | None = None,
    fresh: bool = False,
    on_start: Callable[[RunPlan], None] | None = None,
    on_result: Callable[[PairResult], None] | None = None,
) -> Choice:
    """Resolve the candidates (retired ones left out, on ``today``), run the golden sets of
    ``workloads`` (default: all with one) on old and the candidates, rank, and store the choice.
    Raises ``ChooseError`` for candidates that cannot be compared, ``EvalSetupError`` for evals
    that cannot be set up."""
    candidates = resolve_candidates(migration, names, today)
    target = with_candidates(migration, candidates)
    batch = await run_workloads(
        target,
        store,
        workloads=workloads,
        arms=["old", *candidates.arms],
        concurrency=concurrency,
        limits=limits,
        fresh=fresh,
        limit=limit,
        on_start=on_start,
        on_result=on_result,
    )
    at = datetime.now(UTC)
    choice_id = new_id()

    def rank_and_store() -> tuple[WorkloadChoice, ...]:
        found = tuple(workload_choice(migration, store, s, candidates) for s in batch.summaries)
        _store(store, choice_id, at, candidates.arms, found)
        return found

    found = await asyncio.to_thread(rank_and_store)
    return Choice(choice_id, at, candidates, found, batch)
