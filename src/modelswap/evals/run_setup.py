"""Starting an eval run, or checking that an interrupted one can go on, and what it has left to do.

A new run is recorded first (``eval_runs`` with the golden set's sha256 and a spec naming every
scorer and setting), so results written a moment later always belong to a known run. A run to
resume must be of the same workload, on the same golden-set content, with its endpoints still
configured; the (case, arm) pairs it already stored are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from modelswap import __version__
from modelswap.evals.case import Case, GoldenSet
from modelswap.evals.endpoint import EvalEndpoint
from modelswap.evals.scorers.base import ScorerContext, spec_of
from modelswap.evals.scoring import case_scorers
from modelswap.store import EvalRunRow, Store

Json = dict[str, Any]


class EvalRunError(RuntimeError):
    """An eval run cannot start or go on (unknown run to resume, golden set changed, store failing)."""


@dataclass(frozen=True, slots=True)
class RunSetup:
    """The run row to start (or resume) and the pairs left to do."""

    run: EvalRunRow
    pending: dict[str, list[Case]]
    done: dict[str, int]
    scope: str | None
    resumed: bool


def _canonical(spec: Any) -> bytes:
    return orjson.dumps(spec, option=orjson.OPT_SORT_KEYS)


def scorer_specs(cases: Iterable[Case], context: ScorerContext | None = None) -> list[Json]:
    """Every distinct scorer spec the cases' assertions build, in first-seen order."""
    seen: dict[bytes, Json] = {}
    for case in cases:
        for scorer in case_scorers(case, context):
            spec = spec_of(scorer)
            seen.setdefault(_canonical(spec), spec)
    return list(seen.values())


def run_spec(
    golden: GoldenSet,
    endpoints: Mapping[str, EvalEndpoint],
    *,
    nightly: bool,
    fresh: bool = False,
    context: ScorerContext | None = None,
    suite: str = "golden",
) -> Json:
    """The ``spec`` stored with an eval run: what exactly produced its results (``suite`` names what the
    run is for: ``golden``, or ``routing_calibration`` for the replay a routing calibration makes)."""
    specs = scorer_specs(golden.cases, context)
    spec: Json = {
        "suite": suite,
        "scorers": sorted({s["type"] for s in specs}),
        "scorer_specs": specs,
        "golden_set": {
            "path": str(golden.path),
            "sha256": golden.sha256,
            "format": golden.format,
            "cases": len(golden),
            **({"first_of": golden.subset_of} if golden.subset_of else {}),
        },
        "models": {arm: ep.model for arm, ep in endpoints.items()},
        "limits": {arm: ep.limiter.limit.to_dict() for arm, ep in endpoints.items()},
        "cache": "run" if nightly or fresh else "shared",
        "modelswap": __version__,
    }
    if context is not None and context.judge is not None:
        spec["judge"] = {"name": context.judge.name, "model": context.judge.model}
    return spec


def plan_run(
    store: Store,
    workload: str,
    golden: GoldenSet,
    endpoints: Mapping[str, EvalEndpoint],
    *,
    nightly: bool = False,
    fresh: bool = False,
    resume: str | None = None,
    context: ScorerContext | None = None,
    now: datetime | None = None,
    suite: str = "golden",
) -> RunSetup:
    """Start a run (or check that ``resume`` can go on) and list the pairs left to answer."""
    now = now or datetime.now(UTC)
    if resume is None:
        arms = tuple(endpoints)
        run = EvalRunRow(
            started_at=now,
            workload=workload,
            golden_set_path=str(golden.path),
            golden_set_sha256=golden.sha256,
            endpoints=list(arms),
            spec=run_spec(golden, endpoints, nightly=nightly, fresh=fresh, context=context, suite=suite),
            nightly=nightly,
        )
        store.evals.start(run)
        scope = run.id if nightly or fresh else None
        return RunSetup(run, {arm: list(golden.cases) for arm in arms}, dict.fromkeys(arms, 0), scope, False)
    found = store.evals.run(resume)
    if found is None:
        raise EvalRunError(f"no eval run {resume!r} in {store.url_for_display}")
    if found.workload != workload:
        raise EvalRunError(f"eval run {resume} is of workload {found.workload!r}, not {workload!r}")
    if found.golden_set_sha256 != golden.sha256:
        raise EvalRunError(
            f"the golden set {golden.path} changed since eval run {resume} started "
            f"(sha256 {found.golden_set_sha256[:12]}… then, {golden.sha256[:12]}… now); start a new run instead"
        )
    missing = [arm for arm in found.endpoints if arm not in endpoints]
    if missing:
        raise EvalRunError(f"eval run {resume} ran endpoints {', '.join(found.endpoints)}; missing now: {missing}")
    stored: dict[str, set[str]] = {arm: set() for arm in found.endpoints}
    for row in store.evals.results(resume):
        stored.setdefault(row.arm, set()).add(row.case_id)
    pending = {arm: [c for c in golden.cases if c.id not in stored[arm]] for arm in found.endpoints}
    done = {arm: len(stored[arm]) for arm in found.endpoints}
    if any(pending.values()):
        store.evals.finish(resume, status="running", finished_at=now)
    scope = found.id if found.spec.get("cache") == "run" else None
    return RunSetup(found, pending, done, scope, True)
