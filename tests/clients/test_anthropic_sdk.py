"""The official ``anthropic`` SDK through the gateway: same vendor and translated to an OpenAI model."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import pytest

from .common import ARITHMETIC, ARITHMETIC_ANSWER, ORDER, ORDER_ID, ORDER_RESULT, QUESTION, Ticket
from .conftest import APP_KEY, Stage

ORDER_TOOL = {
    "name": "lookup_order",
    "description": "Look up an order by id.",
    "input_schema": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
}


@pytest.fixture
async def claude(anthropic_app: Stage) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(base_url=anthropic_app.anthropic_url, api_key=APP_KEY, max_retries=0)
    yield client
    await client.close()


async def _alone_text(stage: Stage, messages: list[dict[str, str]]) -> str:
    """The serving model's answer on its own (the simulator answers the same whichever API asks)."""
    async with anthropic.AsyncAnthropic(
        base_url=stage.sim.anthropic_base_url, api_key="sk-direct", max_retries=0
    ) as direct:
        message = await direct.messages.create(model=stage.served, max_tokens=1000, messages=messages)  # type: ignore[arg-type]
    return "".join(b.text for b in message.content if b.type == "text")


async def test_create_answers_with_usage(anthropic_app: Stage, claude: anthropic.AsyncAnthropic) -> None:
    message = await claude.messages.create(model=anthropic_app.app_model, max_tokens=100, messages=ARITHMETIC)  # type: ignore[arg-type]
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == ARITHMETIC_ANSWER  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


async def test_messages_stream_and_the_record_of_its_tokens(
    anthropic_app: Stage, claude: anthropic.AsyncAnthropic
) -> None:
    """Translated, OpenAI reports usage only at the end: the record still has the prompt tokens."""
    alone = await _alone_text(anthropic_app, QUESTION)
    async with claude.messages.stream(
        model=anthropic_app.app_model,
        max_tokens=1000,
        messages=QUESTION,  # type: ignore[arg-type]
    ) as stream:
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()
    assert text == alone
    assert final.stop_reason == "end_turn"
    (row,) = await anthropic_app.records(1)
    assert row.stream and row.status == 200 and row.model == anthropic_app.served
    assert row.prompt_tokens is not None and row.prompt_tokens > 0
    assert row.completion_tokens == final.usage.output_tokens


async def test_tool_use_then_tool_result(anthropic_app: Stage, claude: anthropic.AsyncAnthropic) -> None:
    first = await claude.messages.create(
        model=anthropic_app.app_model,
        max_tokens=500,
        messages=ORDER,  # type: ignore[arg-type]
        tools=[ORDER_TOOL],  # type: ignore[list-item]
    )
    assert first.stop_reason == "tool_use"
    (use,) = [b for b in first.content if b.type == "tool_use"]
    assert use.name == "lookup_order" and use.input == {"order_id": ORDER_ID}
    second = await claude.messages.create(
        model=anthropic_app.app_model,
        max_tokens=500,
        tools=[ORDER_TOOL],  # type: ignore[list-item]
        messages=[
            *ORDER,  # type: ignore[list-item]
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": ORDER_RESULT}]},
        ],
    )
    assert second.stop_reason == "end_turn" and "shipped" in second.content[0].text  # type: ignore[union-attr]


async def test_streamed_tool_use(anthropic_app: Stage, claude: anthropic.AsyncAnthropic) -> None:
    async with claude.messages.stream(
        model=anthropic_app.app_model,
        max_tokens=500,
        messages=ORDER,  # type: ignore[arg-type]
        tools=[ORDER_TOOL],  # type: ignore[list-item]
        tool_choice={"type": "tool", "name": "lookup_order"},
    ) as stream:
        final = await stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert [b.input for b in final.content if b.type == "tool_use"] == [{"order_id": ORDER_ID}]


async def test_parse_with_output_format(anthropic_app: Stage, claude: anthropic.AsyncAnthropic) -> None:
    """``output_config.format`` is Claude's structured output; translated, OpenAI's strict json_schema."""
    parsed = await claude.messages.parse(
        model=anthropic_app.app_model,
        max_tokens=1000,
        messages=QUESTION,  # type: ignore[arg-type]
        output_format=Ticket,
    )
    assert isinstance(parsed.parsed_output, Ticket)


async def test_betas_are_accepted(anthropic_app: Stage, claude: anthropic.AsyncAnthropic) -> None:
    message = await claude.beta.messages.create(
        model=anthropic_app.app_model,
        max_tokens=100,
        messages=ARITHMETIC,  # type: ignore[arg-type]
        betas=["token-efficient-tools-2025-02-19"],
    )
    assert message.content[0].text == ARITHMETIC_ANSWER  # type: ignore[union-attr]


async def test_count_tokens_when_passed_through(anthropic_app: Stage, claude: anthropic.AsyncAnthropic) -> None:
    # count_tokens is passed through to a vendor that speaks Messages (the simulator counts them)
    counted = await claude.messages.count_tokens(model=anthropic_app.app_model, messages=QUESTION)  # type: ignore[arg-type]
    assert counted.input_tokens > 0
