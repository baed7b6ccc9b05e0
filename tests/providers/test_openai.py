from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from modelswap.providers import HttpPool, OpenAIUpstream, Upstream, UpstreamError
from modelswap.providers.safe_text import safe_error_text

from .conftest import Serve
from .fakes import Script, closed_port, dropping_sse_reply, json_reply, raw_reply, sse_reply
from .payloads import (
    OPENAI_COMPLETION,
    OPENAI_ERROR_400,
    OPENAI_ERROR_401,
    OPENAI_ERROR_429,
    OPENAI_TEXT_CHUNKS,
    OPENAI_TOOL_CHUNKS,
    OPENAI_TOOL_COMPLETION,
    openai_chunk,
    openai_sse,
    openai_usage_chunk,
)

REQUEST = {"model": "app-model", "messages": [{"role": "user", "content": "Hello!"}]}


async def upstream_for(serve: Serve, pool: HttpPool, script: Script, **kw: object) -> OpenAIUpstream:
    base = await serve(script.app("/v1/chat/completions"))
    return OpenAIUpstream("old", "gpt-4o-mini", f"{base}/v1/", "sk-test", pool, **kw)  # type: ignore[arg-type]


async def test_is_an_upstream(pool: HttpPool) -> None:
    up = OpenAIUpstream("old", "gpt-4o", "http://127.0.0.1:1/v1", "k", pool)
    assert isinstance(up, Upstream) and up.dialect == "openai"
    assert up.url == "http://127.0.0.1:1/v1/chat/completions"


async def test_complete_sends_model_headers_and_returns_body(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(OPENAI_COMPLETION)])
    up = await upstream_for(serve, pool, script, extra_headers={"OpenAI-Organization": "org-1"})
    body = {**REQUEST, "stream": False, "stream_options": {"include_usage": True}}
    assert await up.complete(body) == OPENAI_COMPLETION
    seen = script.seen[0]
    assert seen.body == {**REQUEST, "model": "gpt-4o-mini"}
    assert seen.headers["Authorization"] == "Bearer sk-test"
    assert seen.headers["OpenAI-Organization"] == "org-1"
    assert seen.headers["Content-Type"] == "application/json"
    assert body["model"] == "app-model"  # the caller's body is not mutated


async def test_empty_key_sends_no_authorization(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(OPENAI_COMPLETION)])
    base = await serve(script.app("/v1/chat/completions"))
    await OpenAIUpstream("local", "m", f"{base}/v1", "", pool).complete(REQUEST)
    assert "Authorization" not in script.seen[0].headers


async def test_complete_with_tool_calls(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([json_reply(OPENAI_TOOL_COMPLETION)]))
    result = await up.complete(REQUEST)
    calls = result["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_current_weather", "get_time"]


async def test_stream_yields_chunks_until_done(serve: Serve, pool: HttpPool) -> None:
    script = Script([sse_reply(openai_sse(OPENAI_TEXT_CHUNKS), piece=7)])
    up = await upstream_for(serve, pool, script)
    chunks = [c async for c in up.stream(REQUEST)]
    assert chunks == OPENAI_TEXT_CHUNKS
    assert script.seen[0].body["stream"] is True
    assert script.seen[0].headers["Accept"] == "text/event-stream"


async def test_stream_passes_include_usage_and_yields_usage_chunk(serve: Serve, pool: HttpPool) -> None:
    chunks = [
        openai_chunk({"content": "Hi"}, usage=True),
        openai_chunk({}, "stop", usage=True),
        openai_usage_chunk(),
    ]
    script = Script([sse_reply(openai_sse(chunks))])
    up = await upstream_for(serve, pool, script)
    got = [c async for c in up.stream({**REQUEST, "stream_options": {"include_usage": True}})]
    assert script.seen[0].body["stream_options"] == {"include_usage": True}
    assert got[-1]["choices"] == [] and got[-1]["usage"]["total_tokens"] == 21


async def test_stream_tool_calls(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([sse_reply(openai_sse(OPENAI_TOOL_CHUNKS), piece=3)]))
    chunks = [c async for c in up.stream(REQUEST)]
    args = "".join(
        tc["function"].get("arguments", "")
        for c in chunks
        for tc in c["choices"][0]["delta"].get("tool_calls", [])
        if tc["index"] == 0
    )
    assert json.loads(args) == {"location": "Paris"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, OPENAI_ERROR_400, "bad_request"),
        (401, OPENAI_ERROR_401, "auth"),
        (429, OPENAI_ERROR_429, "rate_limited"),
    ],
)
async def test_http_errors_map_to_kinds(serve: Serve, pool: HttpPool, status: int, body: dict, kind: str) -> None:
    up = await upstream_for(serve, pool, Script([json_reply(body, status, {"Retry-After": "3"})]))
    with pytest.raises(UpstreamError) as info:
        await up.complete(REQUEST)
    err = info.value
    assert (err.kind, err.status, err.provider, err.retry_after) == (kind, status, "old", 3.0)
    assert safe_error_text(body["error"]["message"]) in err.message  # a link in it becomes [url]
    assert err.body == body


async def test_stream_http_error_raises_before_any_chunk(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([json_reply(OPENAI_ERROR_401, 401)]))
    with pytest.raises(UpstreamError) as info:
        async for _ in up.stream(REQUEST):
            pass
    assert info.value.kind == "auth"


async def test_garbage_body_is_a_protocol_error(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([raw_reply(b"<html>upstream proxy page</html>")]))
    with pytest.raises(UpstreamError) as info:
        await up.complete(REQUEST)
    err = info.value
    assert err.kind == "protocol" and "not JSON" in err.message and "<html>" in err.message


async def test_json_without_choices_is_a_protocol_error(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([json_reply({"id": "x"})]))
    with pytest.raises(UpstreamError, match="no 'choices'") as info:
        await up.complete(REQUEST)
    assert info.value.kind == "protocol"


async def test_error_object_with_http_200_is_an_error(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([json_reply({"error": {"message": "boom", "type": "server_error"}})]))
    with pytest.raises(UpstreamError, match="boom") as info:
        await up.complete(REQUEST)
    assert info.value.kind == "server"


async def test_garbage_stream_event_is_a_protocol_error(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([sse_reply(b"data: {not json\n\n")]))
    with pytest.raises(UpstreamError, match="not JSON") as info:
        async for _ in up.stream(REQUEST):
            pass
    assert info.value.kind == "protocol"


async def test_non_sse_answer_to_stream_is_a_protocol_error(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([json_reply(OPENAI_COMPLETION)]))
    with pytest.raises(UpstreamError, match="asked for a stream") as info:
        async for _ in up.stream(REQUEST):
            pass
    assert info.value.kind == "protocol"


async def test_mid_stream_error_object(serve: Serve, pool: HttpPool) -> None:
    raw = (
        openai_sse([openai_chunk({"content": "Hi"})], done=False)
        + b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'
    )
    up = await upstream_for(serve, pool, Script([sse_reply(raw)]))
    got = []
    with pytest.raises(UpstreamError, match="overloaded") as info:
        async for chunk in up.stream(REQUEST):
            got.append(chunk)
    assert len(got) == 1 and info.value.kind == "server"


async def test_stream_cut_before_done_is_a_connection_error(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([dropping_sse_reply(openai_sse(OPENAI_TEXT_CHUNKS[:2], done=False))]))
    with pytest.raises(UpstreamError) as info:
        async for _ in up.stream(REQUEST):
            pass
    assert info.value.kind == "connection"


async def test_stream_ending_cleanly_without_done_or_finish_is_an_error(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(serve, pool, Script([sse_reply(openai_sse(OPENAI_TEXT_CHUNKS[:2], done=False))]))
    with pytest.raises(UpstreamError, match="before \\[DONE\\]"):
        async for _ in up.stream(REQUEST):
            pass


async def test_timeout(serve: Serve, pool: HttpPool) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(2)
        return web.json_response(OPENAI_COMPLETION)

    up = await upstream_for(serve, pool, Script([slow]), timeout_s=0.2)
    with pytest.raises(UpstreamError, match=r"within 0\.2s") as info:
        await up.complete(REQUEST)
    assert info.value.kind == "timeout" and info.value.retryable


async def test_stream_read_timeout_between_chunks(serve: Serve, pool: HttpPool) -> None:
    async def stalls(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(openai_sse(OPENAI_TEXT_CHUNKS[:1], done=False))
        await asyncio.sleep(2)
        return resp

    up = await upstream_for(serve, pool, Script([stalls]), timeout_s=0.2)
    got = []
    with pytest.raises(UpstreamError) as info:
        async for chunk in up.stream(REQUEST):
            got.append(chunk)
    assert len(got) == 1 and info.value.kind == "timeout"


async def test_connection_refused(pool: HttpPool) -> None:
    up = OpenAIUpstream("old", "m", f"http://127.0.0.1:{closed_port()}/v1", "k", pool)
    with pytest.raises(UpstreamError, match="could not connect") as info:
        await up.complete(REQUEST)
    assert info.value.kind == "connection" and info.value.status == 0 and info.value.retryable


async def test_closing_a_stream_early_releases_it(serve: Serve, pool: HttpPool) -> None:
    up = await upstream_for(
        serve, pool, Script([sse_reply(openai_sse(OPENAI_TEXT_CHUNKS)), json_reply(OPENAI_COMPLETION)])
    )
    stream = up.stream(REQUEST)
    assert (await anext(stream))["choices"][0]["delta"]["role"] == "assistant"
    await stream.aclose()  # type: ignore[attr-defined]
    assert await up.complete(REQUEST) == OPENAI_COMPLETION
