"""The official openai SDK works unchanged against the simulator."""

from __future__ import annotations

import json

import openai

from modelswap.sim import RunningSim
from modelswap.sim.workloads import TOOLS

from .conftest import PERFECT

ORDER_QUESTION = [{"role": "user", "content": "Where is my order ORD-48213?"}]


async def test_non_stream_answers_arithmetic_with_usage(oai: openai.AsyncOpenAI) -> None:
    r = await oai.chat.completions.create(model=PERFECT, messages=[{"role": "user", "content": "What is 17 * 23?"}])
    assert r.object == "chat.completion"
    assert r.id.startswith("chatcmpl-")
    assert r.model == PERFECT
    assert r.system_fingerprint and r.system_fingerprint.startswith("fp_")
    assert r.choices[0].message.content == "391"
    assert r.choices[0].finish_reason == "stop"
    assert r.usage is not None
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert r.usage.completion_tokens == 1


async def test_stream_with_include_usage_ends_with_usage_chunk(oai: openai.AsyncOpenAI) -> None:
    messages = [{"role": "user", "content": "How do I export my projects?"}]
    plain = await oai.chat.completions.create(model="gpt-4o", messages=messages)
    stream = await oai.chat.completions.create(
        model="gpt-4o",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    assert len(chunks) > 4, "text should arrive in several pieces"
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["stop"]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == plain.usage.completion_tokens
    assert all(c.usage is None for c in chunks[:-1])


async def test_stream_without_include_usage_has_no_usage(oai: openai.AsyncOpenAI) -> None:
    stream = await oai.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}], stream=True
    )
    chunks = [chunk async for chunk in stream]
    assert all(c.usage is None and c.choices for c in chunks)


async def test_tool_call_then_final_answer(oai: openai.AsyncOpenAI) -> None:
    first = await oai.chat.completions.create(model=PERFECT, messages=ORDER_QUESTION, tools=TOOLS)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert call.id.startswith("call_") and call.type == "function"
    assert call.function.name == "lookup_order"
    assert json.loads(call.function.arguments) == {"order_id": "ORD-48213"}

    result = {"order_id": "ORD-48213", "status": "shipped", "eta": "2025-06-01"}
    follow_up = [
        *ORDER_QUESTION,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)},
    ]
    final = await oai.chat.completions.create(model=PERFECT, messages=follow_up, tools=TOOLS)
    assert final.choices[0].finish_reason == "stop"
    assert "shipped" in (final.choices[0].message.content or "")


async def test_streamed_tool_call_arguments_arrive_in_deltas(oai: openai.AsyncOpenAI) -> None:
    plain = await oai.chat.completions.create(model=PERFECT, messages=ORDER_QUESTION, tools=TOOLS)
    stream = await oai.chat.completions.create(
        model=PERFECT,
        messages=ORDER_QUESTION,
        tools=TOOLS,
        stream=True,
    )
    deltas = [c.choices[0].delta for c in [chunk async for chunk in stream] if c.choices]
    pieces = [tc for d in deltas for tc in (d.tool_calls or [])]
    assert pieces[0].id and pieces[0].function and pieces[0].function.name == "lookup_order"
    argument_pieces = [p.function.arguments for p in pieces[1:] if p.function and p.function.arguments]
    assert len(argument_pieces) > 1
    expected = (plain.choices[0].message.tool_calls or [])[0]
    assert pieces[0].id == expected.id
    assert "".join(argument_pieces) == expected.function.arguments


async def test_sdk_stream_helper_accumulates_tool_call(oai: openai.AsyncOpenAI) -> None:
    async with oai.chat.completions.stream(model="gpt-4o", messages=ORDER_QUESTION, tools=TOOLS) as stream:
        final = await stream.get_final_completion()
    (call,) = final.choices[0].message.tool_calls or []
    assert json.loads(call.function.arguments) == {"order_id": "ORD-48213"}


async def test_list_and_get_models(oai: openai.AsyncOpenAI) -> None:
    ids = [m.id async for m in oai.models.list()]
    assert {"gpt-4o", "gpt-5-mini", "claude-sonnet-4-5", "claude-haiku-4-5"} <= set(ids)
    model = await oai.models.retrieve("gpt-4o-mini")
    assert model.id == "gpt-4o-mini" and model.object == "model"


async def test_max_tokens_cuts_answer_with_length_reason(oai: openai.AsyncOpenAI) -> None:
    r = await oai.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Tell me about plans"}], max_tokens=3
    )
    assert r.choices[0].finish_reason == "length"
    assert r.usage is not None and r.usage.completion_tokens <= 3


async def test_workload_header_is_recorded(oai: openai.AsyncOpenAI, sim: RunningSim) -> None:
    await oai.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-modelswap-workload": "support-chat"},
    )
    assert sim.engine.served[-1].workload == "support-chat"
    assert sim.engine.counts[("gpt-4o", 200)] == 1
