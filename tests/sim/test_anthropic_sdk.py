"""The official anthropic SDK works unchanged against the simulator."""

from __future__ import annotations

import json

import anthropic

from .conftest import PERFECT

ORDER_TOOL = {
    "name": "lookup_order",
    "description": "Look up an order by id.",
    "input_schema": {
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
    },
}
QUESTION = [{"role": "user", "content": "Where is my order ORD-48213?"}]


async def test_non_stream_message(claude: anthropic.AsyncAnthropic) -> None:
    m = await claude.messages.create(
        model=PERFECT, max_tokens=100, messages=[{"role": "user", "content": "What is 12 + 30?"}]
    )
    assert m.id.startswith("msg_") and m.type == "message" and m.role == "assistant"
    assert m.model == PERFECT
    assert [b.type for b in m.content] == ["text"]
    assert m.content[0].text == "42"
    assert m.stop_reason == "end_turn" and m.stop_sequence is None
    assert m.usage.input_tokens > 0 and m.usage.output_tokens == 1


async def test_stream_and_final_message_match_non_stream(claude: anthropic.AsyncAnthropic) -> None:
    messages = [{"role": "user", "content": "How do I invite a colleague?"}]
    plain = await claude.messages.create(model="claude-opus-4-7", max_tokens=1000, messages=messages)
    pieces: list[str] = []
    async with claude.messages.stream(
        model="claude-opus-4-7",
        max_tokens=1000,
        messages=messages,
    ) as stream:
        async for text in stream.text_stream:
            pieces.append(text)
        final = await stream.get_final_message()
    assert len(pieces) > 4
    assert "".join(pieces) == plain.content[0].text
    assert final.content[0].text == plain.content[0].text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == plain.usage.output_tokens
    assert final.usage.input_tokens == plain.usage.input_tokens


async def test_raw_event_sequence(claude: anthropic.AsyncAnthropic) -> None:
    stream = await claude.messages.create(
        model="claude-haiku-4-5", max_tokens=50, messages=[{"role": "user", "content": "hi"}], stream=True
    )
    types = [event.type async for event in stream]
    assert types[:2] == ["message_start", "content_block_start"]
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(types[2:-3]) == {"content_block_delta"}


async def test_tool_use_then_final_answer(claude: anthropic.AsyncAnthropic) -> None:
    first = await claude.messages.create(
        model=PERFECT,
        max_tokens=200,
        tools=[ORDER_TOOL],
        messages=QUESTION,
    )
    assert first.stop_reason == "tool_use"
    (block,) = first.content
    assert block.type == "tool_use" and block.id.startswith("toolu_")
    assert block.name == "lookup_order" and block.input == {"order_id": "ORD-48213"}

    result = {"order_id": "ORD-48213", "status": "delivered"}
    follow_up = [
        *QUESTION,
        {"role": "assistant", "content": [block.model_dump()]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": block.id, "content": json.dumps(result)}],
        },
    ]
    final = await claude.messages.create(
        model=PERFECT,
        max_tokens=200,
        tools=[ORDER_TOOL],
        messages=follow_up,
    )
    assert final.stop_reason == "end_turn"
    assert "delivered" in final.content[0].text


async def test_streamed_tool_use_input_json_deltas(claude: anthropic.AsyncAnthropic) -> None:
    async with claude.messages.stream(
        model=PERFECT,
        max_tokens=200,
        tools=[ORDER_TOOL],
        messages=QUESTION,
    ) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_message()
    assert "input_json" in kinds
    assert final.stop_reason == "tool_use"
    assert final.content[0].input == {"order_id": "ORD-48213"}


async def test_same_conversation_same_answer_across_vendors(claude: anthropic.AsyncAnthropic, oai: object) -> None:
    import openai

    assert isinstance(oai, openai.AsyncOpenAI)
    question = [{"role": "user", "content": "Can I use the product offline?"}]
    via_openai = await oai.chat.completions.create(model="claude-opus-4-1", messages=question)
    via_anthropic = await claude.messages.create(model="claude-opus-4-1", max_tokens=2000, messages=question)
    assert via_anthropic.content[0].text == via_openai.choices[0].message.content


async def test_model_list_in_anthropic_shape(claude: anthropic.AsyncAnthropic) -> None:
    models = [m async for m in claude.models.list()]
    ids = {m.id for m in models}
    assert {"claude-opus-4-7", "claude-haiku-4"} <= ids
    haiku = next(m for m in models if m.id == "claude-haiku-4-5")
    assert haiku.type == "model" and haiku.display_name == "Claude Haiku 4.5"
