"""Claude's extended thinking reaches an OpenAI-format app through the gateway, over TCP.

A Responses app gets ``reasoning`` items (the thinking as summary text, Claude's signature as
``encrypted_content``), whole and streamed, and a later turn that sends them back (in ``input``
or by ``previous_response_id``) continues Claude's tool loop, which Claude refuses without them.
A Chat Completions app gets ``reasoning_content`` and ``thinking_blocks`` (LiteLLM's fields).
"""

# ruff: noqa: F811  (the gateway fixtures are imported by name and then requested as arguments)
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from tests.clients.test_openai_responses import LOOKUP, ORDER, QUESTION, STAGES, _full
from tests.gateway.conftest import (  # noqa: F401 (fixtures)
    CLAUDE_NEW,
    OLD,
    Gateway,
    StartGateway,
    api_keys,
    migration_of,
    openai_endpoint,
    sim,
    start_gateway,
    store,
)

from modelswap.sim import RunningSim
from modelswap.store import Store

REASONING: Any = {"effort": "low"}
TOOLS: Any = [LOOKUP]


@pytest.fixture
async def claude(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store) -> Gateway:
    """Claude serves every request of an OpenAI-format app."""
    return await _full(start_gateway, tmp_path, sim, store, STAGES["claude"](sim))


@pytest.fixture
async def client(claude: Gateway) -> AsyncIterator[openai.AsyncOpenAI]:
    c = openai.AsyncOpenAI(base_url=claude.openai_url, api_key="app-key", max_retries=0, timeout=10)
    yield c
    await c.close()


def _reasoning(output: list[Any]) -> list[Any]:
    return [item for item in output if item.type == "reasoning"]


async def test_thinking_is_a_reasoning_item_and_sending_it_back_continues_the_tool_loop(
    client: openai.AsyncOpenAI,
) -> None:
    first = await client.responses.create(model=OLD, input=ORDER, tools=TOOLS, reasoning=REASONING)
    (reasoning,) = _reasoning(first.output)
    assert reasoning.summary[0].text and reasoning.encrypted_content, "the thinking and Claude's signature"
    assert [item.type for item in first.output] == ["reasoning", "function_call"]
    (call,) = [item for item in first.output if item.type == "function_call"]
    output = {"type": "function_call_output", "call_id": call.call_id, "output": '{"status": "shipped"}'}

    follow_up: Any = [
        {"role": "user", "content": ORDER},
        *[item.model_dump(exclude_none=True) for item in first.output],
        output,
    ]
    second = await client.responses.create(model=OLD, input=follow_up, tools=TOOLS, reasoning=REASONING)
    assert second.status == "completed" and second.output_text

    without: Any = [item for item in follow_up if item.get("type") != "reasoning"]
    with pytest.raises(openai.BadRequestError) as refused:
        await client.responses.create(model=OLD, input=without, tools=TOOLS, reasoning=REASONING)
    assert "thinking" in refused.value.message, "Claude's own refusal, as the app would get it from Claude"

    chained = await client.responses.create(
        model=OLD, previous_response_id=first.id, input=[output], tools=TOOLS, reasoning=REASONING
    )
    assert chained.status == "completed" and chained.output_text


async def test_streamed_thinking_arrives_as_reasoning_summary_events(client: openai.AsyncOpenAI) -> None:
    deltas: list[str] = []
    kinds: list[str] = []
    async with client.responses.stream(model=OLD, input=QUESTION, reasoning=REASONING) as stream:
        async for event in stream:
            kinds.append(event.type)
            if event.type == "response.reasoning_summary_text.delta":
                deltas.append(event.delta)
        final = await stream.get_final_response()
    (reasoning,) = _reasoning(final.output)
    assert "".join(deltas) == reasoning.summary[0].text and deltas
    assert reasoning.encrypted_content
    assert kinds.index("response.reasoning_summary_text.done") < kinds.index("response.output_text.delta")
    assert final.output_text and final.output[-1].type == "message"
    assert final.usage is not None and final.usage.output_tokens > 0

    whole = await client.responses.create(model=OLD, input=QUESTION, reasoning=REASONING)
    assert _reasoning(whole.output)[0].summary[0].text == reasoning.summary[0].text, "streamed as answered whole"


async def test_without_reasoning_no_thinking_is_asked_for(client: openai.AsyncOpenAI) -> None:
    response = await client.responses.create(model=OLD, input=QUESTION)
    assert not _reasoning(response.output) and response.output_text


async def test_a_chat_app_gets_reasoning_content_and_thinking_blocks(client: openai.AsyncOpenAI) -> None:
    chat = await client.chat.completions.create(
        model=OLD, messages=[{"role": "user", "content": QUESTION}], reasoning_effort="low"
    )
    message = chat.choices[0].message
    extra = message.model_extra or {}
    (block,) = extra["thinking_blocks"]
    assert extra["reasoning_content"] == block["thinking"] and block["signature"]
    assert message.content

    pieces: list[str] = []
    stream = await client.chat.completions.create(
        model=OLD, messages=[{"role": "user", "content": QUESTION}], reasoning_effort="low", stream=True
    )
    async for chunk in stream:
        for choice in chunk.choices:
            pieces.append((choice.delta.model_extra or {}).get("reasoning_content") or "")
    assert "".join(pieces) == extra["reasoning_content"]


async def test_the_record_keeps_the_reasoning(client: openai.AsyncOpenAI, claude: Gateway) -> None:
    await client.responses.create(model=OLD, input=ORDER, tools=TOOLS, reasoning=REASONING)
    await claude.settle(requests=1)
    (row,) = claude.requests()
    assert row.model == CLAUDE_NEW and row.response_body is not None
    kinds = [item["type"] for item in row.response_body["output"]]
    assert kinds == ["reasoning", "function_call"]
    assert json.loads(row.response_body["output"][1]["arguments"]) == {"order_id": "ORD-48213"}


# -- reasoning tokens --------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["chat-model", "responses-model"])
async def test_reasoning_tokens_reach_the_app_and_the_record(
    stage: str, start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    """An OpenAI reasoning model's ``reasoning_tokens``, reported by the vendor in its dialect, reach
    the app in the app's dialect (translated or not) and are recorded beside the other counts."""
    gw = await _full(start_gateway, tmp_path, sim, store, STAGES[stage](sim))
    seen: list[int] = []
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key", max_retries=0, timeout=10) as client:
        whole = await client.responses.create(model=OLD, input=QUESTION, reasoning=REASONING)
        assert whole.usage is not None
        seen.append(whole.usage.output_tokens_details.reasoning_tokens)
        async with client.responses.stream(model=OLD, input=ORDER, tools=TOOLS, reasoning=REASONING) as stream:
            final = await stream.get_final_response()
        assert final.usage is not None
        seen.append(final.usage.output_tokens_details.reasoning_tokens)
        chat = await client.chat.completions.create(
            model=OLD, messages=[{"role": "user", "content": QUESTION}], reasoning_effort="low"
        )
        assert chat.usage is not None and chat.usage.completion_tokens_details is not None
        seen.append(chat.usage.completion_tokens_details.reasoning_tokens or 0)
        chunks = await client.chat.completions.create(
            model=OLD,
            messages=[{"role": "user", "content": ORDER}],
            reasoning_effort="low",
            stream=True,
            stream_options={"include_usage": True},
        )
        usage = [c.usage async for c in chunks if c.usage is not None][-1]
        assert usage.completion_tokens_details is not None
        seen.append(usage.completion_tokens_details.reasoning_tokens or 0)
        plain = await client.chat.completions.create(model=OLD, messages=[{"role": "user", "content": QUESTION}])
    assert all(n > 0 for n in seen), seen
    await gw.settle(requests=5)
    rows = gw.requests()
    assert [r.reasoning_tokens for r in rows] == [*seen, 0]
    assert all(r.completion_tokens is not None and r.completion_tokens > (r.reasoning_tokens or 0) for r in rows)
    assert plain.usage is not None and plain.usage.completion_tokens_details is not None


async def test_shadow_pairs_record_the_reasoning_tokens(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    migration = migration_of(tmp_path, openai_endpoint(sim, OLD, max_retries=0), STAGES["chat-model"](sim))
    gw = await start_gateway(migration)  # no stage set: shadow, the old model serves
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key", max_retries=0, timeout=10) as client:
        answer = await client.chat.completions.create(
            model=OLD, messages=[{"role": "user", "content": QUESTION}], reasoning_effort="high"
        )
    await gw.settle(requests=1, pairs=1)
    (row,), (pair,) = gw.requests(), gw.pairs()
    assert answer.usage is not None and answer.usage.completion_tokens_details is not None
    assert row.reasoning_tokens == answer.usage.completion_tokens_details.reasoning_tokens
    assert pair.reasoning_tokens is not None and pair.reasoning_tokens > 0
