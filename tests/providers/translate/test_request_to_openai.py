from __future__ import annotations

from typing import Any

import pytest

from modelswap.providers.translate import TranslationError, anthropic_request_to_openai

SCHEMA = {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}

ANTHROPIC_REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-4-20250514",
    "max_tokens": 1024,
    "system": [{"type": "text", "text": "You are a weather bot.", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Weather in SF and NYC? See map."},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Two cities.", "signature": "sig"},
                {"type": "text", "text": "Let me check both."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"location": "SF"}},
                {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"location": "NYC"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "15°C"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_2",
                    "content": [{"type": "text", "text": "service down"}],
                    "is_error": True,
                },
                {"type": "text", "text": "Summarise please."},
            ],
        },
    ],
    "tools": [{"name": "get_weather", "description": "Get the weather", "input_schema": SCHEMA}],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    "temperature": 0.5,
    "top_p": 0.95,
    "top_k": 40,
    "stop_sequences": ["END"],
    "metadata": {"user_id": "u-9"},
    "stream": True,
}

OPENAI_REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-4-20250514",
    "messages": [
        {"role": "system", "content": "You are a weather bot."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Weather in SF and NYC? See map."},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}},
            ],
        },
        {
            "role": "assistant",
            "content": "Let me check both.",
            "tool_calls": [
                {
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"location":"SF"}'},
                },
                {
                    "id": "toolu_2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"location":"NYC"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "15°C"},
        {"role": "tool", "tool_call_id": "toolu_2", "content": "[tool error] service down"},
        {"role": "user", "content": "Summarise please."},
    ],
    "max_completion_tokens": 1024,
    "temperature": 0.5,
    "top_p": 0.95,
    "stop": ["END"],
    "user": "u-9",
    "tools": [
        {
            "type": "function",
            "function": {"name": "get_weather", "parameters": SCHEMA, "description": "Get the weather"},
        }
    ],
    "tool_choice": "auto",
    "parallel_tool_calls": False,
}


def test_known_answer_tool_conversation() -> None:
    assert anthropic_request_to_openai(ANTHROPIC_REQUEST) == OPENAI_REQUEST


def test_string_content_and_string_system() -> None:
    body = {
        "model": "m",
        "max_tokens": 10,
        "system": "Be nice.",
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello"}],
    }
    assert anthropic_request_to_openai(body) == {
        "model": "m",
        "max_completion_tokens": 10,
        "messages": [
            {"role": "system", "content": "Be nice."},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "Hello"},
        ],
    }


def test_assistant_with_only_tool_use_has_null_content() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "x"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}]},
        ]
    }
    msg = anthropic_request_to_openai(body)["messages"][1]
    assert msg["content"] is None and msg["tool_calls"][0]["function"]["arguments"] == "{}"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "f"}, {"type": "function", "function": {"name": "f"}}),
    ],
)
def test_tool_choice(choice: Any, expected: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": "x"}],
        "tools": [{"name": "f", "input_schema": {}}],
        "tool_choice": choice,
    }
    out = anthropic_request_to_openai(body)
    assert out["tool_choice"] == expected and "parallel_tool_calls" not in out


def test_url_image_and_documents() -> None:
    content = [
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
        },
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain doc"}},
    ]
    out = anthropic_request_to_openai({"messages": [{"role": "user", "content": content}]})
    assert out["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {
            "type": "file",
            "file": {"filename": "document.pdf", "file_data": "data:application/pdf;base64,JVBERi0="},
        },
        {"type": "text", "text": "plain doc"},
    ]


@pytest.mark.parametrize(
    ("patch", "where", "words"),
    [
        ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "tools[0]", "server tool"),
        ({"tool_choice": {"type": "maybe"}, "tools": [{"name": "f"}]}, "tool_choice", "must be"),
        ({"messages": [{"role": "system", "content": "x"}]}, "messages[0].role", "role 'system'"),
        (
            {"messages": [{"role": "user", "content": [{"type": "search_result"}]}]},
            "messages[0].content[0]",
            "search_result",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "image"}]}],
                    }
                ]
            },
            "messages[0].content[0].content[0]",
            "only text",
        ),
        ({"mcp_servers": [{"url": "https://x"}]}, "mcp_servers", "MCP"),
    ],
)
def test_untranslatable_requests_name_the_field(patch: dict[str, Any], where: str, words: str) -> None:
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}], **patch}
    with pytest.raises(TranslationError) as info:
        anthropic_request_to_openai(body)
    assert info.value.where == where and words in str(info.value)


def test_structured_output_becomes_a_strict_json_schema() -> None:
    schema = {
        "title": "Order",
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "required": ["id"],
        "additionalProperties": False,
    }
    body = {
        "model": "m",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "x"}],
        "output_config": {"format": {"type": "json_schema", "schema": schema}, "effort": "high"},
    }
    out = anthropic_request_to_openai(body)
    assert out["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Order", "strict": True, "schema": schema},
    }
    assert "reasoning_effort" not in out
    beta = anthropic_request_to_openai(
        {**body, "output_config": None, "output_format": {"type": "json_schema", "schema": {"type": "object"}}}
    )
    strict_empty = {"type": "object", "additionalProperties": False, "required": []}
    assert beta["response_format"]["json_schema"] == {"name": "output", "strict": True, "schema": strict_empty}


@pytest.mark.parametrize("config", [{"format": {"type": "json_object"}}, {"format": {"type": "json_schema"}}, "json"])
def test_malformed_output_config_names_the_field(config: Any) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "output_config": config}
    with pytest.raises(TranslationError) as info:
        anthropic_request_to_openai(body)
    assert info.value.where.startswith("output_config")


def test_untranslatable_fields_lists_what_a_gpt_model_cannot_do() -> None:
    from modelswap.providers.translate.request_to_openai import untranslatable_fields

    server_tool = {"type": "web_search_20250305", "name": "web_search"}
    assert untranslatable_fields({"mcp_servers": [{}], "tools": [server_tool]}) == ["mcp_servers", "tools"]
    assert untranslatable_fields({"tools": [{"name": "f", "input_schema": {}}]}) == []
