"""Output: OpenAI and Anthropic responses normalised to text and parsed tool calls."""

from __future__ import annotations

from modelswap.evals import Output, ToolCall
from modelswap.evals.output import UNPARSED


def test_openai_text_and_tool_calls() -> None:
    body = {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "1",
                            "type": "function",
                            "function": {"name": "lookup_order", "arguments": '{"order_id": "A1"}'},
                        },
                        {"id": "2", "type": "function", "function": {"name": "get_weather", "arguments": "{bad json"}},
                    ],
                }
            }
        ]
    }
    out = Output.from_openai(body, latency_ms=12.5, cost_usd=0.001)
    assert out.text == ""
    assert out.tool_calls == (
        ToolCall("lookup_order", {"order_id": "A1"}),
        ToolCall("get_weather", {UNPARSED: "{bad json"}),
    )
    assert (out.latency_ms, out.cost_usd, out.raw) == (12.5, 0.001, body)
    name, arguments = out.tool_calls[0]
    assert (name, arguments) == ("lookup_order", {"order_id": "A1"})


def test_openai_content_parts_and_empty_body() -> None:
    body = {"choices": [{"message": {"content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]}}]}
    assert Output.from_openai(body).text == "Hello"
    assert Output.from_openai({}).text == ""


def test_anthropic_blocks() -> None:
    body = {
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "t1", "name": "lookup_order", "input": {"order_id": "A1"}},
        ]
    }
    out = Output.from_response(body, "anthropic")
    assert out.text == "Checking." and out.tool_calls == (ToolCall("lookup_order", {"order_id": "A1"}),)


def test_error_and_storage_form() -> None:
    out = Output.from_error("rate_limited: slow down", latency_ms=3.0)
    assert out.error == "rate_limited: slow down" and out.text == ""
    assert Output(text="hi", tool_calls=(ToolCall("f", {"x": 1}),)).to_dict() == {
        "text": "hi",
        "tool_calls": [{"name": "f", "arguments": {"x": 1}}],
        "latency_ms": None,
        "cost_usd": None,
        "error": None,
    }
