"""One session of an eval run (a first run or a resume): per-arm workers that look each case up
in the response cache, call the model on a miss, score the answer and hand its rows to the writer.

``runner.run_eval`` plans the run, builds a ``RunSession`` and stores how it ended; the session
holds the counts it reports and drains calls on the wire when the run is stopped.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from modelswap.catalog import Price, UnknownModel, price_for
from modelswap.evals.cache import ResponseCache, cache_key
from modelswap.evals.case import Case, GoldenSet
from modelswap.evals.endpoint import Answer, EvalEndpoint, Flight
from modelswap.evals.output import Output
from modelswap.evals.run_setup import EvalRunError, RunSetup
from modelswap.evals.scorers.base import Score, ScorerContext
from modelswap.evals.scoring import case_passed, score_case
from modelswap.evals.writer import ResultWriter
from modelswap.providers.base import Json, UpstreamError
from modelswap.store import EvalResultRow, EvalRunRow, Store

__all__ = [
    "DEFAULT_WORKERS",
    "NO_SCORER",
    "ROUTED_KEY",
    "PairResult",
    "RunCounters",
    "RunSession",
    "price_or_none",
    "result_rows",
    "routed_part",
    "usage_cost",
]

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


@dataclass(slots=True)
class RunCounters:
    """What a session did, for its ``RunSummary``."""

    answered: int = 0
    calls: int = 0
    attempts: int = 0
    errors: int = 0


ROUTED_KEY = "modelswap"
"""Where a routed arm's answer says what it cost and whether it escalated (``routing.eval_arm``)."""


def routed_part(body: Json | None) -> Json | None:
    """A routed arm's ``{"escalated", "answered_by", "cost_usd"}``, if the body carries it."""
    part = body.get(ROUTED_KEY) if isinstance(body, dict) else None
    return part if isinstance(part, dict) else None


def usage_cost(body: Json, price: Price | None) -> float | None:
    """What a response cost at ``price``, from the usage it reports (None if it reports none)."""
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


def price_or_none(model: str, overrides: Mapping[str, Price] | None) -> Price | None:
    try:
        return price_for(model, overrides)
    except UnknownModel:
        return None


def result_rows(run_id: str, pair: PairResult) -> list[EvalResultRow]:
    """The store rows of a scored pair: one per scorer (one ``none`` row for a case without scorers)."""
    answer = pair.output.to_dict()
    base: Json = {"answer": answer, "cached": pair.cached, "attempts": pair.attempts}
    routed = routed_part(pair.output.raw)
    if routed is not None:
        base["routed"] = {"escalated": bool(routed.get("escalated")), "answered_by": str(routed.get("answered_by"))}
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
class RunSession:
    """The state of one session of one run (a first run or a resume); ``execute`` runs it."""

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
    counters: RunCounters = field(default_factory=RunCounters)
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
            self.counters.calls += _calls_made(endpoint, answer)
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
            cost, latency = _answer_cost(endpoint, answer, self.prices.get(arm))
            output = Output.from_response(answer.body, "openai", latency_ms=latency, cost_usd=cost)
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


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _answer_cost(endpoint: EvalEndpoint, answer: Answer, price: Price | None) -> tuple[float | None, float | None]:
    """An answer's cost and latency: as a routed arm reports them (the cheap try plus the strong answer,
    on the wire), else from its usage and the call's own time."""
    if getattr(endpoint.upstream, "reports_cost", False):
        part = routed_part(answer.body) or {}
        return _number(part.get("cost_usd")), _number(part.get("latency_ms"))
    return usage_cost(answer.body, price), answer.latency_ms


def _calls_made(endpoint: EvalEndpoint, answer: Answer) -> int:
    """Model calls an answer took: one, or as many as a routed arm reports (none when it read the cache)."""
    if getattr(endpoint.upstream, "reports_cost", False):
        calls = (routed_part(answer.body) or {}).get("calls")
        return calls if isinstance(calls, int) and not isinstance(calls, bool) and calls >= 0 else 1
    return 1


def _describe(exc: BaseException) -> str:
    if isinstance(exc, UpstreamError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"
