"""Round trips, and stream/whole-response agreement: translating a stream then assembling it
must give what translating the assembled response gives."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.providers.translate import (
    AnthropicStreamToOpenAI,
    OpenAIStreamToAnthropic,
    anthropic_request_to_openai,
    anthropic_response_to_openai,
    openai_request_to_anthropic,
    openai_response_to_anthropic,
)

from ..payloads import ANTHROPIC_MESSAGE, ANTHROPIC_TOOL_MESSAGE, OPENAI_COMPLETION, OPENAI_TOOL_COMPLETION
from .test_request_to_anthropic import ANTHROPIC_TOOL_CONVERSATION, OPENAI_TOOL_CONVERSATION

Json = dict[str, Any]


def test_anthropic_request_survives_a_round_trip() -> None:
    there = anthropic_request_to_openai(ANTHROPIC_TOOL_CONVERSATION)
    assert openai_request_to_anthropic(there) == ANTHROPIC_TOOL_CONVERSATION


def test_openai_request_round_trip_keeps_the_conversation() -> None:
    back = anthropic_request_to_openai(openai_request_to_anthropic(OPENAI_TOOL_CONVERSATION))
    assert [m["role"] for m in back["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
        "user",
    ]
    assert back["messages"][2]["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'},
        },
        {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": '{"tz":"CET"}'}},
    ]
    assert back["tools"][0]["function"] == OPENAI_TOOL_CONVERSATION["tools"][0]["function"]
    assert (back["tool_choice"], back["parallel_tool_calls"], back["stop"]) == (
        "required",
        False,
        ["\n\nHuman:"],
    )


def test_response_round_trips() -> None:
    for message in (ANTHROPIC_MESSAGE, ANTHROPIC_TOOL_MESSAGE):
        back = openai_response_to_anthropic(anthropic_response_to_openai(message, created=0))
        if message is ANTHROPIC_MESSAGE:
            assert back["content"] == message["content"]
        else:  # text blocks merge into one, tool_use blocks survive
            assert back["content"][1:] == message["content"][1:]
        assert (back["id"], back["stop_reason"]) == (message["id"], message["stop_reason"])
    for completion in (OPENAI_COMPLETION, OPENAI_TOOL_COMPLETION):
        again = anthropic_response_to_openai(openai_response_to_anthropic(completion), created=0)
        assert again["usage"]["prompt_tokens"] == completion["usage"]["prompt_tokens"]
        assert again["choices"][0]["finish_reason"] == completion["choices"][0]["finish_reason"]


# ---------------------------------------------------------------- assembling streams (as the SDKs do)


def assemble_openai(chunks: list[Json]) -> Json:
    content: str | None = None
    calls: dict[int, Json] = {}
    finish = usage = None
    for chunk in chunks:
        usage = chunk.get("usage") or usage
        for choice in chunk["choices"]:
            delta = choice["delta"]
            if delta.get("content"):
                content = (content or "") + delta["content"]
            for tc in delta.get("tool_calls") or ():
                call = calls.setdefault(
                    tc["index"], {"id": None, "type": "function", "function": {"name": None, "arguments": ""}}
                )
                call["id"] = tc.get("id") or call["id"]
                call["function"]["name"] = tc.get("function", {}).get("name") or call["function"]["name"]
                call["function"]["arguments"] += tc.get("function", {}).get("arguments") or ""
            finish = choice["finish_reason"] or finish
    message: Json = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return {
        "id": chunks[0]["id"],
        "model": chunks[0]["model"],
        "message": message,
        "finish": finish,
        "usage": usage,
    }


def assemble_anthropic(events: list[Json]) -> Json:
    message = json.loads(json.dumps(events[0]["message"]))
    partial: dict[int, str] = {}
    for event in events[1:]:
        if event["type"] == "content_block_start":
            message["content"].append(dict(event["content_block"]))
        elif event["type"] == "content_block_delta":
            block, delta = message["content"][event["index"]], event["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            else:
                partial[event["index"]] = partial.get(event["index"], "") + delta["partial_json"]
        elif event["type"] == "message_delta":
            message["stop_reason"] = event["delta"]["stop_reason"]
            message["usage"].update({k: v for k, v in event["usage"].items() if v is not None})
    for index, raw in partial.items():
        message["content"][index]["input"] = json.loads(raw)
    return message


# ---------------------------------------------------------------- generated responses

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_args = st.dictionaries(st.text("abcxyz", min_size=1, max_size=5), st.integers() | st.text(max_size=8), max_size=3)
_name = st.from_regex(r"[a-z_]{1,10}", fullmatch=True)


def _pieces(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points) if text[a:b]]


@st.composite
def anthropic_messages(draw: st.DrawFn) -> Json:
    blocks: list[Json] = []
    for i in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            blocks.append({"type": "text", "text": draw(_text)})
        else:
            blocks.append({"type": "tool_use", "id": f"toolu_{i}", "name": draw(_name), "input": draw(_args)})
    usage = {
        k: draw(st.integers(0, 5000))
        for k in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    }
    stop = draw(st.sampled_from(["end_turn", "max_tokens", "stop_sequence", "tool_use", "refusal"]))
    return {
        "id": "msg_x",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage,
    }


def anthropic_stream_of(message: Json, cuts: list[int]) -> list[Json]:
    usage = message["usage"]
    start_usage = {**usage, "output_tokens": 1}
    events: list[Json] = [
        {
            "type": "message_start",
            "message": {**message, "content": [], "stop_reason": None, "usage": start_usage},
        }
    ]
    for i, block in enumerate(message["content"]):
        if block["type"] == "text":
            events.append({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}})
            events += [
                {"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": p}}
                for p in _pieces(block["text"], cuts)
            ]
        else:
            events.append({"type": "content_block_start", "index": i, "content_block": {**block, "input": {}}})
            raw = json.dumps(block["input"])
            events += [
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {"type": "input_json_delta", "partial_json": p},
                }
                for p in _pieces(raw, cuts)
            ]
        events.append({"type": "content_block_stop", "index": i})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        }
    )
    events.append({"type": "message_stop"})
    return events


@settings(max_examples=150)
@given(anthropic_messages(), st.lists(st.integers(0, 200), max_size=6))
def test_anthropic_stream_translation_agrees_with_whole_translation(message: Json, cuts: list[int]) -> None:
    translator = AnthropicStreamToOpenAI(created=5, include_usage=True)
    chunks = [c for e in anthropic_stream_of(message, cuts) for c in translator.feed(e)]
    got = assemble_openai(chunks)
    want = anthropic_response_to_openai(message, created=5)
    choice = want["choices"][0]
    assert (got["id"], got["model"]) == (want["id"], want["model"])
    assert (got["message"]["content"] or None) == (choice["message"]["content"] or None)
    calls = [
        {**c, "function": {**c["function"], "arguments": json.loads(c["function"]["arguments"] or "{}")}}
        for c in got["message"].get("tool_calls", [])
    ]
    want_calls = [
        {**c, "function": {**c["function"], "arguments": json.loads(c["function"]["arguments"])}}
        for c in choice["message"].get("tool_calls", [])
    ]
    assert calls == want_calls
    assert got["finish"] == choice["finish_reason"] and got["usage"] == want["usage"]


@st.composite
def openai_completions(draw: st.DrawFn) -> Json:
    calls = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": draw(_name), "arguments": json.dumps(draw(_args))},
        }
        for i in range(draw(st.integers(0, 3)))
    ]
    message: Json = {"role": "assistant", "content": draw(st.none() | _text)}
    if calls:
        message["tool_calls"] = calls
    prompt, cached = draw(st.integers(0, 5000)), draw(st.integers(0, 5000))
    usage = {
        "prompt_tokens": prompt + cached,
        "completion_tokens": draw(st.integers(0, 900)),
        "prompt_tokens_details": {"cached_tokens": cached},
    }
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    finish = draw(st.sampled_from(["stop", "length", "tool_calls", "content_filter"]))
    return {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-x",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage,
    }


def openai_stream_of(completion: Json, cuts: list[int]) -> list[Json]:
    choice = completion["choices"][0]
    message = choice["message"]

    def chunk(delta: Json, finish: str | None = None) -> Json:
        return {
            "id": completion["id"],
            "object": "chat.completion.chunk",
            "created": 1,
            "model": completion["model"],
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": p}) for p in _pieces(message["content"] or "", cuts)]
    for i, call in enumerate(message.get("tool_calls", [])):
        chunks.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": i,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": call["function"]["name"], "arguments": ""},
                        }
                    ]
                }
            )
        )
        chunks += [
            chunk({"tool_calls": [{"index": i, "function": {"arguments": p}}]})
            for p in _pieces(call["function"]["arguments"], cuts)
        ]
    chunks.append(chunk({}, choice["finish_reason"]))
    chunks.append({**chunk({}), "choices": [], "usage": completion["usage"]})
    return chunks


@settings(max_examples=150)
@given(openai_completions(), st.lists(st.integers(0, 200), max_size=6))
def test_openai_stream_translation_agrees_with_whole_translation(completion: Json, cuts: list[int]) -> None:
    translator = OpenAIStreamToAnthropic()
    events = [e for c in openai_stream_of(completion, cuts) for e in translator.feed(c)] + translator.finish()
    got = assemble_anthropic(events)
    want = openai_response_to_anthropic(completion)
    for key in ("id", "model", "content", "stop_reason", "usage"):
        assert got[key] == want[key], key
