"""Replaying a routed workload's golden set through its cheap and strong endpoints, and rating the cheap answers.

Both endpoints answer every case through the eval runner (so the run is stored, resumable and
its answers cached: a second calibration calls nobody); then the workload's router signal rates
each cheap answer as the cascade would. The result is what ``calibrate`` needs, plus the
(request, cheap answer passed) labels a classifier signal is trained on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from modelswap.config import Migration, Routing, Workload
from modelswap.evals.case import Case, GoldenSet
from modelswap.evals.dataset import load_golden_set
from modelswap.evals.endpoint import EvalEndpoint
from modelswap.evals.runner import PairResult, RunPlan, run_eval
from modelswap.evals.targets import DEFAULT_CONCURRENCY, migration_endpoints
from modelswap.routing.calibrate import CaseOutcome
from modelswap.routing.decide import Decider
from modelswap.routing.eval_arm import CachedEndpoint
from modelswap.routing.signal import Exchange, Json, Signal, build_signal
from modelswap.store import Store

__all__ = ["CHEAP_ARM", "STRONG_ARM", "Replay", "RoutingSetupError", "replay", "routed_workload"]

CALIBRATION_SUITE = "routing_calibration"
"""The suite its eval run names: the plan's check that a routed workload's confidence gate was calibrated."""
CHEAP_ARM, STRONG_ARM = "routing-cheap", "routing-strong"
"""The arms of a calibration's eval run: its endpoints by role, so it is never judged as an old-vs-new run."""


class RoutingSetupError(ValueError):
    """The workload cannot be calibrated as asked (no routing section, no golden set, bad signal)."""


@dataclass(frozen=True, slots=True)
class Replay:
    """Both models on every golden case, and the signal's rating of each cheap answer."""

    workload: str
    run_id: str
    cheap_model: str
    strong_model: str
    needs_answer: bool
    cases: tuple[CaseOutcome, ...]
    labels: tuple[tuple[Json, bool], ...]
    """(request, the cheap answer passed) per case: a classifier signal's training data."""


def routed_workload(migration: Migration, name: str | None) -> tuple[Workload, Routing]:
    """The named workload (or the only routed one) and its routing section."""
    routed = [w for w in migration.workloads if w.routing is not None]
    if name is None:
        if len(routed) != 1:
            names = ", ".join(w.name for w in routed) or "none"
            raise RoutingSetupError(f"name the workload to calibrate with --workload (routed workloads: {names})")
        workload = routed[0]
    else:
        found = [w for w in migration.workloads if w.name == name]
        if not found:
            raise RoutingSetupError(f"no workload {name!r} in {migration.source}")
        workload = found[0]
    if workload.routing is None:
        raise RoutingSetupError(f"workload {workload.name!r} has no routing: section to calibrate")
    if workload.golden_set is None:
        raise RoutingSetupError(f"workload {workload.name!r} has no golden_set to calibrate on")
    return workload, workload.routing


def _signal(routing: Routing, workload: str) -> Signal:
    try:
        return build_signal(routing.signal)
    except ValueError as exc:
        raise RoutingSetupError(f"workloads.{workload}.routing.signal: {exc}") from None


def _passed(pair: PairResult) -> bool:
    return pair.passed is True  # a failed call counts as a failed case, as the gates count it


async def _rated(
    case: Case, pairs: Mapping[tuple[str, str], PairResult], decider: Decider, cheap: EvalEndpoint, store: Store
) -> tuple[Json, CaseOutcome] | None:
    """One case's outcome on both models and the signal's confidence in the cheap answer (None: unanswered)."""
    low, high = pairs.get((CHEAP_ARM, case.id)), pairs.get((STRONG_ARM, case.id))
    if low is None or high is None:
        return None
    request = case.request_body(cheap.model)
    answer = low.output.raw if low.output.error is None else None
    prepared = decider.prepare(request)
    if answer is not None and prepared != request:  # the signal needs more than the plain answer (logprobs)
        answer = await CachedEndpoint(cheap, [], store).complete(prepared)
    conf = 0.0 if answer is None else await decider.signal.confidence(Exchange(prepared, answer), decider.ask)
    outcome = CaseOutcome(case.id, _passed(low), _passed(high), low.output.cost_usd or 0.0,
                          high.output.cost_usd or 0.0, float(conf))  # fmt: skip
    return request, outcome


async def replay(
    migration: Migration,
    workload_name: str | None,
    store: Store,
    *,
    on_start: Callable[[RunPlan], None] | None = None,
    on_result: Callable[[PairResult], None] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Replay:
    """Run the golden set on the cheap and the strong endpoint and rate every cheap answer."""
    workload, routing = routed_workload(migration, workload_name)
    signal = _signal(routing, workload.name)
    assert workload.golden_set is not None
    golden: GoldenSet = load_golden_set(workload.golden_set, workload=workload.name)
    pairs: dict[tuple[str, str], PairResult] = {}

    def collect(pair: PairResult) -> None:
        pairs[(pair.arm, pair.case_id)] = pair
        if on_result is not None:
            on_result(pair)

    async with migration_endpoints(migration, [routing.cheap, routing.strong], concurrency=concurrency) as endpoints:
        cheap, strong = endpoints[routing.cheap], endpoints[routing.strong]
        arms = {CHEAP_ARM: cheap, STRONG_ARM: strong}  # never "old"/"new": `modelswap gate` judges those runs
        summary = await run_eval(store, workload.name, golden, arms, on_start=on_start, on_result=collect,
                                 suite=CALIBRATION_SUITE)  # fmt: skip

        decider = Decider(signal, routing.threshold, "openai", ask=cheap.complete)
        outcomes = [await _rated(case, pairs, decider, cheap, store) for case in golden]
    kept = [o for o in outcomes if o is not None]
    labels = tuple((request, o.cheap_pass) for request, o in kept)
    return Replay(
        workload.name, summary.run_id, cheap.model, strong.model,
        bool(getattr(signal, "needs_answer", True)), tuple(o for _, o in kept), labels,
    )  # fmt: skip
