"""OpenAI-format requests served by Claude models: the Anthropic adapter against the
simulator's real Messages endpoint returns correct OpenAI-shaped answers, tool calls included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest

from modelswap.providers import HttpPool, build_upstream
from modelswap.providers.base import Upstream
from modelswap.sim import GOLDEN_SETS, ProfileOverride, RunningSim, SimConfig, load_golden, start_sim

CLAUDE = "claude-opus-4-7"
CONFIG = SimConfig(time_scale=0.0, error_scale=0.0, models={CLAUDE: ProfileOverride(quality=1.0)})


@pytest.fixture
async def claude_as_openai() -> AsyncIterator[tuple[Upstream, RunningSim]]:
    sim = await start_sim(CONFIG)
    pool = HttpPool()
    upstream = build_upstream(
        "anthropic", "new", CLAUDE, sim.anthropic_base_url, "sk-ant-test", pool, dialect="openai", max_retries=0
    )
    try:
        yield upstream, sim
    finally:
        await pool.aclose()
        await sim.stop()


def _first(name: str, tag: str) -> dict:
    assert name in GOLDEN_SETS
    return next(c for c in load_golden(name) if tag in c.tags).model_dump(by_alias=True)


async def test_openai_request_gets_openai_shaped_answer_from_claude(claude_as_openai) -> None:
    upstream, sim = claude_as_openai
    case = load_golden("arithmetic")[0].model_dump(by_alias=True)
    body = {"model": "gpt-5", "messages": case["messages"], "max_tokens": 200}
    answer = await upstream.complete(body)
    assert answer["object"] == "chat.completion"
    choice = answer["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"].strip() == case["assert"][0]["value"]
    assert choice["finish_reason"] == "stop"
    assert answer["usage"]["prompt_tokens"] > 0 and answer["usage"]["completion_tokens"] > 0
    assert sim.engine.counts  # the request really went through the simulator's /v1/messages


async def test_tool_call_round_trip_through_translation(claude_as_openai) -> None:
    upstream, _ = claude_as_openai
    case = _first("tool-call", "turn:call")
    body = {"model": "gpt-5", "messages": case["messages"], "tools": case["tools"], "tool_choice": "auto"}
    answer = await upstream.complete(body)
    choice = answer["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["id"]
    expected = case["assert"][0]
    assert call["function"]["name"] == expected["name"]
    assert orjson.loads(call["function"]["arguments"]) == expected["arguments"]

    # the app sends the tool result back in OpenAI form; Claude answers with it
    follow = [
        *case["messages"],
        choice["message"],
        {"role": "tool", "tool_call_id": call["id"], "content": '{"status": "shipped", "delivery": "2026-12-01"}'},
    ]
    final = await upstream.complete({"model": "gpt-5", "messages": follow, "tools": case["tools"]})
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["choices"][0]["message"]["content"]


async def test_streamed_tool_call_arrives_as_openai_chunks(claude_as_openai) -> None:
    upstream, _ = claude_as_openai
    case = _first("tool-call", "turn:call")
    body = {
        "model": "gpt-5",
        "messages": case["messages"],
        "tools": case["tools"],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks = [c async for c in upstream.stream(body)]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    name = "".join(
        tc["function"].get("name") or ""
        for c in chunks
        for ch in c["choices"]
        for tc in ch["delta"].get("tool_calls") or []
    )
    args = "".join(
        tc["function"].get("arguments") or ""
        for c in chunks
        for ch in c["choices"]
        for tc in ch["delta"].get("tool_calls") or []
    )
    expected = case["assert"][0]
    assert name == expected["name"] and orjson.loads(args) == expected["arguments"]
    finishes = [ch["finish_reason"] for c in chunks for ch in c["choices"] if ch.get("finish_reason")]
    assert finishes == ["tool_calls"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
