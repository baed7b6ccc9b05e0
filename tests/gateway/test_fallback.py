"""Fallback: a failed new-model call is answered by the old model, and both attempts are recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from modelswap.rollout import flag
from modelswap.sim import ProfileOverride, RunningSim, SimConfig, start_sim
from modelswap.store import Store

from .conftest import (
    NEW,
    OLD,
    PERFECT,
    WORKLOAD,
    Gateway,
    Scripted,
    StartGateway,
    dead_url,
    migration_of,
    openai_endpoint,
    sample,
)

QUESTION = [{"role": "user", "content": "How do I export my projects?"}]
ASK = {"model": OLD, "messages": QUESTION}


@pytest.fixture
async def faulty_sim() -> AsyncIterator[RunningSim]:
    """A simulator on which the new model fails every call with a 5xx."""
    models = {**PERFECT, NEW: ProfileOverride(quality=1.0, error_rate=1.0, rate_limit_rate=0.0)}
    running = await start_sim(SimConfig(time_scale=0.0, error_scale=1.0, models=models))
    yield running
    await running.stop()


def workload(fallback: bool) -> list[dict[str, Any]]:
    return [{"name": WORKLOAD, "fallback_to_old": fallback}]


async def start_full(
    start_gateway: StartGateway, tmp_path: Path, store: Store, old_url: str, new_url: str, *, fallback: bool
) -> Gateway:
    migration = migration_of(
        tmp_path,
        openai_endpoint(old_url, OLD, max_retries=0),
        openai_endpoint(new_url, NEW, max_retries=0),
        workloads=workload(fallback),
    )
    flag.set_stage(store, WORKLOAD, "full", None, "test", "cutover")
    return await start_gateway(migration)


@pytest.mark.parametrize("failure", ["dead port", "server errors"])
@pytest.mark.parametrize("stream", [False, True])
async def test_failed_new_model_falls_back_to_old(
    failure: str,
    stream: bool,
    start_gateway: StartGateway,
    tmp_path: Path,
    sim: RunningSim,
    faulty_sim: RunningSim,
    store: Store,
) -> None:
    new_url = dead_url() + "/v1" if failure == "dead port" else faulty_sim.base_url
    gw = await start_full(start_gateway, tmp_path, store, sim.base_url, new_url, fallback=True)
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app", max_retries=0) as client:
        if stream:
            chunks = [c async for c in await client.chat.completions.create(model=OLD, messages=QUESTION, stream=True)]
            text = "".join(c.choices[0].delta.content or "" for c in chunks)
            model = chunks[0].model
        else:
            reply = await client.chat.completions.create(model=OLD, messages=QUESTION)
            text, model = reply.choices[0].message.content or "", reply.model
    async with openai.AsyncOpenAI(base_url=sim.base_url, api_key="x") as direct:
        alone = await direct.chat.completions.create(model=OLD, messages=QUESTION)
    assert model == OLD and text == alone.choices[0].message.content

    await gw.settle(requests=2)
    failed, served = sorted(gw.requests(), key=lambda r: r.fallback)  # both carry the request's timestamp
    assert (failed.arm, failed.model, failed.fallback) == ("new", NEW, False)
    assert failed.status >= 500 and failed.error_kind in (
        {"connection"} if failure == "dead port" else {"server", "overloaded"}
    )
    assert (served.arm, served.model, served.status, served.fallback) == ("old", OLD, 200, True)
    assert served.stream is stream and served.completion_tokens
    assert failed.id != served.id
    assert sample(await gw.metrics(), "modelswap_fallbacks_total", workload=WORKLOAD) == 1


async def test_without_fallback_the_app_gets_the_vendors_5xx(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, faulty_sim: RunningSim, store: Store
) -> None:
    gw = await start_full(start_gateway, tmp_path, store, sim.base_url, faulty_sim.base_url, fallback=False)
    for stream in (False, True):
        r = await gw.client.post("/v1/chat/completions", json={**ASK, "stream": stream})
        assert r.status_code in (500, 503), "the vendor's own status"
        assert r.headers["x-should-retry"] == "true", "the app's SDK owns the retry"
        error = r.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert error["type"] == "server_error"
        assert NEW in error["message"], "the message names the model that failed"
        assert "Traceback" not in r.text
    await gw.settle(requests=2)
    assert [(r.arm, r.fallback, r.status >= 500) for r in gw.requests()] == [("new", False, True)] * 2
    assert sample(await gw.metrics(), "modelswap_fallbacks_total") == 0


async def test_both_models_failing_is_a_502_naming_the_old_model(
    start_gateway: StartGateway, tmp_path: Path, store: Store
) -> None:
    gw = await start_full(start_gateway, tmp_path, store, dead_url() + "/v1", dead_url() + "/v1", fallback=True)
    r = await gw.client.post("/v1/chat/completions", json=ASK)
    assert r.status_code == 502
    assert OLD in r.json()["error"]["message"]
    await gw.settle(requests=2)
    rows = sorted((r.arm, r.status, r.fallback) for r in gw.requests())
    assert rows == [("new", 502, False), ("old", 502, True)]


async def test_a_request_the_new_model_rejects_is_not_retried_on_old(
    start_gateway: StartGateway,
    tmp_path: Path,
    sim: RunningSim,
    store: Store,
    scripted: Callable[..., Awaitable[Scripted]],
) -> None:
    rejecting = await scripted(
        400,
        {"error": {"message": "'temperature' is too high", "type": "invalid_request_error", "param": "temperature"}},
    )
    gw = await start_full(start_gateway, tmp_path, store, sim.base_url, rejecting.openai_url, fallback=True)
    r = await gw.client.post("/v1/chat/completions", json=ASK)
    assert r.status_code == 400
    assert "'temperature' is too high" in r.json()["error"]["message"]
    assert sim.engine.counts[(OLD, 200)] == 0
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert (row.arm, row.status, row.error_kind, row.fallback) == ("new", 400, "bad_request", False)
