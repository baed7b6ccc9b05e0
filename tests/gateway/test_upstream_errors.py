"""Provider failures reach the app in its API's error shape, with the status it can act on."""

from __future__ import annotations

import asyncio
import time
import zlib
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
        assert error["type"] == "requests" and error["code"] == "rate_limit_exceeded", "the vendor's own identity"
        assert error["message"].startswith("Rate limit reached for requests") and OLD in error["message"]
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
    assert r.status_code == status and r.headers["x-should-retry"] == "false"
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] is None, "as the vendor said it"
    assert error["message"].startswith("Invalid value for 'logit_bias'") and OLD in error["message"]


@pytest.mark.parametrize(
    ("status", "answer", "code"),
    [
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
    assert error["type"] == "server_error" and error["code"] == "upstream_connection" and error["message"]
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


# ---------------------------------------------------------------- a misbehaving vendor, as the app sees it

SECRET_BASE = "http://alice:s3cret@"  # credentials in base_url must never reach the app or a record


def _vendor_app(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.Application:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    app.router.add_post("/v1/messages", handler)
    return app


def _endpoint(dialect: str, base: str, **extra: Any) -> dict[str, Any]:
    base = base.replace("http://", SECRET_BASE)
    if dialect == "openai":
        return openai_endpoint(base + "/v1", OLD, max_retries=0, **extra)
    return anthropic_endpoint(base, CLAUDE_OLD, max_retries=0, **extra)


def _ask(dialect: str, stream: bool) -> tuple[str, dict[str, Any]]:
    if dialect == "openai":
        return "/v1/chat/completions", {**ASK, "stream": stream}
    return "/v1/messages", {**ASK, "model": CLAUDE_OLD, "max_tokens": 10, "stream": stream}


def _shows_nothing_internal(text: str, base: str) -> None:
    port = base.rsplit(":", 1)[1]
    for leak in ("s3cret", "alice", "127.0.0.1", port, "http://"):
        assert leak not in text, f"{leak!r} reached the app or a record: {text[:300]!r}"


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
async def test_a_gzip_bomb_is_a_502_in_the_vendors_shape(
    dialect: str, start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, serve_vendor: ServeVendor
) -> None:
    # a valid answer, 48 MiB once inflated (> 32 MiB), a few hundred KiB on the wire
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    parts = [b'{"id": "x", "choices": [{"message": {"content": "', *[b"a" * (1 << 20)] * 48, b'"}}]}']
    bomb = b"".join(packer.compress(part) for part in parts) + packer.flush()

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})

    base = await serve_vendor(_vendor_app(handler))
    gw = await serving_from(start_gateway, tmp_path, store, sim, _endpoint(dialect, base))
    path, body = _ask(dialect, stream=False)
    async with asyncio.timeout(10):
        r = await gw.client.post(path, json=body)
    assert r.status_code == 502
    if dialect == "openai":
        assert r.json()["error"]["type"] == "server_error" and r.json()["error"]["code"] == "upstream_protocol"
    else:
        assert r.json()["type"] == "error" and r.json()["error"]["type"] == "api_error"
    message = r.json()["error"]["message"]
    assert "model" in message and "larger than the 32 MiB limit" in message, "says what happened"
    _shows_nothing_internal(r.text, base)
    await gw.settle(requests=1)
    assert [(row.status, row.error_kind) for row in gw.requests()] == [(502, "protocol")]


async def test_a_misbehaving_shadow_is_recorded_with_safe_error_text(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, serve_vendor: ServeVendor
) -> None:
    async def handler(request: web.Request) -> web.Response:  # a body far past the limit, in one go
        return web.Response(body=b"[" * (33 << 20), headers={"Content-Type": "application/json"})

    base = await serve_vendor(_vendor_app(handler))
    new = openai_endpoint(base.replace("http://", SECRET_BASE) + "/v1", NEW, max_retries=0)
    migration = migration_of(tmp_path, openai_endpoint(sim, OLD, max_retries=0), new)
    flag.set_stage(store, WORKLOAD, "shadow", None, "test", "shadow the misbehaving vendor")
    gw = await start_gateway(migration, wire=False)
    path, body = _ask("openai", stream=False)
    r = await gw.client.post(path, json=body)
    assert r.status_code == 200, "the shadow's failure never touches the app"
    await gw.settle(requests=1, pairs=1)
    (pair,) = gw.pairs()
    assert (pair.status, pair.error_kind) == (502, "protocol")
    assert pair.error is not None and "answer refused" in pair.error and "32 MiB limit" in pair.error
    _shows_nothing_internal(pair.error, base)


async def test_a_stream_of_only_keep_alives_gets_a_clear_timeout(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, serve_vendor: ServeVendor
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        while True:
            await response.write(b": keep-alive\n\n")
            await asyncio.sleep(0.05)

    base = await serve_vendor(_vendor_app(handler))
    gw = await serving_from(start_gateway, tmp_path, store, sim, _endpoint("openai", base, timeout_s=0.4))
    started = time.monotonic()
    path, body = _ask("openai", stream=True)
    async with asyncio.timeout(5):  # a regression fails here instead of hanging the run
        r = await gw.client.post(path, json=body)
    assert time.monotonic() - started < 2.0, "keep-alives did not hold the request open"
    assert r.status_code == 504
    error = r.json()["error"]
    assert error["code"] == "upstream_timeout" and OLD in error["message"]
    assert "no stream event" in error["message"] and "0.4s" in error["message"]
    await gw.settle(requests=1)
    assert [(row.status, row.error_kind) for row in gw.requests()] == [(504, "timeout")]


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
@pytest.mark.parametrize("failure", ["dropped", "oversized-event"])
async def test_a_stream_failing_mid_way_ends_with_an_error_event_naming_nothing_internal(
    dialect: str,
    failure: str,
    start_gateway: StartGateway,
    tmp_path: Path,
    store: Store,
    sim: RunningSim,
    serve_vendor: ServeVendor,
) -> None:
    if dialect == "openai":
        first = b'data: {"id":"c1","object":"chat.completion.chunk","created":0,"model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}\n\n'  # noqa: E501
    else:
        first = b'event: message_start\ndata: {"type":"message_start","message":{"id":"m1","type":"message","role":"assistant","model":"m","content":[],"usage":{"input_tokens":3,"output_tokens":0}}}\n\n'  # noqa: E501
        first += b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\n'  # noqa: E501

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        await response.write(first)
        await asyncio.sleep(0.05)
        if failure == "oversized-event":  # a valid event, past the 4 MiB limit
            await response.write(first.replace(b'"Hel"', b'"' + b"x" * (5 << 20) + b'"'))
        assert request.transport is not None
        request.transport.close()
        return response

    base = await serve_vendor(_vendor_app(handler))
    gw = await serving_from(start_gateway, tmp_path, store, sim, _endpoint(dialect, base))
    path, body = _ask(dialect, stream=True)
    r = await gw.client.post(path, json=body)
    assert r.status_code == 200, "the status went out with the first event"
    frames = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
    if dialect == "openai":
        assert frames[-1] == "[DONE]"
        error = orjson.loads(frames[-2])["error"]
        assert error["code"] == ("upstream_connection" if failure == "dropped" else "upstream_protocol")
    else:
        assert "event: error" in r.text
        error = orjson.loads(frames[-1])["error"]
        assert error["type"] == "api_error"
    assert error["message"]
    _shows_nothing_internal(r.text, base)
    await gw.settle(requests=1)
    assert [(row.status, row.stream) for row in gw.requests()] == [(502, True)]


_ANTHROPIC_START = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"m1","type":"message","role":"assistant","model":"m","content":[],"usage":{"input_tokens":3,"output_tokens":0}}}\n\n'  # noqa: E501
    b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'  # noqa: E501
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\n'  # noqa: E501
)
_RESPONSES_START = (
    b'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","created_at":0,"status":"in_progress","model":"m","output":[]}}\n\n'  # noqa: E501
    b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hel"}\n\n'  # noqa: E501
    b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"lo"}\n\n'  # noqa: E501
)


@pytest.mark.parametrize("provider", ["openai-responses", "anthropic"])
async def test_a_responses_stream_failing_mid_way_numbers_its_error_event_after_the_last_one(
    provider: str, start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, serve_vendor: ServeVendor
) -> None:
    first = _RESPONSES_START if provider == "openai-responses" else _ANTHROPIC_START

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        await response.write(first)
        await asyncio.sleep(0.05)
        assert request.transport is not None
        request.transport.close()
        return response

    app = _vendor_app(handler)
    app.router.add_post("/v1/responses", handler)
    base = (await serve_vendor(app)).replace("http://", SECRET_BASE)
    if provider == "anthropic":
        old = anthropic_endpoint(base, CLAUDE_OLD, max_retries=0)
    else:
        old = {**openai_endpoint(base + "/v1", OLD, max_retries=0), "provider": provider}
    gw = await serving_from(start_gateway, tmp_path, store, sim, old)
    r = await gw.client.post("/v1/responses", json={"model": old["model"], "input": "hi", "stream": True})
    assert r.status_code == 200, "the status went out with the first event"
    events = [orjson.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: ")]
    assert len(events) >= 3 and events[-1]["type"] == "error"
    numbers = [e["sequence_number"] for e in events]
    assert numbers == list(range(len(events))), "the error event continues the stream's numbering"
    assert events[-1]["message"] and events[-1]["code"]
