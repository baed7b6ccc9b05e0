from __future__ import annotations

from typing import Any

import pytest

from modelswap.providers.translate import DEFAULT_MAX_TOKENS, TranslationError, openai_request_to_anthropic
from modelswap.providers.translate.request_to_anthropic import requested_n, untranslatable_fields

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {
        "location": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["location"],
}

OPENAI_TOOL_CONVERSATION: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "developer", "content": [{"type": "text", "text": "Answer briefly."}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What's the weather and time in Paris? Here is a photo."},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "get_time", "arguments": '{"tz":"CET"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18°C, cloudy"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "14:05"}]},
        {"role": "assistant", "content": "It is 18°C and 14:05 in Paris."},
        {"role": "user", "content": "Thanks!"},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather",
                "parameters": WEATHER_SCHEMA,
            },
        },
        {"type": "function", "function": {"name": "get_time"}},
    ],
    "tool_choice": "required",
    "parallel_tool_calls": False,
    "max_completion_tokens": 300,
    "temperature": 0.2,
    "top_p": 0.9,
    "stop": "\n\nHuman:",
    "user": "user-42",
    "seed": 7,
    "presence_penalty": 0.5,
    "stream": True,
    "stream_options": {"include_usage": True},
}

ANTHROPIC_TOOL_CONVERSATION: dict[str, Any] = {
    "model": "gpt-4o",
    "max_tokens": 300,
    "system": "You are a helpful assistant.\n\nAnswer briefly.",
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What's the weather and time in Paris? Here is a photo."},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"location": "Paris"}},
                {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {"tz": "CET"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "18°C, cloudy"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "14:05"},
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "It is 18°C and 14:05 in Paris."}]},
        {"role": "user", "content": [{"type": "text", "text": "Thanks!"}]},
    ],
    "temperature": 0.2,
    "top_p": 0.9,
    "stop_sequences": ["\n\nHuman:"],
    "metadata": {"user_id": "user-42"},
    "tools": [
        {"name": "get_weather", "input_schema": WEATHER_SCHEMA, "description": "Current weather"},
        {"name": "get_time", "input_schema": {"type": "object", "properties": {}}},
    ],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
}


def test_known_answer_tool_conversation() -> None:
    assert openai_request_to_anthropic(OPENAI_TOOL_CONVERSATION) == ANTHROPIC_TOOL_CONVERSATION


def test_minimal_request_gets_default_max_tokens() -> None:
    out = openai_request_to_anthropic({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert out == {
        "model": "m",
        "max_tokens": DEFAULT_MAX_TOKENS,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    }


def test_max_tokens_alias_and_temperature_clamp() -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 50, "temperature": 1.7}
    out = openai_request_to_anthropic(body)
    assert (out["max_tokens"], out["temperature"]) == (50, 1.0)


@pytest.mark.parametrize(("effort", "budget"), [("low", 1024), ("medium", 2048), ("high", 4096)])
def test_reasoning_effort_turns_on_thinking_with_room_for_the_answer(effort: str, budget: int) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 500, "temperature": 0.2, "top_p": 0.5}
    out = openai_request_to_anthropic({**body, "reasoning_effort": effort})
    assert out["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert out["max_tokens"] == 500 + budget, "the app's 500 tokens stay the answer's"
    assert "temperature" not in out and "top_p" not in out, "Claude refuses them beside thinking"
    assert "thinking" not in openai_request_to_anthropic({**body, "reasoning_effort": "none"})
    assert openai_request_to_anthropic({**body, "max_tokens": 9000, "reasoning_effort": effort})["max_tokens"] == 9000


def test_reasoning_effort_beside_a_forced_tool_leaves_thinking_off() -> None:
    """Claude refuses thinking with a forced tool; structured output by a forced tool call (LangChain's
    ``with_structured_output``, instructor) on a reasoning model must keep working."""
    tool = {"type": "function", "function": {"name": "Answer", "parameters": {"type": "object"}}}
    body = {"messages": [{"role": "user", "content": "hi"}], "tools": [tool], "reasoning_effort": "low"}
    for choice in ("required", {"type": "function", "function": {"name": "Answer"}}):
        assert "thinking" not in openai_request_to_anthropic({**body, "tool_choice": choice})
    assert openai_request_to_anthropic({**body, "tool_choice": "auto"})["thinking"]["type"] == "enabled"


def test_a_thinking_object_is_sent_as_is() -> None:
    thinking = {"type": "enabled", "budget_tokens": 3000}
    body = {"messages": [{"role": "user", "content": "hi"}], "thinking": thinking, "max_tokens": 8000}
    assert openai_request_to_anthropic(body)["thinking"] == thinking


def test_signed_thinking_blocks_go_back_first_in_their_assistant_turn() -> None:
    signed = {"type": "thinking", "thinking": "Paris, surely.", "signature": "sig=="}
    body = {
        "messages": [
            {"role": "user", "content": "capital?"},
            {
                "role": "assistant",
                "content": "Paris.",
                "reasoning_content": "Paris, surely.",
                "thinking_blocks": [signed, {"type": "thinking", "thinking": "unsigned"}],
            },
            {"role": "user", "content": "sure?"},
        ],
    }
    turn = openai_request_to_anthropic(body)["messages"][1]
    assert turn == {"role": "assistant", "content": [signed, {"type": "text", "text": "Paris."}]}


def test_tool_result_then_user_text_merge_with_results_first() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": ""}}],
            },
            {"role": "user", "content": "also this"},
            {"role": "tool", "tool_call_id": "c", "content": "done"},
        ]
    }
    out = openai_request_to_anthropic(body)
    assert out["messages"][1]["content"] == [{"type": "tool_use", "id": "c", "name": "f", "input": {}}]
    assert out["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "c", "content": "done"},
            {"type": "text", "text": "also this"},
        ],
    }


def test_consecutive_user_messages_merge() -> None:
    body = {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}
    assert openai_request_to_anthropic(body)["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    ]


def test_assistant_prefill_loses_trailing_whitespace() -> None:
    body = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "Sure: "}]}
    assert openai_request_to_anthropic(body)["messages"][-1]["content"] == [{"type": "text", "text": "Sure:"}]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        ({"type": "function", "function": {"name": "f"}}, {"type": "tool", "name": "f"}),
        (None, None),
    ],
)
def test_tool_choice(choice: Any, expected: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "tool_choice": choice,
    }
    assert openai_request_to_anthropic(body).get("tool_choice") == expected


def test_tool_choice_without_tools_is_dropped() -> None:
    body = {"messages": [{"role": "user", "content": "x"}], "tool_choice": "auto"}
    assert "tool_choice" not in openai_request_to_anthropic(body)


def test_http_image_and_pdf_file() -> None:
    content = [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
        {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}},
    ]
    out = openai_request_to_anthropic({"messages": [{"role": "user", "content": content}]})
    assert out["messages"][0]["content"] == [
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
        },
    ]


def test_json_response_formats_become_a_system_note() -> None:
    base = {"messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "x"}]}
    out = openai_request_to_anthropic({**base, "response_format": {"type": "json_object"}})
    assert out["system"].startswith("Be terse.\n\nRespond with a single valid JSON object")
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    out = openai_request_to_anthropic({**base, "response_format": fmt})
    assert '{"type":"object","properties":{"a":{"type":"integer"}}}' in out["system"]
    assert "system" not in openai_request_to_anthropic(
        {"messages": base["messages"][1:], "response_format": {"type": "text"}}
    )


def test_strict_json_schema_becomes_claude_structured_output() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "required": ["a"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "strict": True, "schema": schema}}
    out = openai_request_to_anthropic({"messages": [{"role": "user", "content": "x"}], "response_format": fmt})
    assert out["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert "system" not in out, "no prompt instruction when decoding is constrained"


def test_max_tokens_default_is_the_callers_and_n_is_left_to_the_fan_out() -> None:
    body = {"messages": [{"role": "user", "content": "x"}], "n": 3}
    out = openai_request_to_anthropic(body, default_max_tokens=64000)
    assert out["max_tokens"] == 64000 and "n" not in out
    assert requested_n(body) == 3 and requested_n({}) == 1


def test_safety_identifier_is_the_user_id_before_user() -> None:
    body = {"messages": [{"role": "user", "content": "x"}], "user": "u-1", "safety_identifier": "s-9"}
    assert openai_request_to_anthropic(body)["metadata"] == {"user_id": "s-9"}


def test_untranslatable_fields_lists_what_a_claude_model_cannot_do() -> None:
    assert untranslatable_fields({"logprobs": True, "top_logprobs": 2, "functions": [{}]}) == [
        "logprobs",
        "top_logprobs",
        "functions",
    ]
    assert untranslatable_fields({"logprobs": False, "n": 2, "modalities": ["text"]}) == []


@pytest.mark.parametrize(
    ("patch", "where", "words"),
    [
        ({"n": 0}, "n", "from 1 to 128"),
        ({"n": 129}, "n", "from 1 to 128"),
        ({"logprobs": True}, "logprobs", "log probabilities are not available"),
        ({"top_logprobs": 3}, "top_logprobs", "log probabilities are not available"),
        ({"modalities": ["text", "audio"]}, "modalities", "audio output"),
        ({"max_tokens": 0}, "max_tokens", "positive integer"),
        ({"temperature": "hot"}, "temperature", "number"),
        ({"functions": [{"name": "f"}]}, "functions", "use 'tools'"),
        ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "tools[0].type", "only function tools"),
        (
            {"tool_choice": "sometimes", "tools": [{"type": "function", "function": {"name": "f"}}]},
            "tool_choice",
            "must be",
        ),
        ({"messages": []}, "messages", "at least one"),
        ({"messages": "hi"}, "messages", "expected a list"),
        ({"messages": [{"role": "critic", "content": "x"}]}, "messages[0]", "role 'critic'"),
        (
            {"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]},
            "messages[0].content[0]",
            "input_audio",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}]},
            "messages[0].content[0].image_url.url",
            "data: URL",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "x"},
                    {
                        "role": "assistant",
                        "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{oops"}}],
                    },
                ]
            },
            "messages[1].tool_calls[0].function.arguments",
            "not valid JSON",
        ),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0]", "tool_call_id"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort", "none, minimal, low"),
        ({"thinking": "on"}, "thinking", "must be an object"),
        (
            {"messages": [{"role": "assistant", "content": "x", "thinking_blocks": [{"type": "image"}]}]},
            "messages[0].thinking_blocks[0].type",
            "thinking or redacted_thinking",
        ),
    ],
)
def test_untranslatable_requests_name_the_field(patch: dict[str, Any], where: str, words: str) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], **patch}
    with pytest.raises(TranslationError) as info:
        openai_request_to_anthropic(body)
    assert info.value.where == where and words in str(info.value)
