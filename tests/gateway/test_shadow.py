"""Shadow stage: the old model serves, the new one gets a copy off the serving path."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from modelswap.config import Migration
from modelswap.gateway.shadow import ShadowRunner
from modelswap.rollout import flag
from modelswap.sim import ProfileOverride, RunningSim, SimConfig, start_sim
from modelswap.store import Store

from .conftest import (
    CLAUDE_OLD,
    NEW,
    OLD,
    PERFECT,
    WORKLOAD,
    Scripted,
    StartGateway,
    anthropic_endpoint,
    dead_url,
    migration_of,
    openai_endpoint,
    sample,
)

ASK = {"model": OLD, "messages": [{"role": "user", "content": "How do I export my projects?"}]}


def answer_of(response: httpx.Response) -> Any:
    """What the app reads from a chat completion: the choices (ids and timestamps aside)."""
    if response.headers["content-type"].startswith("text/event-stream"):
        frames = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
        chunks = [orjson.loads(f) for f in frames if f != "[DONE]"]
        return [c["choices"] for c in chunks], frames[-1]
    body = response.json()
    return body.get("choices", body)


async def test_every_served_request_has_a_stored_pair(start_gateway: StartGateway, migration: Migration) -> None:
    gw = await start_gateway(migration)
    ids = []
    for i in range(6):
        r = await gw.client.post("/v1/chat/completions", json={**ASK, "stream": i % 2 == 1, "user": f"u{i}"})
        assert r.status_code == 200 and r.headers["x-modelswap-arm"] == "old"
        ids.append(r.headers["x-request-id"])
    await gw.settle(requests=6, pairs=6)
    rows = gw.requests()
    assert [r.id for r in rows] == ids
    assert all(r.arm == "old" and r.model == OLD for r in rows)
    pairs = {p.request_id: p for p in gw.pairs()}
    assert set(pairs) == set(ids)
    assert all(p.arm == "new" and p.model == NEW and p.status == 200 for p in pairs.values())
    assert all(p.completion_tokens and p.cost_usd for p in pairs.values())


async def test_streamed_primary_gets_a_non_streamed_shadow(
    start_gateway: StartGateway, migration: Migration, sim: RunningSim
) -> None:
    gw = await start_gateway(migration)
    r = await gw.client.post("/v1/chat/completions", json={**ASK, "stream": True})
    assert r.status_code == 200 and r.text.endswith("data: [DONE]\n\n")
    await gw.settle(requests=1, pairs=1)
    served = {(s.model, s.stream) for s in sim.engine.served}
    assert served == {(OLD, True), (NEW, False)}
    (pair,) = gw.pairs()
    assert pair.response_body is not None and pair.response_body["object"] == "chat.completion"


@pytest.fixture
async def faulty_sim() -> AsyncIterator[RunningSim]:
    """A simulator on which the new model fails every call with a 5xx."""
    models = {**PERFECT, NEW: ProfileOverride(quality=1.0, error_rate=1.0, rate_limit_rate=0.0)}
    models[OLD] = ProfileOverride(quality=1.0, error_rate=0.0, rate_limit_rate=0.0)
    running = await start_sim(SimConfig(time_scale=0.0, error_scale=1.0, models=models))
    yield running
    await running.stop()


@pytest.mark.parametrize("failure", ["dead port", "server errors"])
async def test_a_failing_shadow_changes_nothing_the_app_sees(
    failure: str,
    start_gateway: StartGateway,
    tmp_path: Path,
    sim: RunningSim,
    faulty_sim: RunningSim,
    store: Store,
) -> None:
    new_url = dead_url() + "/v1" if failure == "dead port" else faulty_sim.base_url
    migration = migration_of(
        tmp_path, openai_endpoint(sim, OLD, max_retries=0), openai_endpoint(new_url, NEW, max_retries=0)
    )
    flag.set_stage(store, WORKLOAD, "split", 0, "test", "no shadow yet")
    gw = await start_gateway(migration)

    async def ask() -> list[tuple[int, Any]]:
        out = []
        for stream in (False, True):
            r = await gw.client.post("/v1/chat/completions", json={**ASK, "stream": stream})
            out.append((r.status_code, answer_of(r)))
        return out

    without_shadow = await ask()
    flag.set_stage(store, WORKLOAD, "shadow", None, "test", "start shadow")
    await asyncio.to_thread(gw.app.routes.refresh)
    with_shadow = await ask()
    assert with_shadow == without_shadow
    assert [status for status, _ in with_shadow] == [200, 200]

    await gw.settle(requests=4, pairs=2)
    pairs = gw.pairs()
    kinds = {"connection"} if failure == "dead port" else {"server", "overloaded"}  # the sim draws 500 or 503
    assert [p.arm for p in pairs] == ["new", "new"]
    assert all(p.error_kind in kinds and p.status in (500, 502, 503) and p.error for p in pairs)
    metrics = await gw.metrics()
    failed = sum(sample(metrics, "modelswap_shadow_requests_total", arm="new", outcome=k) for k in kinds)
    assert failed == 2
    assert sample(metrics, "modelswap_shadow_requests_total", outcome="ok") == 0
    assert sample(metrics, "modelswap_requests_total", workload=WORKLOAD, arm="old", status="200") == 4


async def test_a_slow_shadow_does_not_slow_the_app(
    start_gateway: StartGateway,
    tmp_path: Path,
    sim: RunningSim,
    scripted: Callable[..., Awaitable[Scripted]],
) -> None:
    slow = await scripted(200, {"choices": []}, delay_s=5.0)
    migration = migration_of(
        tmp_path,
        openai_endpoint(sim, OLD, max_retries=0),
        openai_endpoint(slow.openai_url, NEW, max_retries=0, timeout_s=0.5),
    )
    gw = await start_gateway(migration)
    r = await gw.client.post("/v1/chat/completions", json=ASK)
    assert r.status_code == 200
    assert gw.app.shadow.completed == 0, "the app had its answer while the shadow was still waiting"
    await gw.settle(requests=1, pairs=1)
    (pair,) = gw.pairs()
    assert (pair.status, pair.error_kind) == (504, "timeout")


async def test_saturated_shadow_pool_drops_and_counts(
    start_gateway: StartGateway,
    tmp_path: Path,
    sim: RunningSim,
    scripted: Callable[..., Awaitable[Scripted]],
) -> None:
    slow = await scripted(200, {"choices": []}, delay_s=5.0)
    migration = migration_of(
        tmp_path,
        openai_endpoint(sim, OLD, max_retries=0),
        openai_endpoint(slow.openai_url, NEW, max_retries=0, timeout_s=0.2),
        gateway={"shadow_concurrency": 1, "shadow_queue": 1},
    )
    gw = await start_gateway(migration)
    responses = await asyncio.gather(*(gw.client.post("/v1/chat/completions", json=ASK) for _ in range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    # at most one copy in flight and one queued; the rest are dropped, and every copy is accounted for
    dropped = int(sample(await gw.metrics(), "modelswap_shadow_dropped_total"))
    assert dropped >= 6
    await gw.settle(requests=8, pairs=8 - dropped)
    await asyncio.sleep(0.1)
    assert len(gw.pairs()) == 8 - dropped


# -- ShadowRunner ----------------------------------------------------------------------------------


async def test_submit_never_blocks_when_saturated() -> None:
    drops: list[int] = []
    runner = ShadowRunner(concurrency=1, queue_size=2, on_drop=lambda: drops.append(1))
    runner.start()
    release = asyncio.Event()
    done: list[int] = []

    def job(i: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await release.wait()
            done.append(i)

        return run

    started = time.perf_counter()
    accepted = [runner.submit(job(i)) for i in range(50)]
    await asyncio.sleep(0)  # the worker takes the first job
    accepted += [runner.submit(job(50 + i)) for i in range(5)]
    assert time.perf_counter() - started < 0.05
    assert accepted.count(True) == 3  # one running, two queued
    assert runner.dropped == len(drops) == 52
    release.set()
    await runner.stop()
    assert sorted(done) == [0, 1, 50] and runner.completed == 3


async def test_submit_before_start_drops() -> None:
    runner = ShadowRunner(concurrency=2, queue_size=10)

    async def job() -> None:
        raise AssertionError("must not run")

    assert runner.submit(job) is False
    assert runner.dropped == 1


async def test_failing_job_is_counted_and_the_worker_goes_on() -> None:
    runner = ShadowRunner(concurrency=1, queue_size=10)
    runner.start()
    ran: list[str] = []

    async def boom() -> None:
        raise RuntimeError("shadow bug")

    async def fine() -> None:
        ran.append("fine")

    assert runner.submit(boom) and runner.submit(fine)
    await runner.stop()
    assert (runner.failed, runner.completed, ran) == (1, 1, ["fine"])


async def test_stop_abandons_jobs_past_the_drain_timeout() -> None:
    runner = ShadowRunner(concurrency=1, queue_size=10)
    runner.start()

    async def forever() -> None:
        await asyncio.sleep(3600)

    runner.submit(forever)
    await asyncio.sleep(0)
    started = time.perf_counter()
    await runner.stop(drain_timeout_s=0.05)
    assert time.perf_counter() - started < 1
    assert runner.submit(forever) is False, "a stopped runner takes no more work"


async def test_messages_api_is_shadowed_across_vendors(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    migration = migration_of(
        tmp_path, anthropic_endpoint(sim, CLAUDE_OLD, max_retries=0), openai_endpoint(sim, NEW, max_retries=0)
    )
    gw = await start_gateway(migration, wire=False)
    ask = {"model": CLAUDE_OLD, "max_tokens": 500, "messages": ASK["messages"]}
    for stream in (False, True):
        r = await gw.client.post("/v1/messages", json={**ask, "stream": stream})
        assert r.status_code == 200
    await gw.settle(requests=2, pairs=2)
    assert [(r.model, r.stream, r.status) for r in gw.requests()] == [(CLAUDE_OLD, False, 200), (CLAUDE_OLD, True, 200)]
    pairs = gw.pairs()
    assert all(p.model == NEW and p.status == 200 and p.completion_tokens for p in pairs)
    assert all(p.response_body is not None and p.response_body["type"] == "message" for p in pairs)
    assert {(s.api, s.model, s.stream) for s in sim.engine.served} >= {("openai", NEW, False)}
