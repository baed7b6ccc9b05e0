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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from modelswap.catalog import Price
from modelswap.evals.cache import CachedUpstream, ResponseCache
from modelswap.evals.case import GoldenSet
from modelswap.evals.endpoint import EvalEndpoint
from modelswap.evals.run_session import PairResult, RunSession, price_or_none, result_rows
from modelswap.evals.run_setup import EvalRunError, RunSetup, plan_run, run_spec, scorer_specs
from modelswap.evals.scorers.base import ScorerContext
from modelswap.evals.writer import ResultWriter
from modelswap.store import Store

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
    suite: str = "golden",
) -> RunSummary:
    """Run ``golden`` on every endpoint (arm name → endpoint) and store the results.

    ``prices`` overrides the catalog per model id. ``resume`` continues an earlier run of the
    same workload and golden set; ``started_at`` dates a new run (default: now). A ``nightly``
    or ``fresh`` run asks every model afresh instead of reusing cached answers of earlier runs. Cancelling
    the task stops the run as described above and re-raises; the run is then stored as
    ``cancelled`` and can be resumed. ``suite`` names what the run is for in its spec.
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
            suite=suite,
        )
    except ValueError as exc:  # a golden-set assertion that no longer builds
        raise EvalRunError(str(exc)) from exc
    arms = tuple(setup.run.endpoints)
    if on_start is not None:
        on_start(_announce(setup, golden, endpoints))
    writer = ResultWriter(store)
    cache = ResponseCache(store, writer)
    if context is not None and context.judge is not None:
        context = replace(context, judge=CachedUpstream(context.judge, cache))
    session = RunSession(
        store=store,
        setup=setup,
        golden=golden,
        endpoints={arm: endpoints[arm] for arm in arms},
        writer=writer,
        cache=cache,
        prices={arm: price_or_none(endpoints[arm].model, prices) for arm in arms},
        context=context,
        on_result=on_result,
        drain_timeout_s=drain_timeout_s,
    )
    status = await _run_and_store(session)
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


def _announce(setup: RunSetup, golden: GoldenSet, endpoints: Mapping[str, EvalEndpoint]) -> RunPlan:
    arms = tuple(setup.run.endpoints)
    return RunPlan(
        run_id=setup.run.id,
        workload=setup.run.workload,
        arms=arms,
        models={arm: endpoints[arm].model for arm in arms},
        pending={arm: len(setup.pending[arm]) for arm in arms},
        done=setup.done,
        cases=len(golden),
        resumed=setup.resumed,
        nightly=setup.run.nightly,
    )


async def _run_and_store(session: RunSession) -> Status:
    """Run the session, store every row it produced and the run's end; the status it ended in."""
    writer, run_id = session.writer, session.run.id
    status: Status = "failed"
    async with writer:
        try:
            await session.execute()
            await _flush_or_fail(writer)
            writer.results(session.held)
            await _flush_or_fail(writer)
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
            await asyncio.to_thread(session.store.evals.finish, run_id, status=status, finished_at=datetime.now(UTC))
    return status


async def _flush_or_fail(writer: ResultWriter) -> None:
    await writer.flush()
    if writer.error is not None:
        raise EvalRunError(f"cannot store eval results: {writer.error}") from writer.error
