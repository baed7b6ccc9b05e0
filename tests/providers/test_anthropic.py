from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from modelswap.providers import AnthropicUpstream, HttpPool, Upstream, UpstreamError

from .conftest import Serve
from .fakes import Script, closed_port, dropping_sse_reply, json_reply, raw_reply, sse_reply
from .payloads import (
    ANTHROPIC_INVALID,
    ANTHROPIC_MESSAGE,
    ANTHROPIC_OVERLOADED,
    ANTHROPIC_TOOL_MESSAGE,
    anthropic_events_text,
    anthropic_events_tools,
    anthropic_sse,
)

REQUEST = {
    "model": "app-model",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Hello, Claude"}],
}


async def upstream_for(serve: Serve, pool: HttpPool, script: Script, **kw: object) -> AnthropicUpstream:
    base = await serve(script.app("/v1/messages"))
    return AnthropicUpstream("new", "claude-sonnet-4-20250514", base + "/", "sk-ant-test", pool, **kw)  # type: ignore[arg-type]


async def test_is_an_upstream(pool: HttpPool) -> None:
    up = AnthropicUpstream("new", "claude", "https://api.anthropic.com", "k", pool)
    assert isinstance(up, Upstream) and up.dialect == "anthropic"
    assert up.url == "https://api.anthropic.com/v1/messages"


async def test_complete_sends_native_headers(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(ANTHROPIC_MESSAGE)])
    up = await upstream_for(serve, pool, script, anthropic_version="2023-06-01")
    assert await up.complete({**REQUEST, "stream": False}) == ANTHROPIC_MESSAGE
    seen = script.seen[0]
    assert seen.body == {**REQUEST, "model": "claude-sonnet-4-20250514"}
    assert seen.headers["x-api-key"] == "sk-ant-test"
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in seen.headers


async def test_complete_with_tool_use(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([json_reply(ANTHROPIC_TOOL_MESSAGE)]))
    result = await up.complete(REQUEST)
    assert [b["type"] for b in result["content"]] == ["text", "tool_use", "tool_use"]


async def test_stream_yields_every_event_through_message_stop(serve: Serve, pool: HttpPool) -> None:
    script = Script([sse_reply(anthropic_sse(anthropic_events_text()), piece=5)])
    up = await upstream_for(serve, pool, script)
    events = [e async for e in up.stream(REQUEST)]
    assert events == anthropic_events_text()  # ping included
    assert script.seen[0].body["stream"] is True


async def test_stream_with_tool_use(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([sse_reply(anthropic_sse(anthropic_events_tools()), piece=11)]))
    events = [e async for e in up.stream(REQUEST)]
    partial = "".join(
        e["delta"]["partial_json"] for e in events if e["type"] == "content_block_delta" and e["index"] == 1
    )
    assert partial == '{"location": "San Francisco, CA"}'
    assert events[-2]["delta"]["stop_reason"] == "tool_use"


async def test_529_overloaded(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([json_reply(ANTHROPIC_OVERLOADED, 529)]))
    with pytest.raises(UpstreamError) as info:
        await up.complete(REQUEST)
    err = info.value
    assert (err.kind, err.status, err.retryable) == ("overloaded", 529, True)
    assert "overloaded_error: Overloaded" in err.message


async def test_400_invalid_request(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([json_reply(ANTHROPIC_INVALID, 400)]))
    with pytest.raises(UpstreamError, match="max_tokens: Field required") as info:
        await up.complete(REQUEST)
    assert info.value.kind == "bad_request" and not info.value.retryable


async def test_401(serve: Serve, pool: HttpPool) -> None:
    body = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
    up = await upstream_for(serve, pool, Script([json_reply(body, 401)]))
    with pytest.raises(UpstreamError, match="invalid x-api-key") as info:
        await up.complete(REQUEST)
    assert info.value.kind == "auth"


async def test_429_retry_after(serve: Serve, pool: HttpPool) -> None:
    body = {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Number of request tokens has exceeded"},
    }
    up = await upstream_for(serve, pool, Script([json_reply(body, 429, {"retry-after": "12"})]))
    with pytest.raises(UpstreamError) as info:
        await up.complete(REQUEST)
    assert (info.value.kind, info.value.retry_after) == ("rate_limited", 12.0)


async def test_mid_stream_error_event(serve: Serve, pool: HttpPool) -> None:
    events = [*anthropic_events_text()[:4], ANTHROPIC_OVERLOADED]
    up = await upstream_for(serve, pool, Script([sse_reply(anthropic_sse(events))]))
    got = []
    with pytest.raises(UpstreamError) as info:
        async for event in up.stream(REQUEST):
            got.append(event["type"])
    assert got == ["message_start", "content_block_start", "ping", "content_block_delta"]
    assert (info.value.kind, info.value.status) == ("overloaded", 529)
    assert "error during stream" in info.value.message


async def test_garbage_body(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([raw_reply(b"\x00\x01 not json", content_type="application/json")]))
    with pytest.raises(UpstreamError, match="not JSON") as info:
        await up.complete(REQUEST)
    assert info.value.kind == "protocol"


async def test_json_that_is_not_a_message(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([json_reply({"type": "message"})]))
    with pytest.raises(UpstreamError, match="no 'content'"):
        await up.complete(REQUEST)


async def test_stream_ending_before_message_stop(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([sse_reply(anthropic_sse(anthropic_events_text()[:5]))]))
    with pytest.raises(UpstreamError, match="before message_stop") as info:
        async for _ in up.stream(REQUEST):
            pass
    assert info.value.kind == "connection"


async def test_stream_dropped(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([dropping_sse_reply(anthropic_sse(anthropic_events_text()[:3]))]))
    with pytest.raises(UpstreamError) as info:
        async for _ in up.stream(REQUEST):
            pass
    assert info.value.kind == "connection"


async def test_timeout(serve: Serve, pool: HttpPool) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(2)
        return web.json_response(ANTHROPIC_MESSAGE)

    up = await upstream_for(serve, pool, Script([slow]), timeout_s=0.2)
    with pytest.raises(UpstreamError) as info:
        await up.complete(REQUEST)
    assert info.value.kind == "timeout"


async def test_connection_refused(pool: HttpPool) -> None:
    up = AnthropicUpstream("new", "claude", f"http://127.0.0.1:{closed_port()}", "k", pool)
    with pytest.raises(UpstreamError) as info:
        async for _ in up.stream(REQUEST):
            pass
    assert info.value.kind == "connection"


async def test_event_without_a_type_is_a_protocol_error(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([sse_reply(b'data: {"no": "type"}\n\n')]))
    with pytest.raises(UpstreamError, match="no type") as info:
        async for _ in up.stream(REQUEST):
            pass
    assert info.value.kind == "protocol"
