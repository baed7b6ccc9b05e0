from __future__ import annotations

import json
from typing import Any

from modelswap.providers.translate import AnthropicStreamToOpenAI, OpenAIStreamToAnthropic

from ..payloads import (
    OPENAI_TEXT_CHUNKS,
    OPENAI_TOOL_CHUNKS,
    anthropic_events_text,
    anthropic_events_tools,
    openai_usage_chunk,
)

Json = dict[str, Any]


def to_openai(events: list[Json], include_usage: bool = False) -> list[Json]:
    tr = AnthropicStreamToOpenAI(created=1700000000, include_usage=include_usage)
    return [chunk for event in events for chunk in tr.feed(event)]


def to_anthropic(chunks: list[Json]) -> list[Json]:
    tr = OpenAIStreamToAnthropic()
    out = [event for chunk in chunks for event in tr.feed(chunk)]
    return out + tr.finish()


def deltas(chunks: list[Json]) -> list[tuple[Json, str | None]]:
    return [(c["choices"][0]["delta"], c["choices"][0]["finish_reason"]) for c in chunks if c["choices"]]


def test_anthropic_text_stream_to_openai_chunks() -> None:
    chunks = to_openai(anthropic_events_text())
    assert chunks[0] == {
        "id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "claude-sonnet-4-20250514",
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": "", "refusal": None},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
    }
    assert deltas(chunks)[1:] == [({"content": "Hello"}, None), ({"content": "!"}, None), ({}, "stop")]


def test_usage_chunk_only_when_asked() -> None:
    assert all("usage" not in c for c in to_openai(anthropic_events_text()))
    chunks = to_openai(anthropic_events_text(), include_usage=True)
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == []
    # 25 uncached + 10 cache reads; output from message_delta (cumulative) wins over message_start
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 35,
        "completion_tokens": 15,
        "total_tokens": 50,
        "prompt_tokens_details": {"cached_tokens": 10},
    }


def test_anthropic_tool_stream_to_openai_tool_call_deltas() -> None:
    got = deltas(to_openai(anthropic_events_tools()))
    assert got[1:] == [
        ({"content": "Checking."}, None),
        (
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            },
            None,
        ),
        ({"tool_calls": [{"index": 0, "function": {"arguments": '{"location": "San Fra'}}]}, None),
        ({"tool_calls": [{"index": 0, "function": {"arguments": 'ncisco, CA"}'}}]}, None),
        (
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "toolu_02",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": ""},
                    }
                ]
            },
            None,
        ),
        ({"tool_calls": [{"index": 1, "function": {"arguments": '{"tz": "PST"}'}}]}, None),
        ({}, "tool_calls"),
    ]


def test_thinking_streams_as_reasoning_content_and_its_signature_as_a_thinking_block() -> None:
    tr = AnthropicStreamToOpenAI(created=0)
    start = {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}
    assert tr.feed(start) == []
    (chunk,) = tr.feed(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "x"}}
    )
    assert chunk["choices"][0]["delta"] == {"reasoning_content": "x"}
    (chunk,) = tr.feed(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "s"}}
    )
    assert chunk["choices"][0]["delta"] == {"thinking_blocks": [{"type": "thinking", "thinking": "", "signature": "s"}]}
    redacted = {"type": "content_block_start", "index": 1, "content_block": {"type": "redacted_thinking", "data": "d"}}
    (chunk,) = tr.feed(redacted)
    assert chunk["choices"][0]["delta"] == {"thinking_blocks": [{"type": "redacted_thinking", "data": "d"}]}


def test_unknown_events_produce_nothing() -> None:
    tr = AnthropicStreamToOpenAI(created=0)
    assert tr.feed({"type": "ping"}) == [] and tr.feed({"type": "brand_new_event"}) == []


def test_openai_text_chunks_to_anthropic_events() -> None:
    events = to_anthropic([*OPENAI_TEXT_CHUNKS, openai_usage_chunk(prompt=9, completion=12, cached=4)])
    assert events == [
        {
            "type": "message_start",
            "message": {
                "id": "chatcmpl-123",
                "type": "message",
                "role": "assistant",
                "model": "gpt-4o-mini",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 0, "output_tokens": 0},
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " there"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {
                "input_tokens": 5,
                "output_tokens": 12,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 4,
            },
        },
        {"type": "message_stop"},
    ]


def test_openai_tool_chunks_to_anthropic_blocks() -> None:
    events = to_anthropic(OPENAI_TOOL_CHUNKS)
    kinds = [(e["type"], e.get("index")) for e in events]
    assert kinds == [
        ("message_start", None),
        ("content_block_start", 0),
        ("content_block_delta", 0),
        ("content_block_delta", 0),
        ("content_block_delta", 0),
        ("content_block_stop", 0),
        ("content_block_start", 1),
        ("content_block_delta", 1),
        ("content_block_stop", 1),
        ("message_delta", None),
        ("message_stop", None),
    ]
    assert events[1]["content_block"] == {
        "type": "tool_use",
        "id": "call_DdmO9pD3xa9XTPNJ32zg2hcA",
        "name": "get_weather",
        "input": {},
    }
    partial = "".join(
        e["delta"]["partial_json"] for e in events if e["type"] == "content_block_delta" and e["index"] == 0
    )
    assert json.loads(partial) == {"location": "Paris"}
    assert events[-2]["delta"]["stop_reason"] == "tool_use"


def test_text_then_tool_call_in_one_stream() -> None:
    chunks = [
        {
            "id": "c",
            "model": "m",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Let me look."}}],
        },
        {
            "id": "c",
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "f", "arguments": '{"a":1}'}}]
                    },
                }
            ],
        },
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    events = to_anthropic(chunks)
    starts = [e["content_block"]["type"] for e in events if e["type"] == "content_block_start"]
    assert starts == ["text", "tool_use"]
    assert [e["index"] for e in events if e["type"] == "content_block_stop"] == [0, 1]


def test_empty_openai_stream_still_makes_a_valid_message() -> None:
    assert [e["type"] for e in to_anthropic([])] == ["message_start", "message_delta", "message_stop"]


def test_a_tool_call_without_arguments_streams_an_empty_object_as_openai_does() -> None:
    events: list[Json] = [
        {"type": "message_start", "message": {"id": "msg_1", "model": "claude", "usage": {"input_tokens": 5}}},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "now", "input": {}},
        },
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": ""}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 3}},
        {"type": "message_stop"},
    ]
    got = deltas(to_openai(events))
    arguments = "".join(
        call["function"].get("arguments") or "" for delta, _ in got for call in delta.get("tool_calls") or ()
    )
    assert arguments == "{}"
    assert json.loads(arguments) == {}
    assert got[-1] == ({}, "tool_calls")


def test_a_tool_call_with_arguments_gets_no_extra_text_at_its_end() -> None:
    chunks = to_openai(anthropic_events_tools())
    args = {0: "", 1: ""}
    for delta, _ in deltas(chunks):
        for call in delta.get("tool_calls") or ():
            args[call["index"]] += call["function"].get("arguments") or ""
    assert json.loads(args[0]) == {"location": "San Francisco, CA"} and json.loads(args[1]) == {"tz": "PST"}
