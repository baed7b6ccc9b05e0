"""The simulator honours the request fields the real APIs honour, or answers their error for them."""

from __future__ import annotations

import json
import random
from typing import Any

import anthropic
import openai
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from modelswap.sim.schema_values import example_value
from modelswap.sim.workloads import TOOLS

from .conftest import PERFECT

ORDER = [{"role": "user", "content": "Where is my order ORD-48213?"}]
TWO_ORDERS = [{"role": "user", "content": "Where are my orders ORD-48213 and ORD-77120?"}]
ARITHMETIC = [{"role": "user", "content": "What is 17 * 23?"}]
QUESTION = [{"role": "user", "content": "How do I export my projects?"}]
ANSWER_TOOL = {
    "type": "function",
    "function": {
        "name": "Answer",
        "parameters": {
            "type": "object",
            "properties": {"value": {"type": "integer"}, "unit": {"type": "string", "enum": ["none", "kg"]}},
            "required": ["value", "unit"],
            "additionalProperties": False,
        },
    },
}


class Ticket(BaseModel):
    category: str
    urgent: bool
    tags: list[str]


# -- OpenAI ------------------------------------------------------------------------------------------


async def test_forced_tool_choice_always_calls_the_tool_with_valid_arguments(oai: openai.AsyncOpenAI) -> None:
    """A recognised task (arithmetic) still gets a tool call when the tool is forced (instructor TOOLS)."""
    choice = {"type": "function", "function": {"name": "Answer"}}
    r = await oai.chat.completions.create(model=PERFECT, messages=ARITHMETIC, tools=[ANSWER_TOOL], tool_choice=choice)
    (call,) = r.choices[0].message.tool_calls or []
    assert r.choices[0].finish_reason == "tool_calls" and call.function.name == "Answer"
    args = json.loads(call.function.arguments)
    assert isinstance(args["value"], int) and args["unit"] in ("none", "kg")
    required = await oai.chat.completions.create(
        model=PERFECT, messages=QUESTION, tools=[ANSWER_TOOL], tool_choice="required"
    )
    assert required.choices[0].finish_reason == "tool_calls"


async def test_json_schema_answer_is_json_matching_the_schema(oai: openai.AsyncOpenAI) -> None:
    parsed = await oai.chat.completions.parse(model=PERFECT, messages=QUESTION, response_format=Ticket)
    ticket = parsed.choices[0].message.parsed
    assert isinstance(ticket, Ticket) and isinstance(ticket.tags, list)


async def test_json_object_mode_needs_the_word_json_and_then_answers_an_object(oai: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="must contain the word 'json'"):
        await oai.chat.completions.create(model=PERFECT, messages=QUESTION, response_format={"type": "json_object"})
    messages = [{"role": "system", "content": "Answer in JSON."}, *QUESTION]
    r = await oai.chat.completions.create(model=PERFECT, messages=messages, response_format={"type": "json_object"})
    assert isinstance(json.loads(r.choices[0].message.content or ""), dict)


async def test_n_gives_n_choices_and_their_usage(oai: openai.AsyncOpenAI) -> None:
    one = await oai.chat.completions.create(model=PERFECT, messages=QUESTION)
    three = await oai.chat.completions.create(model=PERFECT, messages=QUESTION, n=3)
    assert [c.index for c in three.choices] == [0, 1, 2]
    assert three.choices[0].message.content == one.choices[0].message.content
    assert three.usage and one.usage and three.usage.prompt_tokens == one.usage.prompt_tokens
    assert three.usage.completion_tokens > one.usage.completion_tokens
    stream = await oai.chat.completions.create(model=PERFECT, messages=QUESTION, n=2, stream=True)
    texts: dict[int, str] = {0: "", 1: ""}
    async for chunk in stream:
        for c in chunk.choices:
            texts[c.index] += c.delta.content or ""
    assert texts[0] == one.choices[0].message.content and texts[1]
    with pytest.raises(openai.BadRequestError, match="Expected a value <= 128"):
        await oai.chat.completions.create(model=PERFECT, messages=QUESTION, n=129)


async def test_logprobs_and_top_logprobs(oai: openai.AsyncOpenAI) -> None:
    r = await oai.chat.completions.create(model=PERFECT, messages=QUESTION, logprobs=True, top_logprobs=3)
    content = r.choices[0].logprobs and r.choices[0].logprobs.content
    assert content and "".join(t.token for t in content) == r.choices[0].message.content
    assert all(t.logprob <= 0 and len(t.top_logprobs) == 3 and t.top_logprobs[0].token == t.token for t in content)
    plain = await oai.chat.completions.create(model=PERFECT, messages=QUESTION)
    assert plain.choices[0].logprobs is None
    with pytest.raises(openai.BadRequestError, match="logprobs"):
        await oai.chat.completions.create(model=PERFECT, messages=QUESTION, top_logprobs=2)


async def test_stop_sequences_end_the_text(oai: openai.AsyncOpenAI) -> None:
    whole = (await oai.chat.completions.create(model=PERFECT, messages=QUESTION)).choices[0].message.content or ""
    word = whole.split()[2]
    r = await oai.chat.completions.create(model=PERFECT, messages=QUESTION, stop=[word])
    assert r.choices[0].message.content == whole[: whole.index(word)] and r.choices[0].finish_reason == "stop"
    with pytest.raises(openai.BadRequestError, match="maximum length 4"):
        await oai.chat.completions.create(model=PERFECT, messages=QUESTION, stop=["a", "b", "c", "d", "e"])


async def test_parallel_tool_calls_unless_disabled(oai: openai.AsyncOpenAI) -> None:
    both = await oai.chat.completions.create(model=PERFECT, messages=TWO_ORDERS, tools=TOOLS)
    calls = both.choices[0].message.tool_calls or []
    assert [json.loads(c.function.arguments)["order_id"] for c in calls] == ["ORD-48213", "ORD-77120"]
    assert len({c.id for c in calls}) == 2
    one = await oai.chat.completions.create(model=PERFECT, messages=TWO_ORDERS, tools=TOOLS, parallel_tool_calls=False)
    assert len(one.choices[0].message.tool_calls or []) == 1


# -- Anthropic ---------------------------------------------------------------------------------------


async def test_anthropic_structured_output_matches_the_schema(claude: anthropic.AsyncAnthropic) -> None:
    parsed = await claude.messages.parse(model=PERFECT, max_tokens=500, messages=QUESTION, output_format=Ticket)
    assert isinstance(parsed.parsed_output, Ticket)


async def test_anthropic_forced_tool_and_thinking(claude: anthropic.AsyncAnthropic) -> None:
    tool = {"name": "Answer", "input_schema": ANSWER_TOOL["function"]["parameters"]}  # type: ignore[index]
    r = await claude.messages.create(
        model=PERFECT, max_tokens=200, messages=ARITHMETIC, tools=[tool], tool_choice={"type": "tool", "name": "Answer"}
    )
    assert r.stop_reason == "tool_use" and r.content[-1].type == "tool_use"
    with pytest.raises(anthropic.BadRequestError, match="forces tool use"):
        await claude.messages.create(
            model=PERFECT,
            max_tokens=4000,
            messages=ARITHMETIC,
            tools=[tool],
            tool_choice={"type": "any"},
            thinking={"type": "enabled", "budget_tokens": 1024},
        )
    with pytest.raises(anthropic.BadRequestError, match=r"greater than `thinking\.budget_tokens`"):
        await claude.messages.create(
            model=PERFECT, max_tokens=1024, messages=ARITHMETIC, thinking={"type": "enabled", "budget_tokens": 1024}
        )
    async with claude.messages.stream(
        model=PERFECT, max_tokens=4000, messages=ARITHMETIC, thinking={"type": "enabled", "budget_tokens": 1024}
    ) as stream:
        final = await stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].signature and final.content[1].text == "391"  # type: ignore[union-attr]


async def test_anthropic_checks_thinking_blocks_sent_back(claude: anthropic.AsyncAnthropic) -> None:
    """As Claude does: a thinking block's signature must match its text, and with thinking on, the
    assistant turn whose tool calls are being answered must open with its thinking block."""
    tools: Any = [{"name": t["function"]["name"], "input_schema": t["function"]["parameters"]} for t in TOOLS]
    thinking: Any = {"type": "enabled", "budget_tokens": 1024}
    first = await claude.messages.create(model=PERFECT, max_tokens=4000, messages=ORDER, tools=tools, thinking=thinking)
    blocks = [b.model_dump(exclude_none=True) for b in first.content]
    assert [b["type"] for b in blocks] == ["thinking", "tool_use"]
    result = {"type": "tool_result", "tool_use_id": blocks[1]["id"], "content": "shipped"}

    def turns(assistant: list[dict[str, Any]]) -> Any:
        return [*ORDER, {"role": "assistant", "content": assistant}, {"role": "user", "content": [result]}]

    answer = await claude.messages.create(
        model=PERFECT, max_tokens=4000, messages=turns(blocks), tools=tools, thinking=thinking
    )
    assert answer.stop_reason == "end_turn"
    with pytest.raises(anthropic.BadRequestError, match=r"messages\.1\.content\.0\.type: Expected `thinking`"):
        await claude.messages.create(
            model=PERFECT, max_tokens=4000, messages=turns(blocks[1:]), tools=tools, thinking=thinking
        )
    tampered = [{**blocks[0], "thinking": blocks[0]["thinking"] + "!"}, blocks[1]]
    with pytest.raises(anthropic.BadRequestError, match="Invalid `signature`"):
        await claude.messages.create(model=PERFECT, max_tokens=4000, messages=turns(tampered), tools=tools)
    without = await claude.messages.create(model=PERFECT, max_tokens=4000, messages=turns(blocks[1:]), tools=tools)
    assert without.stop_reason == "end_turn", "with thinking off, earlier thinking is not required"


async def test_openai_reasoning_effort_is_counted_as_hidden_reasoning_tokens(oai: openai.AsyncOpenAI) -> None:
    plain = await oai.chat.completions.create(model=PERFECT, messages=ARITHMETIC)  # type: ignore[arg-type]
    reasoned = await oai.chat.completions.create(model=PERFECT, messages=ARITHMETIC, reasoning_effort="low")  # type: ignore[arg-type]
    assert plain.usage is not None and reasoned.usage is not None
    assert plain.usage.completion_tokens_details is not None and reasoned.usage.completion_tokens_details is not None
    assert plain.usage.completion_tokens_details.reasoning_tokens == 0
    spent = reasoned.usage.completion_tokens_details.reasoning_tokens or 0
    assert spent > 0 and reasoned.usage.completion_tokens == plain.usage.completion_tokens + spent
    assert reasoned.choices[0].message.content == plain.choices[0].message.content, "the reasoning stays hidden"
    with pytest.raises(openai.BadRequestError, match="Supported values are"):
        await oai.chat.completions.create(model=PERFECT, messages=ARITHMETIC, reasoning_effort="huge")  # type: ignore[arg-type]


async def test_anthropic_stop_sequence(claude: anthropic.AsyncAnthropic) -> None:
    whole = await claude.messages.create(model=PERFECT, max_tokens=500, messages=QUESTION)
    text = whole.content[0].text  # type: ignore[union-attr]
    word = text.split()[2]
    r = await claude.messages.create(model=PERFECT, max_tokens=500, messages=QUESTION, stop_sequences=[word])
    assert (r.stop_reason, r.stop_sequence) == ("stop_sequence", word)
    assert r.content[0].text == text[: text.index(word)]  # type: ignore[union-attr]


# -- the schema value generator ----------------------------------------------------------------------

_LEAF = st.sampled_from(
    [
        {"type": "string"},
        {"type": "integer", "minimum": 3, "maximum": 9},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
        {"enum": ["a", "b"]},
        {"type": "string", "format": "date"},
    ]
)
_SCHEMAS = st.recursive(
    _LEAF,
    lambda inner: st.one_of(
        st.builds(lambda items: {"type": "array", "items": items, "minItems": 1}, inner),
        st.dictionaries(st.text("abcxyz", min_size=1, max_size=4), inner, max_size=4).map(
            lambda props: {"type": "object", "properties": props, "required": list(props)}
        ),
        st.lists(inner, min_size=1, max_size=3).map(lambda options: {"anyOf": options}),
    ),
    max_leaves=12,
)


def _valid(value: Any, schema: dict[str, Any]) -> bool:
    if "enum" in schema:
        return value in schema["enum"]
    if "anyOf" in schema:
        return any(_valid(value, option) for option in schema["anyOf"])
    kind = schema.get("type")
    if kind == "object":
        return isinstance(value, dict) and all(
            k in value and _valid(value[k], s) for k, s in schema["properties"].items()
        )
    if kind == "array":
        return isinstance(value, list) and len(value) >= 1 and all(_valid(v, schema["items"]) for v in value)
    if kind == "integer":
        return isinstance(value, int) and 3 <= value <= 9
    checks = {"string": str, "number": (int, float), "boolean": bool, "null": type(None)}
    return isinstance(value, checks[kind])


@settings(max_examples=200, deadline=None)
@given(_SCHEMAS, st.integers(0, 2**32))
def test_example_values_match_their_schema(schema: dict[str, Any], seed: int) -> None:
    assert _valid(example_value(schema, random.Random(seed)), schema)


def test_a_recursive_schema_ends() -> None:
    node = {"$ref": "#/$defs/Node"}
    schema = {
        "$defs": {"Node": {"type": "object", "properties": {"children": {"type": "array", "items": node}}}},
        **node,
    }
    assert isinstance(example_value(schema, random.Random(1)), dict)


async def test_parallel_tool_calls_without_tools_is_openais_400(oai: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="only allowed when 'tools' are specified"):
        await oai.chat.completions.create(model=PERFECT, messages=QUESTION, parallel_tool_calls=False)


_KEYWORDS = (
    *("type", "properties", "required", "items", "anyOf", "oneOf", "allOf", "$ref", "$defs", "enum", "const"),
    *("minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum", "format"),
)
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(_KEYWORDS),
            inner,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_ANY_JSON, st.integers(0, 2**16))
def test_any_schema_gets_a_bounded_json_value(schema: Any, seed: int) -> None:
    """Hostile schemas (wrong types, huge minimums) still get a small JSON value, never a crash."""
    assert len(orjson.dumps(example_value(schema, random.Random(seed)))) < 5_000_000
