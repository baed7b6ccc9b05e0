"""The official SDKs must parse what translation produces.

Chain: official SDK → tiny aiohttp "gateway" (serves a translating upstream the way the
vendor serves its API) → native upstream → fake vendor server on 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import anthropic
import openai
from aiohttp import web

from modelswap.providers import (
    AnthropicOverOpenAI,
    AnthropicUpstream,
    HttpPool,
    OpenAIOverAnthropic,
    OpenAIUpstream,
    Upstream,
    UpstreamError,
)

from .conftest import Serve
from .fakes import Script, json_reply, sse_reply
from .payloads import (
    ANTHROPIC_MESSAGE,
    ANTHROPIC_TOOL_MESSAGE,
    OPENAI_TOOL_CHUNKS,
    OPENAI_TOOL_COMPLETION,
    anthropic_events_text,
    anthropic_events_tools,
    anthropic_sse,
    openai_sse,
    openai_usage_chunk,
)

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a place",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
}


def gateway(path: str, upstream: Upstream, frame: Callable[[dict], bytes], done: bytes) -> web.Application:
    """Serve ``upstream`` at ``path`` the way its dialect's vendor serves its API."""

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        try:
            if not body.get("stream"):
                return web.json_response(await upstream.complete(body))
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            async for item in upstream.stream(body):
                await resp.write(frame(item))
            await resp.write(done)
            return resp
        except UpstreamError as exc:
            error = {"message": exc.message, "type": "invalid_request_error", "code": None}
            return web.json_response({"type": "error", "error": error}, status=exc.status)

    app = web.Application()
    app.router.add_post(path, handle)
    return app


def openai_frame(chunk: dict) -> bytes:
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def anthropic_frame(event: dict) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


async def openai_client_over_claude(serve: Serve, pool: HttpPool, script: Script) -> openai.AsyncOpenAI:
    claude_base = await serve(script.app("/v1/messages"))
    upstream = OpenAIOverAnthropic(AnthropicUpstream("new", "claude-sonnet-4-20250514", claude_base, "k", pool))
    base = await serve(gateway("/v1/chat/completions", upstream, openai_frame, b"data: [DONE]\n\n"))
    return openai.AsyncOpenAI(base_url=f"{base}/v1", api_key="x", max_retries=0)


async def anthropic_client_over_gpt(serve: Serve, pool: HttpPool, script: Script) -> anthropic.AsyncAnthropic:
    gpt_base = await serve(script.app("/v1/chat/completions"))
    upstream = AnthropicOverOpenAI(OpenAIUpstream("old", "gpt-4o-mini", f"{gpt_base}/v1", "k", pool))
    base = await serve(gateway("/v1/messages", upstream, anthropic_frame, b""))
    return anthropic.AsyncAnthropic(base_url=base, api_key="x", max_retries=0)


# ---------------------------------------------------------------- openai SDK ← Claude


async def test_openai_sdk_parses_translated_completion(serve: Serve, pool: HttpPool) -> None:
    async with await openai_client_over_claude(serve, pool, Script([json_reply(ANTHROPIC_MESSAGE)])) as client:
        resp = await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    assert resp.choices[0].message.content == "Hello! How can I help you today?"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None and (resp.usage.prompt_tokens, resp.usage.completion_tokens) == (12, 11)


async def test_openai_sdk_parses_translated_tool_calls(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(ANTHROPIC_TOOL_MESSAGE)])
    async with await openai_client_over_claude(serve, pool, script) as client:
        resp = await client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "SF?"}], tools=[WEATHER_TOOL], tool_choice="auto"
        )
    calls = resp.choices[0].message.tool_calls or []
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]  # type: ignore[union-attr]
    assert json.loads(calls[0].function.arguments) == {"location": "San Francisco, CA", "unit": "celsius"}  # type: ignore[union-attr]
    assert resp.usage is not None and resp.usage.prompt_tokens_details is not None
    assert resp.usage.prompt_tokens_details.cached_tokens == 300
    assert script.seen[0].body["tool_choice"] == {"type": "auto"}


async def test_openai_sdk_parses_translated_stream_with_usage(serve: Serve, pool: HttpPool) -> None:
    script = Script([sse_reply(anthropic_sse(anthropic_events_text()), piece=9)])
    async with await openai_client_over_claude(serve, pool, script) as client:
        stream = await client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "Hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello!"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 50


async def test_openai_sdk_stream_helper_assembles_translated_tool_calls(serve: Serve, pool: HttpPool) -> None:
    script = Script([sse_reply(anthropic_sse(anthropic_events_tools()))])
    async with (
        await openai_client_over_claude(serve, pool, script) as client,
        client.chat.completions.stream(
            model="gpt-4o", messages=[{"role": "user", "content": "SF?"}], tools=[WEATHER_TOOL]
        ) as stream,
    ):
        final = await stream.get_final_completion()
    message = final.choices[0].message
    assert message.content == "Checking." and final.choices[0].finish_reason == "tool_calls"
    calls = message.tool_calls or []
    assert [(c.id, c.function.name) for c in calls] == [  # type: ignore[union-attr]
        ("toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather"),
        ("toolu_02", "get_time"),
    ]
    assert json.loads(calls[0].function.arguments) == {"location": "San Francisco, CA"}  # type: ignore[union-attr]


async def test_openai_sdk_sees_untranslatable_request_as_bad_request(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(ANTHROPIC_MESSAGE)])
    async with await openai_client_over_claude(serve, pool, script) as client:
        try:
            await client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], logprobs=True
            )
        except openai.BadRequestError as exc:
            assert "log probabilities are not available from Anthropic models" in str(exc)
        else:
            raise AssertionError("expected BadRequestError")


# ---------------------------------------------------------------- anthropic SDK ← GPT


async def test_anthropic_sdk_parses_translated_message(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(OPENAI_TOOL_COMPLETION)])
    async with await anthropic_client_over_gpt(serve, pool, script) as client:
        message = await client.messages.create(
            model="claude-sonnet-4-20250514",
            max_tokens=256,
            messages=[{"role": "user", "content": "Weather in Boston?"}],
            tools=[{"name": "get_current_weather", "input_schema": {"type": "object"}}],
        )
    assert message.stop_reason == "tool_use"
    blocks = [b for b in message.content if b.type == "tool_use"]
    assert [(b.id, b.name, b.input) for b in blocks] == [
        ("call_abc123", "get_current_weather", {"location": "Boston, MA"}),
        ("call_def456", "get_time", {"timezone": "America/New_York"}),
    ]
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens, message.usage.output_tokens) == (
        18,
        64,
        17,
    )


async def test_anthropic_sdk_stream_helper_over_translated_events(serve: Serve, pool: HttpPool) -> None:
    chunks = [
        {**OPENAI_TOOL_CHUNKS[0], "choices": [{"index": 0, "delta": {"role": "assistant", "content": "On it. "}}]},
        *OPENAI_TOOL_CHUNKS,
        openai_usage_chunk(prompt=40, completion=25, cached=0),
    ]
    script = Script([sse_reply(openai_sse(chunks), piece=13)])
    async with (
        await anthropic_client_over_gpt(serve, pool, script) as client,
        client.messages.stream(
            model="claude-sonnet-4-20250514",
            max_tokens=256,
            messages=[{"role": "user", "content": "Paris?"}],
            tools=[{"name": "get_weather", "input_schema": {"type": "object"}}],
        ) as stream,
    ):
        texts = [text async for text in stream.text_stream]
        message = await stream.get_final_message()
    assert "".join(texts) == "On it. "
    assert [b.type for b in message.content] == ["text", "tool_use", "tool_use"]
    tool = message.content[1]
    assert tool.type == "tool_use" and tool.name == "get_weather" and tool.input == {"location": "Paris"}
    assert message.stop_reason == "tool_use"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (40, 25)
    assert script.seen[0].body["stream_options"] == {"include_usage": True}


async def test_anthropic_sdk_raw_stream_events(serve: Serve, pool: HttpPool) -> None:
    script = Script([sse_reply(openai_sse([*OPENAI_TOOL_CHUNKS[:1], *OPENAI_TOOL_CHUNKS[-1:]]))])
    async with await anthropic_client_over_gpt(serve, pool, script) as client:
        stream = await client.messages.create(
            model="claude-sonnet-4-20250514",
            max_tokens=64,
            messages=[{"role": "user", "content": "x"}],
            stream=True,
        )
        types = [event.type async for event in stream]
    assert types == ["message_start", "content_block_start", "content_block_stop", "message_delta", "message_stop"]
