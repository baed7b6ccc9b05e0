"""Interrupting an eval half-way and resuming it never pays for the same answer twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelswap.evals.runner import PairResult, RunPlan, run_eval
from modelswap.evals.targets import limited
from modelswap.providers import HttpPool, build_upstream
from modelswap.sim import SimConfig, start_sim
from modelswap.sim.server import RunningSim
from modelswap.store import Store, open_store

from .runner_fakes import FakeModel, arithmetic_cases, sim_total, write_golden


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'evals.db'}") as s:
        yield s


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    running = await start_sim(SimConfig(time_scale=0, error_scale=0, seed=7))
    yield running
    await running.stop()


async def test_cancelled_half_way_then_resumed_the_simulator_serves_each_pair_once(
    tmp_path: Path, store: Store, sim: RunningSim
) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(40))
    pool = HttpPool()
    upstreams = {
        arm: build_upstream("openai", arm, model, sim.base_url, "k", pool, dialect="openai", max_retries=0)
        for arm, model in (("old", "gpt-4o"), ("new", "gpt-5"))
    }
    plans: list[RunPlan] = []
    seen: list[PairResult] = []
    task: asyncio.Task[object] | None = None

    def on_result(pair: PairResult) -> None:
        seen.append(pair)
        if len(seen) == 30 and task is not None:
            task.cancel()  # what Ctrl-C does to `modelswap eval`

    task = asyncio.ensure_future(
        run_eval(store, "w", golden, limited(upstreams, concurrency=4), on_start=plans.append, on_result=on_result)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    run_id = plans[0].run_id
    run = store.evals.run(run_id)
    assert run is not None and run.status == "cancelled"
    stored = store.evals.results(run_id)
    assert 30 <= len(stored) < 80
    served_before = sim_total(sim)

    resumed = await run_eval(store, "w", golden, limited(upstreams, concurrency=4), resume=run_id)
    await pool.aclose()
    assert resumed.status == "finished" and resumed.resumed and resumed.skipped == len(stored)
    assert resumed.answered == 80 - len(stored)
    assert sim_total(sim) == 80  # every (case, arm) reached the simulator exactly once, across both sessions
    assert resumed.calls == 80 - served_before
    assert sim.engine.counts == {("gpt-4o", 200): 40, ("gpt-5", 200): 40}
    rows = store.evals.results(run_id)
    assert len(rows) == 80 and len({(r.case_id, r.arm) for r in rows}) == 80
    finished = store.evals.run(run_id)
    assert finished is not None and finished.status == "finished"


async def test_calls_on_the_wire_when_interrupted_land_and_are_never_made_again(tmp_path: Path, store: Store) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(40))
    task: asyncio.Task[object] | None = None

    def interrupt(n: int) -> None:
        if n == 12 and task is not None:
            task.cancel()  # call 12 has just been sent: it and the others in flight must land

    old, new = FakeModel("m-old", delay=0.05, on_call=interrupt), FakeModel("m-new", delay=0.05)
    plans: list[RunPlan] = []
    task = asyncio.ensure_future(
        run_eval(store, "w", golden, limited({"old": old, "new": new}, concurrency=8), on_start=plans.append)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    first_session = old.total + new.total
    assert first_session < 80
    assert old.answered == old.calls and new.answered == new.calls  # nothing in flight was abandoned
    old.on_call = None

    resumed = await run_eval(
        store, "w", golden, limited({"old": old, "new": new}, concurrency=8), resume=plans[0].run_id
    )
    assert resumed.status == "finished"
    assert set(old.calls.values()) == {1} and set(new.calls.values()) == {1}
    assert old.total == new.total == 40
    assert resumed.calls == 80 - first_session
    assert len(store.evals.results(plans[0].run_id)) == 80


async def test_answers_that_landed_but_were_not_scored_come_back_from_the_cache(tmp_path: Path, store: Store) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(10))
    task: asyncio.Task[object] | None = None
    plans: list[RunPlan] = []

    def interrupt(n: int) -> None:
        if n == 10 and task is not None:
            task.cancel()

    fake = FakeModel(delay=0.05, on_call=interrupt)
    task = asyncio.ensure_future(
        run_eval(store, "w", golden, limited({"old": fake}, concurrency=10), on_start=plans.append)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fake.total == 10 and store.evals.results(plans[0].run_id) == []  # all landed, none was scored
    resumed = await run_eval(store, "w", golden, limited({"old": fake}), resume=plans[0].run_id)
    assert (resumed.calls, resumed.cache_hits, resumed.answered) == (0, 10, 10)
    assert fake.total == 10


async def test_nightly_runs_ask_afresh_but_a_resumed_night_reuses_its_answers(tmp_path: Path, store: Store) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(8))
    fake = FakeModel()
    await run_eval(store, "w", golden, limited({"old": fake}))
    assert fake.total == 8
    night = await run_eval(store, "w", golden, limited({"old": fake}), nightly=True)
    assert fake.total == 16 and night.calls == 8 and night.nightly
    run = store.evals.run(night.run_id)
    assert run is not None and run.nightly and run.spec["cache"] == "run"
    fresh = await run_eval(store, "w", golden, limited({"old": fake}), fresh=True)
    assert fake.total == 24 and fresh.calls == 8 and not fresh.nightly  # --fresh: an ad hoc run that asks again

    task: asyncio.Task[object] | None = None
    plans: list[RunPlan] = []
    slow = FakeModel(delay=0.05, on_call=lambda n: task.cancel() if n == 4 and task else None)
    task = asyncio.ensure_future(
        run_eval(store, "w", golden, limited({"old": slow}, concurrency=2), nightly=True, on_start=plans.append)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    slow.on_call = None
    await run_eval(store, "w", golden, limited({"old": slow}), resume=plans[0].run_id)
    assert slow.total == 8 and set(slow.calls.values()) == {1}


async def test_a_call_cancelled_from_below_counts_as_a_failed_call(tmp_path: Path, store: Store) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(6))

    class Flaky(FakeModel):
        async def complete(self, body: dict[str, object]) -> dict[str, object]:
            if self.total == 2:
                self.calls["cancelled"] += 1
                raise asyncio.CancelledError  # e.g. a client library cancelling its own request
            return await super().complete(body)

    summary = await run_eval(store, "w", golden, limited({"old": Flaky()}, concurrency=1))
    assert (summary.status, summary.answered, summary.errors) == ("finished", 6, 1)
    errors = [r.error for r in store.evals.results(summary.run_id) if r.error]
    assert errors == ["the call was cancelled"]


async def test_a_resumed_run_keeps_its_start_and_reads_as_running_until_done(tmp_path: Path, store: Store) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(6))
    start = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    task: asyncio.Task[object] | None = None
    plans: list[RunPlan] = []
    fake = FakeModel(delay=0.02, on_call=lambda n: task.cancel() if n == 2 and task else None)
    task = asyncio.ensure_future(
        run_eval(store, "w", golden, limited({"old": fake}, concurrency=1), started_at=start, on_start=plans.append)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    fake.on_call = None
    await run_eval(store, "w", golden, limited({"old": fake}), resume=plans[0].run_id)
    run = store.evals.run(plans[0].run_id)
    assert run is not None and run.started_at == start and run.status == "finished"
