"""Running the evals of a migration: every workload's golden set on its endpoints, at once.

>>> batch = await run_workloads(migration, store, concurrency=32)   # doctest: +SKIP
>>> [(s.workload, s.status) for s in batch.summaries]

Workloads run concurrently and share the endpoints, so the per-endpoint limits and the total
``concurrency`` hold across all of them. A workload that cannot run (no golden set, a golden set
with bad lines, a failure mid-run) is reported in the batch; the others still run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from modelswap.config import Migration
from modelswap.evals.case import GoldenSet, subset_digest
from modelswap.evals.dataset import load_golden_set
from modelswap.evals.endpoint import EvalEndpoint
from modelswap.evals.errors import GoldenSetError
from modelswap.evals.golden_check import nothing_to_score
from modelswap.evals.ratelimit import RateLimit
from modelswap.evals.results import latest_run
from modelswap.evals.runner import EvalRunError, PairResult, RunPlan, RunSummary, run_eval
from modelswap.evals.scorers.base import ScorerContext
from modelswap.evals.targets import DEFAULT_CONCURRENCY, EvalSetupError, default_arms, migration_endpoints
from modelswap.providers.wiring import price_overrides
from modelswap.store import Store

ArmsFor = Callable[[str, Mapping[str, EvalEndpoint], Mapping[str, EvalEndpoint]], dict[str, EvalEndpoint]]
"""(workload, its arms, every opened endpoint) → the arms its golden set runs on."""


@dataclass(frozen=True, slots=True)
class WorkloadJob:
    """One workload's eval to run: its golden set, arms, and the run to resume if any."""

    workload: str
    golden: GoldenSet
    arms: tuple[str, ...]
    resume: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A workload that was not run, and why."""

    workload: str
    reason: str


@dataclass
class EvalBatch:
    """What ``run_workloads`` did: a summary per run, workloads skipped, runs that failed."""

    summaries: list[RunSummary] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    failed: list[Skipped] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every run finished, none failed, and no call failed after its retries."""
        return not self.failed and all(s.status == "finished" and s.errors == 0 for s in self.summaries)


def first_cases(golden: GoldenSet, limit: int) -> GoldenSet:
    """The first ``limit`` cases of a golden set, under a digest of its own (a run on them is not a
    run on the whole file, and says so)."""
    if limit < 1:
        raise EvalSetupError(f"limit must be at least 1, got {limit}")
    if limit >= len(golden):
        return golden
    return replace(
        golden, sha256=subset_digest(golden.sha256, limit), cases=golden.cases[:limit], subset_of=golden.sha256
    )


def _load(path: Path, workload: str) -> GoldenSet:
    return load_golden_set(path, workload=workload)


def retry_jobs(migration: Migration, store: Store, workloads: Sequence[str] | None = None) -> list[WorkloadJob]:
    """Jobs that ask again, inside each workload's latest finished run of old and new, exactly
    the calls that failed after their retries (their stored failures are dropped first)."""
    known = {w.name: w for w in migration.workloads}
    names = list(workloads) if workloads else [n for n, w in known.items() if w.golden_set is not None]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise EvalSetupError(f"unknown workload(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    jobs = []
    for name in names:
        run = latest_run(store, name)
        path = known[name].golden_set
        if run is None or path is None:
            continue
        golden = _load(path, name)
        if golden.sha256 != run.golden_set_sha256:
            raise EvalSetupError(
                f"--retry-failed: the golden set {path} changed since eval run {run.id}; run `modelswap eval` instead"
            )
        if any(r.error is not None for r in store.evals.results(run.id)):
            store.evals.delete_failed_results(run.id)
            jobs.append(WorkloadJob(name, golden, tuple(run.endpoints), run.id))
    return jobs


def plan_jobs(
    migration: Migration,
    store: Store,
    *,
    workloads: Sequence[str] | None = None,
    arms: Sequence[str] | None = None,
    resume: Sequence[str] = (),
) -> tuple[list[WorkloadJob], list[Skipped]]:
    """The jobs to run and the workloads skipped; raises ``EvalSetupError`` for what cannot be
    run at all (an unknown workload or run id, a golden set that would score nothing) and
    ``GoldenSetError`` for a bad golden set."""
    known = {w.name: w for w in migration.workloads}
    if resume:
        jobs = []
        for run_id in resume:
            run = store.evals.run(run_id)
            if run is None:
                raise EvalSetupError(f"no eval run {run_id!r} in {store.url_for_display}")
            workload = known.get(run.workload)
            if workload is None or workload.golden_set is None:
                raise EvalSetupError(f"eval run {run_id} is of workload {run.workload!r}, which has no golden set now")
            jobs.append(
                WorkloadJob(run.workload, _load(workload.golden_set, run.workload), tuple(run.endpoints), run_id)
            )
        return jobs, []
    names = list(workloads) if workloads else list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise EvalSetupError(f"unknown workload(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    chosen = tuple(arms) if arms else tuple(default_arms(migration))
    jobs, skipped = [], []
    for name in names:
        path = known[name].golden_set
        if path is None:
            if workloads:
                raise EvalSetupError(f"workload {name!r} has no golden_set in {migration.source}")
            skipped.append(Skipped(name, "no golden_set in the migration file"))
            continue
        golden = _load(path, name)
        reason = nothing_to_score(golden)
        if reason is not None:
            raise EvalSetupError(f"workload {name!r}: {reason}")
        jobs.append(WorkloadJob(name, golden, chosen))
    if not jobs:
        raise EvalSetupError(f"no workload in {migration.source} has a golden_set to evaluate")
    return jobs, skipped


async def run_workloads(
    migration: Migration,
    store: Store,
    *,
    workloads: Sequence[str] | None = None,
    arms: Sequence[str] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    limits: Mapping[str, RateLimit] | None = None,
    nightly: bool = False,
    fresh: bool = False,
    resume: Sequence[str] = (),
    retry_failed: bool = False,
    judge: str | None = None,
    limit: int | None = None,
    on_start: Callable[[RunPlan], None] | None = None,
    on_result: Callable[[PairResult], None] | None = None,
    started_at: datetime | None = None,
    arms_for: ArmsFor | None = None,
) -> EvalBatch:
    """Run the golden sets of ``workloads`` (default: all that have one) on ``arms`` (default:
    old, new and every candidate), or resume the runs in ``resume``; store everything.
    ``fresh`` asks the models again instead of reusing earlier runs' cached answers;
    ``retry_failed`` asks again only the calls that failed in each workload's latest run (in that
    run, so the gates judge the retried answers); ``limit`` runs only the first that many cases of
    each new run's golden set (under a digest of their own: a health probe's or a quick choice's
    subset); ``started_at`` stamps the runs (a compressed clock, as the demo uses;
    default: now); ``arms_for`` may replace a workload's arms (a routed workload's ``new`` arm
    answers as its cascade: ``routing.eval_arm.RoutedArms``)."""
    skipped: list[Skipped] = []
    if retry_failed:
        jobs = await asyncio.to_thread(retry_jobs, migration, store, workloads)
    else:
        jobs, skipped = await asyncio.to_thread(
            plan_jobs, migration, store, workloads=workloads, arms=arms, resume=resume
        )
    if limit is not None and not resume and not retry_failed:
        jobs = [replace(job, golden=first_cases(job.golden, limit)) for job in jobs]
    batch = EvalBatch(skipped=list(skipped))
    if not jobs:
        return batch
    all_arms = list(dict.fromkeys(arm for job in jobs for arm in job.arms))
    extra = [n for n in getattr(arms_for, "needs", ()) if n not in all_arms]
    prices = price_overrides(migration)
    async with migration_endpoints(
        migration, [*all_arms, *extra], concurrency=concurrency, limits=limits, judge=judge
    ) as endpoints:
        context = ScorerContext(judge=endpoints[judge]) if judge else None

        def arms_of(job: WorkloadJob) -> dict[str, EvalEndpoint]:
            arms = {arm: endpoints[arm] for arm in job.arms}
            return arms if arms_for is None else arms_for(job.workload, arms, endpoints)

        async def one(job: WorkloadJob) -> None:
            try:
                summary = await run_eval(
                    store,
                    job.workload,
                    job.golden,
                    arms_of(job),
                    prices=prices,
                    nightly=nightly,
                    fresh=fresh,
                    resume=job.resume,
                    context=context,
                    on_start=on_start,
                    on_result=on_result,
                    started_at=started_at,
                )
            except (EvalRunError, GoldenSetError, ValueError) as exc:
                batch.failed.append(Skipped(job.workload, str(exc)))
                return
            batch.summaries.append(summary)

        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(one(job))
    order = {job.workload: i for i, job in enumerate(jobs)}
    batch.summaries.sort(key=lambda s: order.get(s.workload, 0))
    return batch
