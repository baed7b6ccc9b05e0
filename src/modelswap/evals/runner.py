"""The eval runner: one golden set on old, new and any candidates at once, stored as it goes.

>>> summary = await run_eval(store, "ticket-triage", golden, endpoints)   # doctest: +SKIP
>>> summary.run_id, summary.status, summary.calls

Each arm has its own queue of cases and as many workers as its endpoint takes calls at once
(its ``Limiter``: own concurrency, the run's shared total, request and token rates). Every
(case, arm) is looked up in the response cache first; a miss is called, cached and scored,
and its rows are handed to the background writer at once. So an interrupted run has lost
nothing it paid for: ``resume=run_id`` skips the (case, arm) pairs already stored, and anything
answered but not yet scored comes back from the cache.

Interrupting (cancelling the task, Ctrl-C) stops sending: calls still waiting for their turn
are dropped, calls already on the wire are let land and stored (for up to ``drain_timeout_s``),
then the run is marked ``cancelled`` and the cancellation goes on. A call that fails after its
retries is scored as failed (``error`` set); those rows are stored when the run completes, so
a resumed run retries them instead.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

from modelswap.catalog import Price, UnknownModel, price_for
from modelswap.evals.cache import CachedUpstream, ResponseCache, cache_key
from modelswap.evals.case import Case, GoldenSet
from modelswap.evals.endpoint import Answer, EvalEndpoint, Flight
from modelswap.evals.output import Output
from modelswap.evals.run_setup import EvalRunError, RunSetup, plan_run, run_spec, scorer_specs
from modelswap.evals.scorers.base import Score, ScorerContext
from modelswap.evals.scoring import case_passed, score_case
from modelswap.evals.writer import ResultWriter
from modelswap.providers.base import Json, UpstreamError
from modelswap.store import EvalResultRow, EvalRunRow, Store

__all__ = [
    "EvalRunError",
    "PairResult",
    "RunPlan",
    "RunSetup",
    "RunSummary",
    "plan_run",
    "result_rows",
    "run_eval",
    "run_spec",
    "scorer_specs",
]

Status = Literal["finished", "cancelled", "failed"]
NO_SCORER = "none"
"""Scorer name of the one row stored for a case without assertions (its answer, cost and latency)."""
DEFAULT_WORKERS = 64
"""Workers per arm when its endpoint sets no concurrency limit at all."""


@dataclass(frozen=True, slots=True)
class PairResult:
    """One golden case answered by one arm, and scored."""

    run_id: str
    workload: str
    case_id: str
    arm: str
    model: str
    passed: bool | None
    scores: tuple[Score, ...]
    output: Output
    cached: bool
    attempts: int

    @property
    def error(self) -> str | None:
        return self.output.error


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What a run is about to do: announced before the first call (for progress bars)."""

    run_id: str
    workload: str
    arms: tuple[str, ...]
    models: Mapping[str, str]
    pending: Mapping[str, int]
    """(case, arm) pairs left to answer, per arm."""
    done: Mapping[str, int]
    """Pairs already stored by an earlier session of this run (resume), per arm."""
    cases: int
    resumed: bool
    nightly: bool


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What one session of a run did; the run's figures are in the store (``evals.results``)."""

    run_id: str
    workload: str
    status: Status
    arms: tuple[str, ...]
    answered: int
    """(case, arm) pairs scored in this session."""
    calls: int
    """Requests that went to a model in this session (retries excluded: see ``attempts``)."""
    attempts: int
    """Attempts on the wire, retries included."""
    cache_hits: int
    errors: int
    """Pairs whose call failed after its retries (scored as failed)."""
    skipped: int
    """Pairs already stored before this session (resume)."""
    elapsed_s: float
    resumed: bool
    nightly: bool


@dataclass(slots=True)
class _Counters:
    answered: int = 0
    calls: int = 0
    attempts: int = 0
    errors: int = 0


def _usage_cost(body: Json, price: Price | None) -> float | None:
    usage = body.get("usage")
    if price is None or not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    cached = cached if isinstance(cached, int) and 0 <= cached <= prompt else 0
    return price.usd(prompt, completion, cached)


def _price(model: str, overrides: Mapping[str, Price] | None) -> Price | None:
    try:
        return price_for(model, overrides)
    except UnknownModel:
        return None


def result_rows(run_id: str, pair: PairResult) -> list[EvalResultRow]:
    """The store rows of a scored pair: one per scorer (one ``none`` row for a case without scorers)."""
    answer = pair.output.to_dict()
    base = {"answer": answer, "cached": pair.cached, "attempts": pair.attempts}
    scores = pair.scores or (Score(None, None, "the case has no assertions", {"type": NO_SCORER}, NO_SCORER),)
    return [
        EvalResultRow(
            run_id=run_id,
            case_id=pair.case_id,
            arm=pair.arm,
            scorer=s.name,
            model=pair.model,
            scorer_spec=s.spec,
            output={**base, "reason": s.reason, "details": s.details},
            passed=s.passed,
            score=s.score,
            latency_ms=pair.output.latency_ms,
            cost_usd=pair.output.cost_usd,
            error=pair.output.error,
        )
        for s in scores
    ]


@dataclass
class _Session:
    """The state of one session of one run (a first run or a resume)."""

    store: Store
    setup: RunSetup
    golden: GoldenSet
    endpoints: Mapping[str, EvalEndpoint]
    writer: ResultWriter
    cache: ResponseCache
    prices: Mapping[str, Price | None]
    context: ScorerContext | None
    on_result: Callable[[PairResult], None] | None
    drain_timeout_s: float
    stopping: bool = False
    counters: _Counters = field(default_factory=_Counters)
    units: dict[asyncio.Future[None], Flight] = field(default_factory=dict)
    held: list[EvalResultRow] = field(default_factory=list)

    @property
    def run(self) -> EvalRunRow:
        return self.setup.run

    async def execute(self) -> None:
        queues = {arm: deque(cases) for arm, cases in self.setup.pending.items() if cases}
        keys = [
            cache_key(self.endpoints[arm].model, case.request_body(self.endpoints[arm].model), self.setup.scope)
            for arm, cases in queues.items()
            for case in cases
        ]
        await self.cache.prefetch(keys)
        try:
            async with asyncio.TaskGroup() as group:
                for arm, queue in queues.items():
                    workers = min(self.endpoints[arm].capacity or DEFAULT_WORKERS, len(queue))
                    for _ in range(workers):
                        group.create_task(self._worker(arm, queue))
        except BaseException:
            await self._drain()
            raise

    async def _worker(self, arm: str, queue: deque[Case]) -> None:
        endpoint = self.endpoints[arm]
        while queue and not self.stopping:
            if self.writer.error is not None:
                raise EvalRunError(f"cannot store eval results: {self.writer.error}") from self.writer.error
            case = queue.popleft()
            body = case.request_body(endpoint.model)
            key = cache_key(endpoint.model, body, self.setup.scope)
            known = self.cache.peek(key)
            if known is not None:
                await self._score(case, arm, endpoint, known, None)
                continue
            flight = Flight()
            unit = asyncio.ensure_future(self._call_and_score(case, arm, endpoint, key, body, flight))
            self.units[unit] = flight
            unit.add_done_callback(self._forget)
            try:
                await asyncio.shield(unit)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if self.stopping or (task is not None and task.cancelling()):
                    self.stopping = True  # the run is being stopped: a call not yet sent never will be
                    if not flight.sending:
                        unit.cancel()
                    raise
                # The call was cancelled from below, not this run: count it as a failed call.
                await self._score(case, arm, endpoint, None, "the call was cancelled")

    def _forget(self, unit: asyncio.Future[None]) -> None:
        self.units.pop(unit, None)
        if not unit.cancelled():
            unit.exception()  # surfaced through the worker's await; marked retrieved here

    async def _call_and_score(
        self, case: Case, arm: str, endpoint: EvalEndpoint, key: str, body: Json, flight: Flight
    ) -> None:
        try:
            answer = await self.cache.fetch(key, endpoint.model, lambda: endpoint.answer(body, flight))
        except Exception as exc:  # UpstreamError after retries, or a provider bug: a failed call
            self.counters.attempts += flight.sent
            if self.stopping:
                return
            await self._score(case, arm, endpoint, None, _describe(exc))
            return
        if not answer.cached:
            self.counters.calls += 1
            self.counters.attempts += flight.sent
        if self.stopping:
            return  # the answer is cached: a resumed run scores it without calling again
        await self._score(case, arm, endpoint, answer, None)

    async def _score(
        self, case: Case, arm: str, endpoint: EvalEndpoint, answer: Answer | None, error: str | None
    ) -> None:
        if answer is None:
            output = Output.from_error(error or "no answer")
            cached, attempts = False, 0
        else:
            cost = _usage_cost(answer.body, self.prices.get(arm))
            output = Output.from_response(answer.body, "openai", latency_ms=answer.latency_ms, cost_usd=cost)
            cached, attempts = answer.cached, answer.attempts
        scores = tuple(await score_case(case, output, context=self.context))
        pair = PairResult(
            self.run.id, self.run.workload, case.id, arm, endpoint.model, case_passed(scores), scores, output,
            cached, attempts,
        )  # fmt: skip
        rows = result_rows(self.run.id, pair)
        if output.error is not None:
            self.counters.errors += 1
            self.held.extend(rows)  # stored when the run completes; a resumed run retries the call
        else:
            self.writer.results(rows)
        self.counters.answered += 1
        if self.on_result is not None:
            self.on_result(pair)

    async def _drain(self) -> None:
        """Stop sending: drop waiting calls, let calls on the wire land (bounded), store what came."""
        self.stopping = True
        for unit, flight in list(self.units.items()):
            if not flight.sending:
                unit.cancel()
        pending = [u for u in self.units if not u.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.drain_timeout_s)
            for unit in late:
                unit.cancel()
            if late:
                await asyncio.wait(late)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, UpstreamError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


def _unwrap(exc: BaseException) -> BaseException:
    """The single real error inside nested exception groups (TaskGroup wraps them)."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


async def run_eval(
    store: Store,
    workload: str,
    golden: GoldenSet,
    endpoints: Mapping[str, EvalEndpoint],
    *,
    prices: Mapping[str, Price] | None = None,
    nightly: bool = False,
    fresh: bool = False,
    resume: str | None = None,
    context: ScorerContext | None = None,
    on_start: Callable[[RunPlan], None] | None = None,
    on_result: Callable[[PairResult], None] | None = None,
    drain_timeout_s: float = 30.0,
    started_at: datetime | None = None,
) -> RunSummary:
    """Run ``golden`` on every endpoint (arm name → endpoint) and store the results.

    ``prices`` overrides the catalog per model id. ``resume`` continues an earlier run of the
    same workload and golden set; ``started_at`` dates a new run (default: now). A ``nightly``
    or ``fresh`` run asks every model afresh instead of reusing cached answers of earlier runs. Cancelling
    the task stops the run as described above and re-raises; the run is then stored as
    ``cancelled`` and can be resumed.
    """
    started = time.perf_counter()
    try:
        setup = await asyncio.to_thread(
            plan_run,
            store,
            workload,
            golden,
            endpoints,
            nightly=nightly,
            fresh=fresh,
            resume=resume,
            context=context,
            now=started_at,
        )
    except ValueError as exc:  # a golden-set assertion that no longer builds
        raise EvalRunError(str(exc)) from exc
    arms = tuple(setup.run.endpoints)
    plan = RunPlan(
        run_id=setup.run.id,
        workload=workload,
        arms=arms,
        models={arm: endpoints[arm].model for arm in arms},
        pending={arm: len(setup.pending[arm]) for arm in arms},
        done=setup.done,
        cases=len(golden),
        resumed=setup.resumed,
        nightly=setup.run.nightly,
    )
    if on_start is not None:
        on_start(plan)
    writer = ResultWriter(store)
    cache = ResponseCache(store, writer)
    if context is not None and context.judge is not None:
        context = replace(context, judge=CachedUpstream(context.judge, cache))
    session = _Session(
        store=store,
        setup=setup,
        golden=golden,
        endpoints={arm: endpoints[arm] for arm in arms},
        writer=writer,
        cache=cache,
        prices={arm: _price(endpoints[arm].model, prices) for arm in arms},
        context=context,
        on_result=on_result,
        drain_timeout_s=drain_timeout_s,
    )
    status: Status = "failed"
    async with writer:
        try:
            await session.execute()
            await writer.flush()
            if writer.error is not None:
                raise EvalRunError(f"cannot store eval results: {writer.error}") from writer.error
            writer.results(session.held)
            await writer.flush()
            if writer.error is not None:
                raise EvalRunError(f"cannot store eval results: {writer.error}") from writer.error
            status = "finished"
        except asyncio.CancelledError:
            status = "cancelled"
            raise
        except BaseException as exc:
            real = _unwrap(exc)
            if isinstance(real, asyncio.CancelledError | KeyboardInterrupt):
                status = "cancelled"
            if real is not exc:
                raise real from None
            raise
        finally:
            await writer.flush()
            await asyncio.to_thread(store.evals.finish, setup.run.id, status=status, finished_at=datetime.now(UTC))
    c = session.counters
    return RunSummary(
        run_id=setup.run.id,
        workload=workload,
        status=status,
        arms=arms,
        answered=c.answered,
        calls=c.calls,
        attempts=c.attempts,
        cache_hits=session.cache.hits,
        errors=c.errors,
        skipped=sum(setup.done.values()),
        elapsed_s=time.perf_counter() - started,
        resumed=setup.resumed,
        nightly=setup.run.nightly,
    )
