from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import web

from modelswap.providers import AnthropicUpstream, OpenAIUpstream, Upstream
from modelswap.providers.base import UpstreamError
from modelswap.providers.h1 import Limits
from modelswap.providers.http import HttpPool, read_json

from .conftest import Serve
from .fakes import Reply, Script, dropping_sse_reply, json_reply, sse_reply
from .payloads import anthropic_events_text, anthropic_sse, openai_chunk, openai_sse

ASK = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def test_client_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        HttpPool().client()


async def test_client_is_lazy_shared_and_reopens_after_close() -> None:
    pool = HttpPool(limit=8)
    first = pool.client()
    assert pool.client() is first
    assert first.limit == 8
    await pool.aclose()
    second = pool.client()
    assert second is not first
    await pool.aclose()
    await pool.aclose()  # idempotent


async def test_connections_are_reused(serve: Serve, pool: HttpPool) -> None:
    peers: set[object] = set()

    async def handler(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.add(request.transport.get_extra_info("peername"))
        return web.json_response({"ok": await request.json()})

    app = web.Application()
    app.router.add_post("/x", handler)
    url = await serve(app) + "/x"
    for i in range(3):
        async with pool.post(url, {"i": i}, {}, timeout_s=5, streaming=False, provider="t") as resp:
            assert await read_json(resp, provider="t") == {"ok": {"i": i}}
    assert len(peers) == 1


async def test_read_timeout_applies_between_stream_chunks(serve: Serve, pool: HttpPool) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for _ in range(4):  # total time 0.6 s > timeout, but each gap is short
            await resp.write(b": keep-alive\n\n")
            await asyncio.sleep(0.15)
        await resp.write(b"data: done\n\n")
        return resp

    app = web.Application()
    app.router.add_post("/s", handler)
    url = await serve(app) + "/s"
    async with pool.post(url, {}, {}, timeout_s=0.4, streaming=True, provider="t") as resp:
        body = await resp.read()
    assert body.endswith(b"data: done\n\n")


async def test_pool_rejects_use_from_another_loop() -> None:
    pool = HttpPool()
    pool.client()

    def other_loop() -> None:
        async def use() -> None:
            pool.client()

        asyncio.run(use())

    with pytest.raises(RuntimeError, match="another event loop"):
        await asyncio.to_thread(other_loop)
    await pool.aclose()


async def test_read_json_rejects_a_json_array(serve: Serve, pool: HttpPool) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response([1, 2])

    app = web.Application()
    app.router.add_post("/x", handler)
    url = await serve(app) + "/x"
    with pytest.raises(UpstreamError) as info:
        async with pool.post(url, {}, {}, timeout_s=5, streaming=False, provider="t") as resp:
            await read_json(resp, provider="t")
    assert info.value.kind == "protocol" and "not an object" in info.value.message


# ---------------------------------------------------------------- a misbehaving vendor, through the upstreams


def trickle(pieces: list[bytes], every_s: float, forever: bytes = b"") -> Reply:
    """An event stream that sends ``pieces`` ``every_s`` apart, then ``forever`` at that pace, forever."""

    async def reply(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for piece in pieces:
            await resp.write(piece)
            await asyncio.sleep(every_s)
        while forever:
            await resp.write(forever)
            await asyncio.sleep(every_s)
        await resp.write_eof()
        return resp

    return reply


async def _stream(up: Upstream) -> list[dict[str, Any]]:
    async with asyncio.timeout(5):  # a regression fails here instead of hanging the run
        return [event async for event in up.stream(ASK)]


@pytest.mark.parametrize("keepalive", [b": keep-alive\n\n", b"\n", b": x\n: y\n\n"])
async def test_a_stream_of_only_comments_times_out(serve: Serve, pool: HttpPool, keepalive: bytes) -> None:
    base = await serve(Script([trickle([], 0.05, keepalive)]).app("/v1/chat/completions"))
    up = OpenAIUpstream("old", "gpt-4o-mini", f"{base}/v1", "sk-test", pool, timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(UpstreamError) as info:
        await _stream(up)
    assert time.monotonic() - started < 1.0
    assert info.value.kind == "timeout"
    assert info.value.message == "old: no stream event (comments and pings do not count) for 0.3s"


async def test_anthropic_pings_do_not_hold_a_stream_open(serve: Serve, pool: HttpPool) -> None:
    events = anthropic_events_text()
    ping = b'event: ping\ndata: {"type": "ping"}\n\n'
    base = await serve(Script([trickle([anthropic_sse(events[:1])], 0.05, ping)]).app("/v1/messages"))
    up = AnthropicUpstream("old", "claude-x", base, "sk-ant-test", pool, timeout_s=0.3)
    got: list[dict[str, Any]] = []
    started = time.monotonic()
    with pytest.raises(UpstreamError) as info:
        async with asyncio.timeout(5):
            async for event in up.stream({**ASK, "max_tokens": 10}):
                got.append(event)
    assert time.monotonic() - started < 1.0
    assert info.value.kind == "timeout" and got[0]["type"] == "message_start"
    assert {e["type"] for e in got[1:]} <= {"ping"}, "the pings were relayed, and still timed out"


async def test_events_slower_than_comments_but_within_the_timeout_keep_the_stream(serve: Serve, pool: HttpPool) -> None:
    chunks = [openai_chunk({"content": str(i)}) for i in range(5)] + [openai_chunk({}, "stop")]
    pieces = [p for c in chunks for p in (openai_sse([c], done=False), b": ping\n\n")] + [b"data: [DONE]\n\n"]
    base = await serve(Script([trickle(pieces, 0.06)]).app("/v1/chat/completions"))
    up = OpenAIUpstream("old", "gpt-4o-mini", f"{base}/v1", "sk-test", pool, timeout_s=0.3)
    started = time.monotonic()
    got = await _stream(up)
    assert time.monotonic() - started > 0.3, "the whole stream took longer than one timeout"
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in got) == "01234"


@pytest.mark.parametrize("frame", [b"data: " + b"x" * 5000, b'data: {"a": 1}\n' * 500, b": " + b"c" * 5000])
async def test_an_event_past_the_limit_is_a_protocol_error(serve: Serve, frame: bytes) -> None:
    pool = HttpPool(limits=Limits(max_event_bytes=4096))
    first = openai_sse([openai_chunk({"content": "Hi"})], done=False)
    base = await serve(Script([sse_reply(first + frame + b"\n\n", piece=512)]).app("/v1/chat/completions"))
    up = OpenAIUpstream("old", "gpt-4o-mini", f"{base}/v1", "sk-test", pool)
    got: list[dict[str, Any]] = []
    with pytest.raises(UpstreamError) as info:
        async for event in up.stream(ASK):
            got.append(event)
    await pool.aclose()
    assert info.value.kind == "protocol"
    assert "larger than the 4 KiB limit" in info.value.message or "longer than the 4 KiB limit" in info.value.message
    assert got[0]["choices"][0]["delta"]["content"] == "Hi", "what came before is delivered"


async def test_a_huge_answer_is_a_protocol_error_naming_the_limit(serve: Serve) -> None:
    pool = HttpPool(limits=Limits(max_body_bytes=64 * 1024))
    body = {"choices": [{"message": {"content": "x" * 100_000}}]}
    up = await _openai(serve, pool, Script([json_reply(body)]))
    with pytest.raises(UpstreamError) as info:
        await up.complete(ASK)
    await pool.aclose()
    assert info.value.kind == "protocol"
    assert info.value.message.startswith("old: answer refused: the body announces")


async def _openai(serve: Serve, pool: HttpPool, script: Script, auth: str = "") -> OpenAIUpstream:
    base = await serve(script.app("/v1/chat/completions"))
    if auth:
        base = base.replace("http://", f"http://{auth}@")
    return OpenAIUpstream("old", "gpt-4o-mini", f"{base}/v1", "key-0f9e8d7c6b5a", pool)


async def test_errors_never_show_the_url_its_credentials_or_the_key(serve: Serve, pool: HttpPool) -> None:
    echo = "proxy says: POST {url} with Authorization: Bearer key-0f9e8d7c6b5a failed"
    chunk = openai_sse([openai_chunk({"content": "Hel"})], done=False)
    replies: list[Reply] = [
        lambda request: json_reply({"error": {"message": echo.format(url=str(request.url))}}, 500)(request),
        dropping_sse_reply(chunk),
    ]
    up = await _openai(serve, pool, Script(replies), auth="alice:s3cret")
    port = up.url.split(":")[-1].split("/")[0]
    messages = []
    with pytest.raises(UpstreamError) as info:
        await up.complete(ASK)
    messages.append(info.value.message)
    with pytest.raises(UpstreamError) as info:
        await _stream(up)
    messages.append(info.value.message)
    assert "proxy says" in messages[0] and "dropped" in messages[1]
    for message in messages:
        for secret in ("s3cret", "alice", "key-0f9e8d7c6b5a", "127.0.0.1", port, "http://"):
            assert secret not in message, f"{secret!r} shown in {message!r}"
