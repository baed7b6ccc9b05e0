"""The official ``openai`` SDK (Chat Completions) through the gateway: same vendor and translated to Claude."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import openai
import pydantic
import pytest

from modelswap.sim import TOOLS

from .common import ARITHMETIC, ARITHMETIC_ANSWER, ORDER, ORDER_ID, ORDER_RESULT, QUESTION, Ticket
from .conftest import APP_KEY, Stage


@pytest.fixture
async def oai(openai_app: Stage) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=openai_app.openai_url, api_key=APP_KEY, max_retries=0)
    yield client
    await client.close()


async def _alone(stage: Stage, **kw: object) -> openai.types.chat.ChatCompletion:
    """What the serving model answers when called on its own (the simulator's OpenAI face)."""
    async with openai.AsyncOpenAI(base_url=stage.sim.base_url, api_key="sk-direct", max_retries=0) as direct:
        return await direct.chat.completions.create(model=stage.served, **kw)  # type: ignore[call-overload,no-any-return]


async def test_sync_client_gets_the_serving_models_answer(openai_app: Stage) -> None:
    def call() -> openai.types.chat.ChatCompletion:
        with openai.OpenAI(base_url=openai_app.openai_url, api_key=APP_KEY, max_retries=0) as client:
            return client.chat.completions.create(model=openai_app.app_model, messages=ARITHMETIC)  # type: ignore[arg-type]

    reply = await asyncio.to_thread(call)
    assert reply.choices[0].message.content == ARITHMETIC_ANSWER
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0


async def test_async_stream_text_matches_the_models_whole_answer(openai_app: Stage, oai: openai.AsyncOpenAI) -> None:
    alone = await _alone(openai_app, messages=QUESTION)
    stream = await oai.chat.completions.create(model=openai_app.app_model, messages=QUESTION, stream=True)
    chunks = [c async for c in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == alone.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    (row,) = await openai_app.records(1)
    assert row.model == openai_app.served and row.stream and row.status == 200
    assert row.prompt_tokens and row.completion_tokens, "tokens are recorded though the app did not ask for usage"


async def test_stream_chunks_carry_no_usage_unless_asked(openai_app: Stage) -> None:
    """OpenAI omits ``usage`` from chunks without ``stream_options.include_usage``; so does the gateway."""
    body = {"model": openai_app.app_model, "messages": QUESTION, "stream": True}
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream("POST", openai_app.openai_url + "/chat/completions", json=body) as r,
    ):
        lines = [line async for line in r.aiter_lines() if line.startswith("data: {")]
    chunks = [json.loads(line[6:]) for line in lines]
    assert chunks and all("usage" not in c for c in chunks)


async def test_stream_helper_with_usage(openai_app: Stage, oai: openai.AsyncOpenAI) -> None:
    alone = await _alone(openai_app, messages=QUESTION)
    async with oai.chat.completions.stream(
        model=openai_app.app_model, messages=QUESTION, stream_options={"include_usage": True}
    ) as stream:
        final = await stream.get_final_completion()
    assert final.choices[0].message.content == alone.choices[0].message.content
    assert final.usage is not None and alone.usage is not None
    assert final.usage.completion_tokens == alone.usage.completion_tokens


class Now(pydantic.BaseModel):
    """The current time (no arguments)."""


async def test_stream_helper_with_a_strict_tool_without_arguments(openai_app: Stage, oai: openai.AsyncOpenAI) -> None:
    """A no-argument call streams ``"{}"`` (not ``""``), so the helper's strict parsing succeeds."""
    tool = openai.pydantic_function_tool(Now, name="now")
    async with oai.chat.completions.stream(
        model=openai_app.app_model,
        messages=[{"role": "user", "content": "What time is it?"}],
        tools=[tool],
        tool_choice={"type": "function", "function": {"name": "now"}},
    ) as stream:
        final = await stream.get_final_completion()
    (call,) = final.choices[0].message.tool_calls or []
    assert call.function.name == "now" and call.function.arguments == "{}"  # type: ignore[union-attr]
    assert isinstance(call.function.parsed_arguments, Now)  # type: ignore[union-attr]
    assert final.choices[0].finish_reason == "tool_calls"


async def test_parse_with_a_pydantic_model(openai_app: Stage, oai: openai.AsyncOpenAI) -> None:
    """Strict json_schema: Claude's structured output when translated, so the answer always parses."""
    completion = await oai.chat.completions.parse(model=openai_app.app_model, messages=QUESTION, response_format=Ticket)
    ticket = completion.choices[0].message.parsed
    assert isinstance(ticket, Ticket)
    if openai_app.translated:
        (row,) = await openai_app.records(1)
        assert row.status == 200 and row.model == openai_app.served


async def test_tool_call_then_tool_result_turn(openai_app: Stage, oai: openai.AsyncOpenAI) -> None:
    first = await oai.chat.completions.create(model=openai_app.app_model, messages=ORDER, tools=TOOLS)  # type: ignore[arg-type]
    (call,) = first.choices[0].message.tool_calls or []
    assert first.choices[0].finish_reason == "tool_calls"
    assert json.loads(call.function.arguments) == {"order_id": ORDER_ID}  # type: ignore[union-attr]
    second = await oai.chat.completions.create(
        model=openai_app.app_model,
        tools=TOOLS,  # type: ignore[arg-type]
        messages=[
            *ORDER,
            first.choices[0].message.model_dump(exclude_none=True),  # type: ignore[list-item]
            {"role": "tool", "tool_call_id": call.id, "content": ORDER_RESULT},
        ],
    )
    assert second.choices[0].finish_reason == "stop"
    assert "shipped" in (second.choices[0].message.content or "")


async def test_n_choices(openai_app: Stage, oai: openai.AsyncOpenAI) -> None:
    """``n=2`` gives two choices; translated, two Claude calls whose usage is summed."""
    one = await oai.chat.completions.create(model=openai_app.app_model, messages=QUESTION)
    two = await oai.chat.completions.create(model=openai_app.app_model, messages=QUESTION, n=2)
    assert [c.index for c in two.choices] == [0, 1]
    assert all(c.message.content for c in two.choices)
    assert two.usage is not None and one.usage is not None
    assert two.usage.completion_tokens > one.usage.completion_tokens


async def test_logprobs_same_vendor_or_a_400_that_says_why(openai_app: Stage, oai: openai.AsyncOpenAI) -> None:
    if not openai_app.translated:
        r = await oai.chat.completions.create(model=openai_app.app_model, messages=QUESTION, logprobs=True)
        assert r.choices[0].logprobs is not None and r.choices[0].logprobs.content
        return
    with pytest.raises(openai.BadRequestError) as info:
        await oai.chat.completions.create(model=openai_app.app_model, messages=QUESTION, logprobs=True)
    assert "logprobs: token log probabilities are not available from Anthropic models" in str(info.value)
    (row,) = await openai_app.records(1)
    assert (row.status, row.error_kind) == (400, "bad_request")
