"""Translated streams keep the batches their upstream read them in, so the relay writes each at once."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from modelswap.providers.base import Dialect, Frames, Json
from modelswap.providers.frames import frames_of
from modelswap.providers.responses_translating import ResponsesOverChat
from modelswap.providers.translating import OpenAIOverAnthropic


class Batched:
    """An upstream that replays ``batches`` of events, as read from the wire."""

    name = "batched"
    model = "claude-sonnet-4-5"

    def __init__(self, dialect: Dialect, batches: list[list[Json]]) -> None:
        self.dialect = dialect
        self.batches = batches

    async def complete(self, body: Json) -> Json:
        raise NotImplementedError

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        for batch in self.batches:
            for event in batch:
                yield event

    async def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        for batch in self.batches:
            yield [(None, event) for event in batch]

    async def aclose(self) -> None:
        return None


def _chunk(delta: Json, finish: str | None = None) -> Json:
    return {"id": "c", "model": "gpt-4o", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


async def _batches(source: AsyncIterator[Frames]) -> list[list[Json]]:
    return [[event for _, event in batch] async for batch in source]


async def _events(source: AsyncIterator[Json]) -> list[Json]:
    return [event async for event in source]


def _without_ids(events: list[Any]) -> list[Any]:
    """Events with their random item/response ids blanked (two translations never share them)."""
    text = repr(events)
    return [re.sub(r"(resp|msg|rs|fc)_[0-9a-f]{48}", "id", text)]


async def test_a_responses_stream_leaves_in_the_chat_upstreams_batches() -> None:
    reads = [
        [_chunk({"role": "assistant", "content": ""}), _chunk({"content": "Hel"}), _chunk({"content": "lo"})],
        [_chunk({"content": "!"}), _chunk({}, "stop")],
    ]
    upstream = ResponsesOverChat(Batched("openai", reads))  # type: ignore[arg-type]
    body = {"model": "gpt-4o", "input": "hi", "stream": True}
    batches = await _batches(frames_of(upstream, body))
    assert len(batches) == 3, "one batch per upstream read, then the closing events"
    first, second, closing = batches
    assert [e["type"] for e in first][:2] == ["response.created", "response.in_progress"]
    assert [e.get("delta") for e in first if e["type"] == "response.output_text.delta"] == ["Hel", "lo"]
    assert [e.get("delta") for e in second if e["type"] == "response.output_text.delta"] == ["!"]
    assert closing[-1]["type"] == "response.completed"
    flat = [e for batch in batches for e in batch]
    assert [e["sequence_number"] for e in flat] == list(range(len(flat)))
    assert _without_ids(flat) == _without_ids(await _events(upstream.stream(body))), "the same events as stream()"


async def test_a_chat_stream_from_claude_leaves_in_the_messages_upstreams_batches() -> None:
    reads = [
        [
            {"type": "message_start", "message": {"id": "m", "model": "claude", "usage": {"input_tokens": 3}}},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        ],
        [
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
            {"type": "message_stop"},
        ],
    ]
    upstream = OpenAIOverAnthropic(Batched("anthropic", reads), clock=lambda: 0.0)  # type: ignore[arg-type]
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    batches = await _batches(frames_of(upstream, body))
    assert [[c["choices"][0]["delta"] for c in batch] for batch in batches] == [
        [{"role": "assistant", "content": "", "refusal": None}, {"content": "Hi"}],
        [{}],
    ]
    assert batches[1][0]["choices"][0]["finish_reason"] == "stop"
    assert [c for batch in batches for c in batch] == await _events(upstream.stream(body))
