from __future__ import annotations

from typing import Any

import pytest

from modelswap.providers.translate import (
    TranslationError,
    anthropic_response_to_openai,
    anthropic_usage_to_openai,
    openai_response_to_anthropic,
    openai_usage_to_anthropic,
)

from ..payloads import ANTHROPIC_MESSAGE, ANTHROPIC_TOOL_MESSAGE, OPENAI_COMPLETION, OPENAI_TOOL_COMPLETION


def test_anthropic_text_message_to_completion() -> None:
    assert anthropic_response_to_openai(ANTHROPIC_MESSAGE, created=1700000000) == {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "claude-sonnet-4-20250514",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello! How can I help you today?",
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 11,
            "total_tokens": 23,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    }


def test_anthropic_tool_message_to_completion() -> None:
    out = anthropic_response_to_openai(ANTHROPIC_TOOL_MESSAGE, created=1)
    choice = out["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "I'll check the weather and the time."
    assert choice["message"]["tool_calls"] == [
        {
            "id": "toolu_01A09q90qw90lq917835lq9",
            "type": "function",
            "function": {
                "name": "get_weather",
                "arguments": '{"location":"San Francisco, CA","unit":"celsius"}',
            },
        },
        {
            "id": "toolu_02B",
            "type": "function",
            "function": {"name": "get_time", "arguments": '{"tz":"PST"}'},
        },
    ]
    # 100 uncached + 300 read from cache + 20 written to cache
    assert out["usage"] == {
        "prompt_tokens": 420,
        "completion_tokens": 50,
        "total_tokens": 470,
        "prompt_tokens_details": {"cached_tokens": 300},
    }


@pytest.mark.parametrize(
    ("stop", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
        (None, "stop"),
    ],
)
def test_stop_reason_map(stop: str | None, finish: str) -> None:
    message = {**ANTHROPIC_MESSAGE, "stop_reason": stop}
    assert anthropic_response_to_openai(message, created=0)["choices"][0]["finish_reason"] == finish


def test_thinking_blocks_are_kept_beside_the_reply_and_content_is_never_null_without_tool_calls() -> None:
    blocks = [
        {"type": "thinking", "thinking": "hm", "signature": "s"},
        {"type": "redacted_thinking", "data": "d"},
        {"type": "thinking", "thinking": " ok", "signature": "t"},
    ]
    reply = anthropic_response_to_openai({**ANTHROPIC_MESSAGE, "content": blocks}, created=0)["choices"][0]["message"]
    assert reply["content"] == ""
    assert reply["reasoning_content"] == "hm ok"
    assert reply["thinking_blocks"] == blocks, "each block kept with its signature, to be sent back"
    tool_only = {**ANTHROPIC_TOOL_MESSAGE, "content": ANTHROPIC_TOOL_MESSAGE["content"][1:]}
    assert anthropic_response_to_openai(tool_only, created=0)["choices"][0]["message"]["content"] is None


def test_unknown_block_type_is_refused() -> None:
    message = {**ANTHROPIC_MESSAGE, "content": [{"type": "server_tool_use", "id": "x"}]}
    with pytest.raises(TranslationError, match=r"content\[0\]"):
        anthropic_response_to_openai(message, created=0)


def test_openai_completion_to_anthropic_message() -> None:
    assert openai_response_to_anthropic(OPENAI_COMPLETION) == {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "type": "message",
        "role": "assistant",
        "model": "gpt-4.1-2025-04-14",
        "content": [{"type": "text", "text": "Hello! How can I assist you today?"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 19,
            "output_tokens": 10,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def test_openai_tool_completion_to_anthropic_message() -> None:
    out = openai_response_to_anthropic(OPENAI_TOOL_COMPLETION)
    assert out["stop_reason"] == "tool_use"
    assert out["content"] == [
        {
            "type": "tool_use",
            "id": "call_abc123",
            "name": "get_current_weather",
            "input": {"location": "Boston, MA"},
        },
        {
            "type": "tool_use",
            "id": "call_def456",
            "name": "get_time",
            "input": {"timezone": "America/New_York"},
        },
    ]
    assert out["usage"] == {
        "input_tokens": 18,
        "output_tokens": 17,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 64,
    }


@pytest.mark.parametrize(
    ("finish", "stop"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("content_filter", "refusal"),
    ],
)
def test_finish_reason_map(finish: str, stop: str) -> None:
    completion: dict[str, Any] = {
        **OPENAI_COMPLETION,
        "choices": [{**OPENAI_COMPLETION["choices"][0], "finish_reason": finish}],
    }
    assert openai_response_to_anthropic(completion)["stop_reason"] == stop


def test_openai_refusal_becomes_refusal() -> None:
    msg = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    completion = {**OPENAI_COMPLETION, "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}]}
    out = openai_response_to_anthropic(completion)
    assert out["stop_reason"] == "refusal" and out["content"] == [{"type": "text", "text": "I can't help with that."}]


def test_invalid_tool_arguments_from_the_model_are_refused() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": '{"a": '}}
    completion = {"choices": [{"index": 0, "message": {"role": "assistant", "tool_calls": [call]}}]}
    with pytest.raises(TranslationError, match="not valid JSON"):
        openai_response_to_anthropic(completion)


def test_completion_without_choices_is_refused() -> None:
    with pytest.raises(TranslationError, match="no choices"):
        openai_response_to_anthropic({"choices": []})


def test_usage_round_trip() -> None:
    usage = {
        "input_tokens": 100,
        "output_tokens": 7,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 30,
    }
    assert openai_usage_to_anthropic(anthropic_usage_to_openai(usage)) == usage
    assert anthropic_usage_to_openai(None)["total_tokens"] == 0
