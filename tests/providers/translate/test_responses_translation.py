"""Responses API ⇄ chat completions: requests, whole responses and streams, with plain values."""

from __future__ import annotations

from typing import Any

import pytest

from modelswap.providers.translate import TranslationError
from modelswap.providers.translate.responses_request import chat_request_to_responses, responses_request_to_chat
from modelswap.providers.translate.responses_response import chat_completion_to_response, response_to_chat_completion
from modelswap.providers.translate.responses_stream import ChatStreamToResponses, ResponsesStreamToChat

TOOL = {"type": "function", "name": "lookup_order", "parameters": {"type": "object"}, "strict": True}
CHAT_TOOL = {"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object"}, "strict": True}}
USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 5,
    "total_tokens": 17,
    "prompt_tokens_details": {"cached_tokens": 4},
    "completion_tokens_details": {"reasoning_tokens": 2},
}


def test_a_responses_request_becomes_a_chat_request() -> None:
    body = {
        "model": "gpt-5",
        "instructions": "Be brief.",
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Where is "},
                    {"type": "input_image", "image_url": "https://x/a.png"},
                ],
            },
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Looking."}]},
            {"type": "function_call", "call_id": "call_1", "name": "lookup_order", "arguments": '{"order_id":"1"}'},
            {"type": "function_call", "call_id": "call_2", "name": "lookup_order", "arguments": ""},
            {"type": "function_call_output", "call_id": "call_1", "output": "shipped"},
        ],
        "tools": [TOOL],
        "tool_choice": {"type": "function", "name": "lookup_order"},
        "text": {"format": {"type": "json_schema", "name": "Order", "schema": {"type": "object"}, "strict": True}},
        "max_output_tokens": 300,
        "reasoning": {"effort": "low"},
        "previous_response_id": "resp_0",
        "store": True,
        "stream": True,
    }
    chat = responses_request_to_chat(body)
    assert chat["messages"] == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Where is "},
                {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "auto"}},
            ],
        },
        {
            "role": "assistant",
            "content": "Looking.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "lookup_order", "arguments": '{"order_id":"1"}'},
                },
                {"id": "call_2", "type": "function", "function": {"name": "lookup_order", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "shipped"},
    ]
    assert chat["tools"] == [CHAT_TOOL]
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "lookup_order"}}
    assert chat["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Order", "schema": {"type": "object"}, "strict": True},
    }
    assert (chat["max_completion_tokens"], chat["reasoning_effort"], chat["stream"]) == (300, "low", True)
    assert "previous_response_id" not in chat and "store" not in chat


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"input": "hi", "tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type"),
        ({"input": "hi", "background": True}, "background"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file_1"}]}]},
            "input[0].content[0]",
        ),
        ({"input": [{"type": "reasoning", "summary": []}]}, "input"),
    ],
)
def test_what_chat_completions_cannot_take_is_refused_naming_the_field(body: dict[str, Any], where: str) -> None:
    with pytest.raises(TranslationError) as caught:
        responses_request_to_chat({"model": "gpt-5", **body})
    assert caught.value.where == where


def test_a_chat_request_becomes_a_responses_request() -> None:
    chat = {
        "model": "gpt-5",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Where?"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "shipped"},
        ],
        "tools": [{"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object"}}}],
        "response_format": {"type": "json_object"},
        "max_tokens": 100,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    body = chat_request_to_responses(chat)
    assert body["input"] == [
        {"type": "message", "role": "system", "content": "Be brief."},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Where?"}]},
        {"type": "function_call", "call_id": "call_1", "name": "lookup_order", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "shipped"},
    ]
    assert body["tools"] == [
        {"type": "function", "name": "lookup_order", "parameters": {"type": "object"}, "strict": False}
    ]
    assert (body["max_output_tokens"], body["store"], body["stream"], body["text"]) == (
        100,
        False,
        True,
        {"format": {"type": "json_object"}},
    )
    for field, value in (("stop", ["\n"]), ("n", 2), ("logprobs", True)):
        with pytest.raises(TranslationError, match=field):
            chat_request_to_responses({**chat, field: value})


def _completion(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 5,
        "model": "gpt-5",
        "usage": USAGE,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    }


def test_a_completion_becomes_a_response_and_back() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": '{"order_id":"1"}'}}
    completion = _completion({"role": "assistant", "content": "Let me look.", "tool_calls": [call]}, "tool_calls")
    request = {
        "model": "gpt-4o",
        "input": "hi",
        "instructions": "Be brief.",
        "previous_response_id": "resp_0",
        "store": False,
    }
    response = chat_completion_to_response(completion, request, response_id="resp_1", created=7)
    assert (response["id"], response["status"], response["model"], response["created_at"]) == (
        "resp_1",
        "completed",
        "gpt-5",
        7,
    )
    assert (response["instructions"], response["previous_response_id"], response["store"]) == (
        "Be brief.",
        "resp_0",
        False,
    )
    message, function_call = response["output"]
    assert message["content"][0]["text"] == "Let me look."
    assert (function_call["call_id"], function_call["name"], function_call["arguments"]) == (
        "call_1",
        "lookup_order",
        '{"order_id":"1"}',
    )
    assert response["usage"] == {
        "input_tokens": 12,
        "input_tokens_details": {"cached_tokens": 4},
        "output_tokens": 5,
        "output_tokens_details": {"reasoning_tokens": 2},
        "total_tokens": 17,
    }

    back = response_to_chat_completion(response)
    assert back["choices"][0]["message"]["content"] == "Let me look."
    assert back["choices"][0]["message"]["tool_calls"] == [call]
    assert back["choices"][0]["finish_reason"] == "tool_calls"
    assert back["usage"]["prompt_tokens_details"] == {"cached_tokens": 4}


def test_a_completion_cut_at_the_limit_is_an_incomplete_response() -> None:
    response = chat_completion_to_response(
        _completion({"role": "assistant", "content": "Half"}, "length"), {}, response_id="r", created=1
    )
    assert response["status"] == "incomplete" and response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response_to_chat_completion(response)["choices"][0]["finish_reason"] == "length"
    with pytest.raises(TranslationError):
        response_to_chat_completion({"status": "failed", "error": {"message": "boom"}, "output": []})


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "c", "model": "gpt-5", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_a_chat_stream_becomes_the_responses_event_sequence_and_back() -> None:
    chunks = [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"content": "Let me "}),
        _chunk({"content": "look."}),
        _chunk({"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "lookup_order", "arguments": ""}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"order_id":'}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"1"}'}}]}),
        _chunk({"tool_calls": [{"index": 1, "id": "call_2", "function": {"name": "ping", "arguments": ""}}]}),
        _chunk({}, "tool_calls"),
        {"id": "c", "model": "gpt-5", "choices": [], "usage": USAGE},
    ]
    translator = ChatStreamToResponses({"model": "gpt-4o", "input": "hi"}, response_id="resp_1", created=3)
    events = [e for c in chunks for e in translator.feed(c)] + translator.finish()
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",  # a call without arguments: "{}", as OpenAI sends it
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    final = events[-1]["response"]
    assert [item["type"] for item in final["output"]] == ["message", "function_call", "function_call"]
    assert final["output"][1]["arguments"] == '{"order_id":"1"}' and final["output"][2]["arguments"] == "{}"
    assert final["usage"]["output_tokens"] == 5 and final["model"] == "gpt-5"

    back = ResponsesStreamToChat(include_usage=True)
    out = [c for e in events for c in back.feed(e)]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in out if c["choices"])
    args = [
        "".join(
            d["function"].get("arguments") or ""
            for c in out
            if c["choices"]
            for d in c["choices"][0]["delta"].get("tool_calls") or ()
            if d["index"] == i
        )
        for i in (0, 1)
    ]
    assert text == "Let me look." and args == ['{"order_id":"1"}', "{}"]
    assert out[-2]["choices"][0]["finish_reason"] == "tool_calls" and out[-1]["usage"]["completion_tokens"] == 5


def test_an_empty_stream_still_answers_one_empty_message() -> None:
    translator = ChatStreamToResponses({}, response_id="resp_1", created=3)
    events = translator.finish()
    assert events[-1]["type"] == "response.completed"
    (item,) = events[-1]["response"]["output"]
    assert item["type"] == "message" and item["content"][0]["text"] == ""


SIGNED = [
    {"type": "thinking", "thinking": "Order 1? Look it up.", "signature": "sig-1"},
    {"type": "redacted_thinking", "data": "opaque"},
    {"type": "thinking", "thinking": "Then answer.", "signature": "sig-2"},
]


def test_claudes_signed_thinking_becomes_reasoning_items_with_encrypted_content() -> None:
    message = {"role": "assistant", "content": "Done.", "reasoning_content": "x", "thinking_blocks": SIGNED}
    response = chat_completion_to_response(_completion(message, "stop"), {}, response_id="r", created=1)
    first, second, answer = response["output"]
    assert [first["type"], second["type"], answer["type"]] == ["reasoning", "reasoning", "message"]
    assert first["summary"] == [{"type": "summary_text", "text": "Order 1? Look it up."}]
    assert (first["encrypted_content"], second["encrypted_content"]) == ("sig-1", "sig-2")
    plain = chat_completion_to_response(
        _completion({"role": "assistant", "content": "Done.", "reasoning_content": "hm"}, "stop"),
        {},
        response_id="r",
        created=1,
    )
    assert plain["output"][0]["summary"][0]["text"] == "hm" and "encrypted_content" not in plain["output"][0]


def test_reasoning_items_in_input_go_back_to_a_claude_model_as_signed_thinking_blocks() -> None:
    body = {
        "input": [
            {"role": "user", "content": "where is order 1?"},
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "Look."}],
                "encrypted_content": "sig-1",
            },
            {"type": "function_call", "call_id": "call_1", "name": "lookup_order", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "shipped"},
            {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "sig-2"},
            {"type": "reasoning", "id": "rs_3", "summary": [{"type": "summary_text", "text": "no signature"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Shipped."}]},
            {"role": "user", "content": "thanks"},
        ]
    }
    messages = responses_request_to_chat(body, thinking=True)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant", "user"]
    assert messages[1]["thinking_blocks"] == [{"type": "thinking", "thinking": "Look.", "signature": "sig-1"}]
    assert messages[1]["tool_calls"][0]["id"] == "call_1"
    assert messages[3] == {
        "role": "assistant",
        "content": "Shipped.",
        "thinking_blocks": [{"type": "thinking", "thinking": "", "signature": "sig-2"}],
    }
    plain = responses_request_to_chat(body)["messages"]
    assert not any("thinking_blocks" in m for m in plain), "a chat model is never sent Claude's blocks"
    trailing = {
        "input": [{"role": "user", "content": "hi"}, {"type": "reasoning", "summary": [], "encrypted_content": "s"}]
    }
    assert responses_request_to_chat(trailing, thinking=True)["messages"] == [{"role": "user", "content": "hi"}]


def test_a_streamed_thinking_block_is_a_reasoning_item_closed_by_its_signature() -> None:
    chunks = [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"reasoning_content": "Look "}),
        _chunk({"reasoning_content": "it up."}),
        _chunk({"thinking_blocks": [{"type": "thinking", "thinking": "", "signature": "sig-1"}]}),
        _chunk({"reasoning_content": "Answer."}),
        _chunk({"thinking_blocks": [{"type": "thinking", "thinking": "", "signature": "sig-2"}]}),
        _chunk({"content": "Shipped."}),
        _chunk({}, "stop"),
    ]
    translator = ChatStreamToResponses({}, response_id="resp_1", created=3)
    events = [e for c in chunks for e in translator.feed(c)] + translator.finish()
    kinds = [e["type"] for e in events]
    assert kinds[2:9] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [(d["type"], d.get("encrypted_content")) for d in done] == [
        ("reasoning", "sig-1"),
        ("reasoning", "sig-2"),
        ("message", None),
    ]
    assert done[0]["summary"][0]["text"] == "Look it up." and done[1]["summary"][0]["text"] == "Answer."
    assert events[-1]["response"]["output"] == done
