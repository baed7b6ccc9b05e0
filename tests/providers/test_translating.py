from __future__ import annotations

import pytest

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
    ANTHROPIC_OVERLOADED,
    ANTHROPIC_TOOL_MESSAGE,
    OPENAI_TEXT_CHUNKS,
    OPENAI_TOOL_COMPLETION,
    anthropic_events_text,
    anthropic_sse,
    openai_sse,
    openai_usage_chunk,
)

OPENAI_BODY = {
    "model": "gpt-4o",
    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in SF?"}],
    "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
    "max_tokens": 200,
}
ANTHROPIC_BODY = {
    "model": "claude-x",
    "max_tokens": 200,
    "system": "Be brief.",
    "messages": [{"role": "user", "content": "Hello"}],
}


async def claude(serve: Serve, pool: HttpPool, script: Script) -> OpenAIOverAnthropic:
    base = await serve(script.app("/v1/messages"))
    return OpenAIOverAnthropic(
        AnthropicUpstream("new", "claude-sonnet-4-20250514", base, "k", pool), clock=lambda: 1700000000.5
    )


async def gpt(serve: Serve, pool: HttpPool, script: Script) -> AnthropicOverOpenAI:
    base = await serve(script.app("/v1/chat/completions"))
    return AnthropicOverOpenAI(OpenAIUpstream("old", "gpt-4o-mini", base + "/v1", "k", pool))


async def test_wrappers_are_upstreams_of_the_callers_dialect(pool: HttpPool) -> None:
    a = OpenAIOverAnthropic(AnthropicUpstream("n", "claude", "http://127.0.0.1:1", "k", pool))
    b = AnthropicOverOpenAI(OpenAIUpstream("o", "gpt", "http://127.0.0.1:1/v1", "k", pool))
    assert isinstance(a, Upstream) and (a.dialect, a.name, a.model) == ("openai", "n", "claude")
    assert isinstance(b, Upstream) and (b.dialect, b.name, b.model) == ("anthropic", "o", "gpt")
    with pytest.raises(ValueError, match="needs an inner upstream speaking 'anthropic'"):
        OpenAIOverAnthropic(b.inner)


async def test_openai_app_served_by_claude_complete(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(ANTHROPIC_TOOL_MESSAGE)])
    up = await claude(serve, pool, script)
    result = await up.complete(OPENAI_BODY)
    sent = script.seen[0].body
    assert sent["model"] == "claude-sonnet-4-20250514" and sent["system"] == "Be brief." and sent["max_tokens"] == 200
    assert sent["tools"] == [{"name": "get_weather", "input_schema": {"type": "object"}}]
    assert result["object"] == "chat.completion" and result["created"] == 1700000000
    assert result["choices"][0]["finish_reason"] == "tool_calls"
    assert len(result["choices"][0]["message"]["tool_calls"]) == 2


async def test_openai_app_served_by_claude_stream(serve: Serve, pool: HttpPool) -> None:
    script = Script([sse_reply(anthropic_sse(anthropic_events_text()))])
    up = await claude(serve, pool, script)
    chunks = [c async for c in up.stream({**OPENAI_BODY, "stream_options": {"include_usage": True}})]
    assert script.seen[0].body["stream"] is True and "stream_options" not in script.seen[0].body
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Hello!"
    assert chunks[-1]["usage"]["completion_tokens"] == 15


async def test_untranslatable_request_is_a_bad_request_and_sends_nothing(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(ANTHROPIC_TOOL_MESSAGE)])
    up = await claude(serve, pool, script)
    with pytest.raises(UpstreamError) as info:
        await up.complete({**OPENAI_BODY, "logprobs": True})
    err = info.value
    assert (err.kind, err.status, err.provider) == ("bad_request", 400, "new")
    assert err.body is not None and err.body["error"]["param"] == "logprobs"
    assert "not available from Anthropic models" in err.body["error"]["message"]
    with pytest.raises(UpstreamError):
        async for _ in up.stream({**OPENAI_BODY, "logprobs": True}):
            pass
    assert script.seen == []


async def test_n_fans_out_and_merges_choices_and_usage(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(ANTHROPIC_TOOL_MESSAGE)])
    up = await claude(serve, pool, script)
    one = await up.complete(OPENAI_BODY)
    result = await up.complete({**OPENAI_BODY, "n": 3})
    assert len(script.seen) == 4 and all("n" not in seen.body for seen in script.seen)
    assert [c["index"] for c in result["choices"]] == [0, 1, 2]
    assert all(c["message"] == one["choices"][0]["message"] for c in result["choices"])
    assert result["usage"]["prompt_tokens"] == 3 * one["usage"]["prompt_tokens"]
    assert result["usage"]["completion_tokens"] == 3 * one["usage"]["completion_tokens"]


@pytest.mark.parametrize("include_usage", [True, False])
async def test_streamed_n_interleaves_choices_by_index(serve: Serve, pool: HttpPool, include_usage: bool) -> None:
    script = Script([sse_reply(anthropic_sse(anthropic_events_text()))])
    up = await claude(serve, pool, script)
    body = {**OPENAI_BODY, "n": 2, "stream_options": {"include_usage": include_usage}}
    chunks = [c async for c in up.stream(body)]
    assert len(script.seen) == 2
    texts = {0: "", 1: ""}
    for chunk in chunks:
        for choice in chunk["choices"]:
            texts[choice["index"]] += choice["delta"].get("content") or ""
    assert texts == {0: "Hello!", 1: "Hello!"}
    assert len({c["id"] for c in chunks}) == 1
    if include_usage:
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 30
    else:
        assert all("usage" not in c for c in chunks)


async def test_max_tokens_defaults_to_the_models_output_limit(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(ANTHROPIC_TOOL_MESSAGE)])
    up = await claude(serve, pool, script)  # claude-sonnet-4-20250514: 64000 in the catalog
    body = {k: v for k, v in OPENAI_BODY.items() if k != "max_tokens"}
    await up.complete(body)
    assert script.seen[0].body["max_tokens"] == 64000
    unknown = OpenAIOverAnthropic(AnthropicUpstream("n", "claude-unreleased", "http://127.0.0.1:1", "k", pool))
    assert unknown.default_max_tokens == 4096


async def test_inner_errors_pass_through(serve: Serve, pool: HttpPool) -> None:
    up = await claude(serve, pool, Script([json_reply(ANTHROPIC_OVERLOADED, 529)]))
    with pytest.raises(UpstreamError) as info:
        await up.complete(OPENAI_BODY)
    assert info.value.kind == "overloaded"


async def test_untranslatable_response_is_a_protocol_error(serve: Serve, pool: HttpPool) -> None:
    bad = {**ANTHROPIC_TOOL_MESSAGE, "content": [{"type": "mystery_block"}]}
    up = await claude(serve, pool, Script([json_reply(bad)]))
    with pytest.raises(UpstreamError, match="cannot translate response") as info:
        await up.complete(OPENAI_BODY)
    assert info.value.kind == "protocol"


async def test_anthropic_app_served_by_gpt_complete(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(OPENAI_TOOL_COMPLETION)])
    up = await gpt(serve, pool, script)
    message = await up.complete(ANTHROPIC_BODY)
    sent = script.seen[0].body
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent["max_completion_tokens"] == 200 and sent["model"] == "gpt-4o-mini"
    assert message["type"] == "message" and message["stop_reason"] == "tool_use"
    assert message["content"][0]["input"] == {"location": "Boston, MA"}


async def test_anthropic_app_served_by_gpt_stream(serve: Serve, pool: HttpPool) -> None:
    script = Script([sse_reply(openai_sse([*OPENAI_TEXT_CHUNKS, openai_usage_chunk(30, 4, 10)]))])
    up = await gpt(serve, pool, script)
    events = [e async for e in up.stream(ANTHROPIC_BODY)]
    assert script.seen[0].body["stream_options"] == {"include_usage": True}
    assert [e["type"] for e in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert events[-2]["usage"] == {
        "input_tokens": 20,
        "output_tokens": 4,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 10,
    }


async def test_closing_a_translated_stream_early_closes_the_inner_one(serve: Serve, pool: HttpPool) -> None:
    script = Script([sse_reply(anthropic_sse(anthropic_events_text())), json_reply(ANTHROPIC_TOOL_MESSAGE)])
    up = await claude(serve, pool, script)
    stream = up.stream(OPENAI_BODY)
    await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]
    assert (await up.complete(OPENAI_BODY))["choices"][0]["finish_reason"] == "tool_calls"
