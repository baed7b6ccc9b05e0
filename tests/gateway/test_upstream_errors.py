"""Provider failures reach the app in its API's error shape, with the status it can act on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web

from modelswap.rollout import flag
from modelswap.sim import RunningSim
from modelswap.store import Store

from .conftest import (
    CLAUDE_OLD,
    NEW,
    OLD,
    WORKLOAD,
    Gateway,
    Scripted,
    ServeVendor,
    StartGateway,
    anthropic_endpoint,
    migration_of,
    openai_endpoint,
)

ASK = {"model": OLD, "messages": [{"role": "user", "content": "hi"}]}
Script = Callable[..., Awaitable[Scripted]]


async def serving_from(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, old: dict[str, Any]
) -> Gateway:
    """A gateway whose old model (the one serving, nothing mirrored) is ``old``."""
    migration = migration_of(tmp_path, old, openai_endpoint(sim, NEW, max_retries=0))
    flag.set_stage(store, WORKLOAD, "split", 0, "test", "old only")
    return await start_gateway(migration, wire=False)


async def test_429_passes_through_with_retry_after(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(
        429,
        {"error": {"message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded"}},
        {"retry-after": "7"},
    )
    gw = await serving_from(start_gateway, tmp_path, store, sim, openai_endpoint(vendor.openai_url, OLD, max_retries=0))
    for stream in (False, True):
        r = await gw.client.post("/v1/chat/completions", json={**ASK, "stream": stream})
        assert r.status_code == 429
        assert r.headers["retry-after"] == "7"
        error = r.json()["error"]
        assert error["type"] == "rate_limit_error" and error["code"] == "upstream_rate_limited"
        assert OLD in error["message"]
    await gw.settle(requests=2)
    assert [(r.status, r.error_kind) for r in gw.requests()] == [(429, "rate_limited")] * 2


async def test_429_on_the_messages_api_is_anthropic_shaped(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(
        429, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}, {"retry-after": "3"}
    )
    old = anthropic_endpoint(vendor.base_url, CLAUDE_OLD, max_retries=0)
    gw = await serving_from(start_gateway, tmp_path, store, sim, old)
    r = await gw.client.post("/v1/messages", json={**ASK, "model": CLAUDE_OLD, "max_tokens": 10})
    assert r.status_code == 429 and r.headers["retry-after"] == "3"
    assert r.json()["type"] == "error" and r.json()["error"]["type"] == "rate_limit_error"


@pytest.mark.parametrize("status", [400, 404, 422])
async def test_a_request_the_provider_rejects_stays_the_apps_to_fix(
    status: int, start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(
        status,
        {"error": {"message": "Invalid value for 'logit_bias'", "type": "invalid_request_error", "param": None}},
    )
    gw = await serving_from(start_gateway, tmp_path, store, sim, openai_endpoint(vendor.openai_url, OLD, max_retries=0))
    r = await gw.client.post("/v1/chat/completions", json={**ASK, "logit_bias": {"x": 1}})
    assert r.status_code == status
    error = r.json()["error"]
    assert error["type"] != "server_error" and error["code"] == "upstream_bad_request"
    assert "Invalid value for 'logit_bias'" in error["message"] and OLD in error["message"]


@pytest.mark.parametrize(
    ("status", "answer", "code"),
    [
        (500, {"error": {"message": "The server had an error", "type": "server_error"}}, "upstream_server"),
        (401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}, "upstream_auth"),
        (200, {"unexpected": "shape"}, "upstream_protocol"),
    ],
)
async def test_provider_failures_are_502_naming_the_model(
    status: int,
    answer: dict[str, Any],
    code: str,
    start_gateway: StartGateway,
    tmp_path: Path,
    store: Store,
    sim: RunningSim,
    scripted: Script,
) -> None:
    vendor = await scripted(status, answer)
    gw = await serving_from(start_gateway, tmp_path, store, sim, openai_endpoint(vendor.openai_url, OLD, max_retries=0))
    r = await gw.client.post("/v1/chat/completions", json=ASK)
    assert r.status_code == 502
    error = r.json()["error"]
    assert error["type"] == "server_error" and error["code"] == code
    assert OLD in error["message"]
    if code == "upstream_auth":
        assert "api_key_env" in error["message"]
        assert "sk-test" not in r.text, "the gateway's own provider key never reaches the app"


@pytest.fixture
async def dropping_vendor(serve_vendor: ServeVendor) -> str:
    """An OpenAI-wire vendor that streams two chunks, then drops the connection."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for piece in ("Hel", "lo"):
            chunk = {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": OLD,
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            await response.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
        await asyncio.sleep(0.05)
        assert request.transport is not None
        request.transport.close()
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    return await serve_vendor(app) + "/v1"


async def test_a_stream_dropped_mid_way_ends_with_an_error_event(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, dropping_vendor: str
) -> None:
    gw = await serving_from(start_gateway, tmp_path, store, sim, openai_endpoint(dropping_vendor, OLD, max_retries=0))
    r = await gw.client.post("/v1/chat/completions", json={**ASK, "stream": True})
    assert r.status_code == 200, "the status went out with the first chunk"
    frames = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
    assert [orjson.loads(f)["choices"][0]["delta"]["content"] for f in frames[:2]] == ["Hel", "lo"]
    error = orjson.loads(frames[2])["error"]
    assert error["type"] == "connection" and error["message"]
    assert frames[3] == "[DONE]"
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert (row.status, row.error_kind, row.stream) == (502, "connection", True)
    assert row.response_body is not None and row.response_body["content"] == "Hello"


async def test_a_client_that_gives_up_on_a_slow_answer_stops_the_upstream_call(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(200, {"choices": []}, delay_s=4.0)
    migration = migration_of(tmp_path, openai_endpoint(vendor.openai_url, OLD), openai_endpoint(sim, NEW))
    flag.set_stage(store, WORKLOAD, "split", 0, "test", "old only")
    gw = await start_gateway(migration)  # on a real socket: the disconnect must travel the wire
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=1.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post("/v1/chat/completions", json=ASK)
    await gw.settle(requests=1, timeout=2.0)
    (row,) = gw.requests()
    assert (row.status, row.error_kind, row.arm) == (499, "client_closed", "old")
    assert time.monotonic() - started < 3.5, "recorded before the vendor would have answered"
    assert 1.2 < row.latency_ms / 1000 < 3.0


async def test_a_quick_answer_is_not_disturbed_by_the_client_watch(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    answer = {"id": "c1", "object": "chat.completion", "model": OLD, "choices": [], "usage": None}
    vendor = await scripted(200, answer, delay_s=1.2)  # past the watch's start, still answered
    migration = migration_of(tmp_path, openai_endpoint(vendor.openai_url, OLD), openai_endpoint(sim, NEW))
    flag.set_stage(store, WORKLOAD, "split", 0, "test", "old only")
    gw = await start_gateway(migration)
    r = await gw.client.post("/v1/chat/completions", json=ASK)
    assert r.status_code == 200 and r.json()["id"] == "c1"
    await gw.settle(requests=1)
    assert [row.status for row in gw.requests()] == [200]
