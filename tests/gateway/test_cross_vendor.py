"""Cross-vendor swaps: the app keeps its SDK, the gateway translates to the other vendor's API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import anthropic
import openai
import pytest

from modelswap.rollout import flag
from modelswap.sim import TOOLS, RunningSim
from modelswap.store import Store

from .conftest import (
    CLAUDE_NEW,
    CLAUDE_OLD,
    NEW,
    OLD,
    WORKLOAD,
    Gateway,
    StartGateway,
    anthropic_endpoint,
    migration_of,
    openai_endpoint,
)

ORDER = [{"role": "user", "content": "Where is my order ORD-48213?"}]
QUESTION = [{"role": "user", "content": "How do I export my projects?"}]
ORDER_TOOL = {
    "name": "lookup_order",
    "description": "Look up an order by id.",
    "input_schema": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
}


# -- an OpenAI app whose new model is Claude ---------------------------------------------------------


@pytest.fixture
async def to_claude(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store) -> Gateway:
    migration = migration_of(
        tmp_path, openai_endpoint(sim, OLD, max_retries=0), anthropic_endpoint(sim, CLAUDE_NEW, max_retries=0)
    )
    flag.set_stage(store, WORKLOAD, "full", None, "test", "cutover")
    return await start_gateway(migration)


@pytest.fixture
async def oai(to_claude: Gateway) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=to_claude.openai_url, api_key="app-key", max_retries=0)
    yield client
    await client.close()


@pytest.fixture
async def claude_direct(sim: RunningSim) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(base_url=sim.anthropic_base_url, api_key="sk-direct", max_retries=0)
    yield client
    await client.close()


async def test_openai_app_gets_claudes_answer_in_openai_shape(
    oai: openai.AsyncOpenAI, claude_direct: anthropic.AsyncAnthropic, to_claude: Gateway
) -> None:
    raw = await oai.chat.completions.with_raw_response.create(model=OLD, messages=QUESTION)
    reply = raw.parse()
    alone = await claude_direct.messages.create(model=CLAUDE_NEW, max_tokens=4096, messages=QUESTION)
    assert raw.headers["x-modelswap-arm"] == "new"
    assert reply.object == "chat.completion"
    assert reply.choices[0].finish_reason == "stop"
    assert alone.content[0].type == "text" and reply.choices[0].message.content == alone.content[0].text
    assert reply.usage is not None and reply.usage.completion_tokens == alone.usage.output_tokens

    await to_claude.settle(requests=1)
    (row,) = to_claude.requests()
    assert (row.arm, row.model, row.status) == ("new", CLAUDE_NEW, 200)
    assert row.completion_tokens == alone.usage.output_tokens


async def test_openai_app_streams_from_claude(oai: openai.AsyncOpenAI, to_claude: Gateway) -> None:
    plain = await oai.chat.completions.create(model=OLD, messages=QUESTION)
    stream = await oai.chat.completions.create(model=OLD, messages=QUESTION, stream=True)
    chunks = [c async for c in stream]
    assert all(c.object == "chat.completion.chunk" and c.usage is None and c.choices for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == plain.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason] == ["stop"]

    with_usage = await oai.chat.completions.create(
        model=OLD,
        messages=QUESTION,
        stream=True,
        stream_options={"include_usage": True},
    )
    last = [c async for c in with_usage][-1]
    assert plain.usage is not None and last.usage is not None
    assert last.choices == [] and last.usage.completion_tokens == plain.usage.completion_tokens

    await to_claude.settle(requests=3)
    streamed = to_claude.requests()[1]
    assert streamed.stream and streamed.model == CLAUDE_NEW
    assert streamed.completion_tokens == plain.usage.completion_tokens
    assert streamed.prompt_tokens == plain.usage.prompt_tokens


async def test_openai_app_tool_calls_via_claude(oai: openai.AsyncOpenAI) -> None:
    first = await oai.chat.completions.create(model=OLD, messages=ORDER, tools=TOOLS)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "lookup_order"
    assert json.loads(call.function.arguments) == {"order_id": "ORD-48213"}

    stream = await oai.chat.completions.create(
        model=OLD,
        messages=ORDER,
        tools=TOOLS,
        stream=True,
    )
    chunks = [c async for c in stream]
    pieces = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert pieces[0].function is not None and pieces[0].function.name == "lookup_order"
    arguments = "".join(p.function.arguments or "" for p in pieces if p.function)
    assert json.loads(arguments) == {"order_id": "ORD-48213"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["tool_calls"]

    follow_up = [
        *ORDER,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"status": "shipped"})},
    ]
    final = await oai.chat.completions.create(model=OLD, messages=follow_up, tools=TOOLS)
    assert final.choices[0].finish_reason == "stop"
    assert "shipped" in (final.choices[0].message.content or "")


# -- an Anthropic app whose new model speaks the OpenAI wire ---------------------------------------


@pytest.fixture
async def to_gpt(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store) -> Gateway:
    migration = migration_of(
        tmp_path, anthropic_endpoint(sim, CLAUDE_OLD, max_retries=0), openai_endpoint(sim, NEW, max_retries=0)
    )
    flag.set_stage(store, WORKLOAD, "full", None, "test", "cutover")
    return await start_gateway(migration)


@pytest.fixture
async def claude(to_gpt: Gateway) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(base_url=to_gpt.base_url, api_key="app-key", max_retries=0)
    yield client
    await client.close()


async def test_anthropic_app_gets_gpts_answer_in_anthropic_shape(
    claude: anthropic.AsyncAnthropic, sim: RunningSim, to_gpt: Gateway
) -> None:
    m = await claude.messages.create(model=CLAUDE_OLD, max_tokens=2000, messages=QUESTION)
    async with openai.AsyncOpenAI(base_url=sim.base_url, api_key="sk-direct", max_retries=0) as direct:
        alone = await direct.chat.completions.create(model=NEW, messages=QUESTION)
    assert m.type == "message" and m.role == "assistant"
    assert m.content[0].type == "text" and m.content[0].text == alone.choices[0].message.content
    assert m.stop_reason == "end_turn"
    assert alone.usage is not None and m.usage.output_tokens == alone.usage.completion_tokens

    async with claude.messages.stream(model=CLAUDE_OLD, max_tokens=2000, messages=QUESTION) as stream:
        pieces = [text async for text in stream.text_stream]
        final = await stream.get_final_message()
    assert "".join(pieces) == m.content[0].text
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == m.usage.output_tokens

    await to_gpt.settle(requests=2)
    rows = to_gpt.requests()
    assert [(r.arm, r.model, r.stream) for r in rows] == [("new", NEW, False), ("new", NEW, True)]
    assert rows[1].completion_tokens == m.usage.output_tokens


async def test_anthropic_app_tool_use_via_gpt(claude: anthropic.AsyncAnthropic) -> None:
    first = await claude.messages.create(
        model=CLAUDE_OLD,
        max_tokens=200,
        tools=[ORDER_TOOL],
        messages=ORDER,
    )
    assert first.stop_reason == "tool_use"
    (block,) = [b for b in first.content if b.type == "tool_use"]
    assert block.name == "lookup_order" and block.input == {"order_id": "ORD-48213"}

    async with claude.messages.stream(
        model=CLAUDE_OLD,
        max_tokens=200,
        tools=[ORDER_TOOL],
        messages=ORDER,
    ) as stream:
        streamed = await stream.get_final_message()
    assert streamed.stop_reason == "tool_use"
    assert [b.input for b in streamed.content if b.type == "tool_use"] == [{"order_id": "ORD-48213"}]

    follow_up = [
        *ORDER,
        {"role": "assistant", "content": [block.model_dump()]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": block.id, "content": json.dumps({"status": "shipped"})}],
        },
    ]
    final = await claude.messages.create(
        model=CLAUDE_OLD,
        max_tokens=200,
        tools=[ORDER_TOOL],
        messages=follow_up,
    )
    assert final.stop_reason == "end_turn"
    assert final.content[0].type == "text" and "shipped" in final.content[0].text
