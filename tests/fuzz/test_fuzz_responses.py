"""Hostile Responses API requests: the validator refuses with a 400/404 naming the field, the
translation refuses with a ``TranslationError``, and neither ever fails another way; the stream
translation numbers its events and always ends with the whole response."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelswap.gateway.errors import ClientError
from modelswap.gateway.validate_responses import check_responses_body
from modelswap.providers.translate import TranslationError
from modelswap.providers.translate.responses_request import chat_request_to_responses, responses_request_to_chat
from modelswap.providers.translate.responses_response import chat_completion_to_response, response_to_chat_completion
from modelswap.providers.translate.responses_stream import ChatStreamToResponses, ResponsesStreamToChat

MODELS = frozenset({"gpt-4o", "gpt-5"})
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _pick(*options: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(options) | json_values


parts = st.fixed_dictionaries(
    {"type": _pick("input_text", "output_text", "input_image", "input_file", "refusal")},
    optional={"text": _pick("hi"), "image_url": _pick("https://x.example/a.png"), "file_data": _pick("data:,x")},
)
items = st.fixed_dictionaries(
    {},
    optional={
        "type": _pick("message", "function_call", "function_call_output", "reasoning", "item_reference"),
        "role": _pick("user", "assistant", "system", "developer", "tool"),
        "content": st.text(max_size=8) | st.lists(parts, max_size=3) | json_values,
        "call_id": _pick("call_1"),
        "name": _pick("lookup_order"),
        "arguments": _pick("{}", '{"a": 1}'),
        "output": _pick("ok"),
        "summary": json_values,
    },
)
tools = st.fixed_dictionaries(
    {"type": _pick("function", "web_search", "file_search")},
    optional={"name": _pick("lookup_order", ""), "parameters": _pick({"type": "object"}), "strict": json_values},
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "model": _pick("gpt-4o", "gpt-unknown"),
        "input": st.text(max_size=10) | st.lists(items, max_size=4) | json_values,
        "instructions": _pick("be brief"),
        "stream": json_values,
        "store": json_values,
        "max_output_tokens": _pick(1, 16, 4096),
        "temperature": _pick(0.5, 3),
        "tools": st.lists(tools, max_size=3) | json_values,
        "tool_choice": _pick("auto", "required", {"type": "function", "name": "lookup_order"}),
        "text": _pick({"format": {"type": "json_schema", "name": "x", "schema": {}}}, {"format": {"type": "text"}}),
        "reasoning": _pick({"effort": "low"}),
        "metadata": json_values,
        "background": json_values,
        "previous_response_id": _pick("resp_1"),
    },
)


@FUZZ
@given(bodies)
def test_validator_and_translation_refuse_cleanly(body: dict[str, Any]) -> None:
    try:
        check_responses_body(body, MODELS)
    except ClientError as exc:
        assert exc.status in (400, 404) and exc.message
        return
    try:
        chat = responses_request_to_chat(body)
    except TranslationError as exc:
        assert str(exc)
        return
    assert any(m["role"] not in ("system",) for m in chat["messages"])
    try:
        back = chat_request_to_responses(chat)
    except TranslationError:
        return
    assert isinstance(back["input"], list) and back["store"] is False


deltas = st.fixed_dictionaries(
    {},
    optional={
        "content": st.text(max_size=6) | st.none(),
        "reasoning_content": st.text(max_size=6),
        "tool_calls": st.lists(
            st.fixed_dictionaries(
                {"index": st.integers(0, 2)},
                optional={
                    "id": st.text(max_size=4),
                    "function": st.fixed_dictionaries(
                        {}, optional={"name": st.text(max_size=4), "arguments": st.text(max_size=6)}
                    ),
                },
            ),
            max_size=2,
        ),
    },
)
chunks = st.lists(
    st.fixed_dictionaries(
        {
            "choices": st.lists(
                st.fixed_dictionaries(
                    {"delta": deltas}, optional={"finish_reason": _pick("stop", "length", "tool_calls")}
                ),
                max_size=1,
            )
        },
        optional={
            "usage": st.fixed_dictionaries(
                {"prompt_tokens": st.integers(0, 99), "completion_tokens": st.integers(0, 99)}
            )
        },
    ),
    max_size=8,
)


@FUZZ
@given(chunks)
def test_stream_translation_numbers_events_and_ends_with_the_whole_response(feed: list[dict[str, Any]]) -> None:
    translator = ChatStreamToResponses({"model": "gpt-4o", "input": "hi"}, response_id="resp_x", created=1)
    events = [event for chunk in feed for event in translator.feed(chunk)] + translator.finish()
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[0]["type"] == "response.created" and events[-1]["type"] in (
        "response.completed",
        "response.incomplete",
    )
    final = events[-1]["response"]
    added = [e["output_index"] for e in events if e["type"] == "response.output_item.added"]
    done = [e["output_index"] for e in events if e["type"] == "response.output_item.done"]
    assert added == done == list(range(len(final["output"])))
    assert all(item["type"] != "function_call" or item["arguments"] for item in final["output"])

    back = ResponsesStreamToChat(include_usage=True)
    chat = [c for e in events for c in back.feed(e)]
    assert [c["choices"][0]["finish_reason"] for c in chat if c["choices"] and c["choices"][0]["finish_reason"]]
    assert response_to_chat_completion(final)["choices"][0]["message"]["role"] == "assistant"


@FUZZ
@given(
    st.fixed_dictionaries(
        {"choices": st.lists(st.fixed_dictionaries({"message": json_values}), min_size=0, max_size=2)}
    )
)
def test_completion_translation_refuses_cleanly(completion: dict[str, Any]) -> None:
    try:
        response = chat_completion_to_response(completion, {"input": "hi"}, response_id="resp_x", created=1)
    except TranslationError:
        return
    assert response["output"] and response["status"] in ("completed", "incomplete")


events = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                [
                    "response.created",
                    "response.output_text.delta",
                    "response.output_item.added",
                    "response.function_call_arguments.delta",
                    "response.function_call_arguments.done",
                    "response.completed",
                    "response.incomplete",
                ]
            )
        },
        optional={
            "response": json_values,
            "item": json_values,
            "delta": json_values,
            "item_id": json_values,
            "arguments": json_values,
        },
    ),
    max_size=8,
)


@FUZZ
@given(events, json_values)
def test_a_responses_upstreams_odd_events_and_responses_never_crash_the_translation(
    feed: list[dict[str, Any]], output: Any
) -> None:
    back = ResponsesStreamToChat(include_usage=True)
    for event in feed:
        assert all("choices" in chunk for chunk in back.feed(event))
    for status in ("completed", "incomplete", "failed"):
        with contextlib.suppress(TranslationError):
            response_to_chat_completion(
                {"status": status, "output": output, "incomplete_details": output, "error": output}
            )
