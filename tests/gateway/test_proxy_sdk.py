"""The official SDKs through the gateway: an app changes its base URL and nothing else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import anthropic
import openai
import pytest

from modelswap.config import Migration
from modelswap.sim import TOOLS, RunningSim

from .conftest import (
    CLAUDE_NEW,
    CLAUDE_OLD,
    NEW,
    OLD,
    Gateway,
    StartGateway,
    anthropic_endpoint,
    migration_of,
)

ORDER = [{"role": "user", "content": "Where is my order ORD-48213?"}]
QUESTION = [{"role": "user", "content": "How do I export my projects?"}]
ORDER_TOOL = {
    "name": "lookup_order",
    "description": "Look up an order by id.",
    "input_schema": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
}


@pytest.fixture
async def gw(start_gateway: StartGateway, migration: Migration) -> Gateway:
    return await start_gateway(migration)


@pytest.fixture
async def oai(gw: Gateway) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=gw.openai_url, api_key="any-key-on-loopback", max_retries=0)
    yield client
    await client.close()


@pytest.fixture
async def direct(sim: RunningSim) -> AsyncIterator[openai.AsyncOpenAI]:
    """The simulator without the gateway: what the old model answers on its own."""
    client = openai.AsyncOpenAI(base_url=sim.base_url, api_key="sk-direct", max_retries=0)
    yield client
    await client.close()


# -- OpenAI SDK ----------------------------------------------------------------------------------


async def test_non_stream_is_the_old_models_answer_and_is_recorded(
    oai: openai.AsyncOpenAI, direct: openai.AsyncOpenAI, gw: Gateway
) -> None:
    raw = await oai.chat.completions.with_raw_response.create(model=OLD, messages=QUESTION)
    reply = raw.parse()
    alone = await direct.chat.completions.create(model=OLD, messages=QUESTION)
    assert reply.model == OLD
    assert reply.choices[0].message.content == alone.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop"
    assert raw.headers["x-modelswap-arm"] == "old"

    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert row.id == raw.headers["x-request-id"]
    assert (row.arm, row.model, row.status, row.stream) == ("old", OLD, 200, False)
    assert reply.usage is not None
    assert (row.prompt_tokens, row.completion_tokens) == (reply.usage.prompt_tokens, reply.usage.completion_tokens)
    assert row.cost_usd is not None and row.cost_usd > 0
    assert row.latency_ms > 0


async def test_stream_with_include_usage_ends_with_the_usage_chunk(
    oai: openai.AsyncOpenAI, direct: openai.AsyncOpenAI, gw: Gateway
) -> None:
    alone = await direct.chat.completions.create(model=OLD, messages=QUESTION)
    stream = await oai.chat.completions.create(
        model=OLD, messages=QUESTION, stream=True, stream_options={"include_usage": True}
    )
    chunks = [c async for c in stream]
    assert len(chunks) > 4
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == alone.choices[0].message.content
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert alone.usage is not None and last.usage.completion_tokens == alone.usage.completion_tokens

    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert row.stream and row.status == 200
    assert row.completion_tokens == alone.usage.completion_tokens
    assert row.ttft_ms is not None and 0 < row.ttft_ms <= row.latency_ms


async def test_stream_without_include_usage_shows_no_usage_but_records_tokens(
    oai: openai.AsyncOpenAI, direct: openai.AsyncOpenAI, gw: Gateway
) -> None:
    alone = await direct.chat.completions.create(model=OLD, messages=QUESTION)
    stream = await oai.chat.completions.create(model=OLD, messages=QUESTION, stream=True)
    chunks = [c async for c in stream]
    assert chunks and all(c.usage is None and c.choices for c in chunks), "the app did not ask for usage"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == alone.choices[0].message.content

    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert alone.usage is not None
    assert (row.prompt_tokens, row.completion_tokens) == (alone.usage.prompt_tokens, alone.usage.completion_tokens)
    assert row.cost_usd is not None
    assert row.response_body is not None and row.response_body["content"] == alone.choices[0].message.content


async def test_tool_call_then_tool_result_turn(oai: openai.AsyncOpenAI, gw: Gateway) -> None:
    first = await oai.chat.completions.create(model=OLD, messages=ORDER, tools=TOOLS)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls or []
    assert call.function.name == "lookup_order"
    assert json.loads(call.function.arguments) == {"order_id": "ORD-48213"}

    result = {"order_id": "ORD-48213", "status": "shipped", "eta": "2025-06-01"}
    follow_up = [
        *ORDER,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)},
    ]
    final = await oai.chat.completions.create(model=OLD, messages=follow_up, tools=TOOLS)
    assert final.choices[0].finish_reason == "stop"
    assert "shipped" in (final.choices[0].message.content or "")
    await gw.settle(requests=2)
    assert [r.status for r in gw.requests()] == [200, 200]


async def test_streamed_tool_call_arrives_whole(oai: openai.AsyncOpenAI, gw: Gateway) -> None:
    plain = await oai.chat.completions.create(model=OLD, messages=ORDER, tools=TOOLS)
    expected = (plain.choices[0].message.tool_calls or [])[0]
    stream = await oai.chat.completions.create(
        model=OLD,
        messages=ORDER,
        tools=TOOLS,
        stream=True,
    )
    chunks = [c async for c in stream]
    pieces = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert pieces[0].id == expected.id
    assert "".join(p.function.arguments or "" for p in pieces if p.function) == expected.function.arguments
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["tool_calls"]

    async with oai.chat.completions.stream(model=OLD, messages=ORDER, tools=TOOLS) as helper:
        final = await helper.get_final_completion()
    (call,) = final.choices[0].message.tool_calls or []
    assert json.loads(call.function.arguments) == {"order_id": "ORD-48213"}

    await gw.settle(requests=3)
    streamed = gw.requests()[1]
    assert streamed.stream and streamed.response_body is not None
    assert streamed.response_body["finish_reason"] == "tool_calls"
    (recorded,) = streamed.response_body["tool_calls"]
    assert recorded["name"] == "lookup_order" and json.loads(recorded["arguments"]) == {"order_id": "ORD-48213"}


async def test_models_list_names_the_served_models(oai: openai.AsyncOpenAI) -> None:
    ids = {m.id async for m in oai.models.list()}
    assert ids == {OLD, NEW}


async def test_models_retrieve_finds_a_served_model_and_404s_another(oai: openai.AsyncOpenAI) -> None:
    model = await oai.models.retrieve(NEW)
    assert model.id == NEW and model.object == "model"
    with pytest.raises(openai.NotFoundError) as info:
        await oai.models.retrieve("gpt-3.5-turbo")
    assert "gpt-3.5-turbo" in str(info.value) and NEW in str(info.value)


# -- Anthropic SDK -------------------------------------------------------------------------------


@pytest.fixture
async def claude_gw(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim) -> Gateway:
    migration = migration_of(
        tmp_path,
        anthropic_endpoint(sim, CLAUDE_OLD, max_retries=0),
        anthropic_endpoint(sim, CLAUDE_NEW, max_retries=0),
    )
    return await start_gateway(migration)


@pytest.fixture
async def claude(claude_gw: Gateway) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(base_url=claude_gw.base_url, api_key="any-key", max_retries=0)
    yield client
    await client.close()


async def test_anthropic_models_retrieve(claude: anthropic.AsyncAnthropic) -> None:
    info = await claude.models.retrieve(CLAUDE_OLD)
    assert info.id == CLAUDE_OLD and info.type == "model"


async def test_anthropic_non_stream(claude: anthropic.AsyncAnthropic, claude_gw: Gateway) -> None:
    m = await claude.messages.create(
        model=CLAUDE_OLD, max_tokens=100, messages=[{"role": "user", "content": "What is 12 + 30?"}]
    )
    assert m.type == "message" and m.model == CLAUDE_OLD
    assert m.content[0].type == "text" and m.content[0].text == "42"
    assert m.stop_reason == "end_turn"
    await claude_gw.settle(requests=1)
    (row,) = claude_gw.requests()
    assert (row.arm, row.model, row.status) == ("old", CLAUDE_OLD, 200)
    assert row.completion_tokens == m.usage.output_tokens and row.prompt_tokens == m.usage.input_tokens


async def test_anthropic_stream_and_final_message(claude: anthropic.AsyncAnthropic, claude_gw: Gateway) -> None:
    plain = await claude.messages.create(model=CLAUDE_OLD, max_tokens=1000, messages=QUESTION)
    pieces: list[str] = []
    async with claude.messages.stream(model=CLAUDE_OLD, max_tokens=1000, messages=QUESTION) as stream:
        async for text in stream.text_stream:
            pieces.append(text)
        final = await stream.get_final_message()
    assert plain.content[0].type == "text" and final.content[0].type == "text"
    assert len(pieces) > 4 and "".join(pieces) == plain.content[0].text == final.content[0].text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == plain.usage.output_tokens

    await claude_gw.settle(requests=2)
    streamed = claude_gw.requests()[1]
    assert streamed.stream and streamed.completion_tokens == plain.usage.output_tokens
    assert streamed.ttft_ms is not None


async def test_anthropic_tool_use_then_result(claude: anthropic.AsyncAnthropic) -> None:
    first = await claude.messages.create(
        model=CLAUDE_OLD,
        max_tokens=200,
        tools=[ORDER_TOOL],
        messages=ORDER,
    )
    assert first.stop_reason == "tool_use"
    (block,) = first.content
    assert block.type == "tool_use" and block.input == {"order_id": "ORD-48213"}

    async with claude.messages.stream(
        model=CLAUDE_OLD,
        max_tokens=200,
        tools=[ORDER_TOOL],
        messages=ORDER,
    ) as stream:
        streamed = await stream.get_final_message()
    assert streamed.stop_reason == "tool_use" and streamed.content[0].input == {"order_id": "ORD-48213"}

    follow_up = [
        *ORDER,
        {"role": "assistant", "content": [block.model_dump()]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": block.id, "content": json.dumps({"status": "delivered"})}
            ],
        },
    ]
    final = await claude.messages.create(
        model=CLAUDE_OLD,
        max_tokens=200,
        tools=[ORDER_TOOL],
        messages=follow_up,
    )
    assert final.stop_reason == "end_turn"
    assert final.content[0].type == "text" and "delivered" in final.content[0].text


async def test_concurrent_requests_each_get_their_own_answer(oai: openai.AsyncOpenAI, gw: Gateway) -> None:
    questions = [[{"role": "user", "content": f"What is {i} + {i + 1}?"}] for i in range(30)]

    async def ask(i: int) -> str:
        if i % 2:
            stream = await oai.chat.completions.create(model=OLD, messages=questions[i], stream=True)
            return "".join([c.choices[0].delta.content or "" async for c in stream])
        reply = await oai.chat.completions.create(model=OLD, messages=questions[i])
        return reply.choices[0].message.content or ""

    answers = await asyncio.gather(*(ask(i) for i in range(30)))
    assert answers == [str(2 * i + 1) for i in range(30)]
    await gw.settle(requests=30, pairs=30)
    assert len({r.id for r in gw.requests()}) == 30
