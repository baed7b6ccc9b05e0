"""Streams through the gateway: frames per dialect, first token, usage, the assembled answer."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
from aiohttp import web

from modelswap.gateway.streaming import DONE, StreamTally, encode_event, error_event, usage_of, without_usage
from modelswap.rollout import flag
from modelswap.sim import ProfileOverride, RunningSim, SimConfig, start_sim
from modelswap.store import Store

from .conftest import (
    CLAUDE_NEW,
    CLAUDE_OLD,
    NEW,
    OLD,
    WORKLOAD,
    ServeVendor,
    StartGateway,
    anthropic_endpoint,
    migration_of,
    openai_endpoint,
)


def chunk(delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_openai_frames_and_done() -> None:
    assert encode_event({"a": 1}, "openai") == b'data: {"a":1}\n\n'
    assert DONE == b"data: [DONE]\n\n"


def test_anthropic_frames_name_the_event() -> None:
    frame = encode_event({"type": "message_stop"}, "anthropic")
    assert frame == b'event: message_stop\ndata: {"type":"message_stop"}\n\n'


def test_error_frames_in_each_shape() -> None:
    openai_frame = error_event("the new model failed", "server", "openai")
    assert orjson.loads(openai_frame.removeprefix(b"data: "))["error"]["message"] == "the new model failed"
    anthropic_frame = error_event("the new model failed", "server", "anthropic")
    assert anthropic_frame.startswith(b"event: error\n")
    assert orjson.loads(anthropic_frame.split(b"data: ")[1])["error"]["type"] == "api_error"


def test_openai_tally_first_token_usage_and_tool_calls() -> None:
    tally = StreamTally(assemble=True)
    assert tally.openai(chunk({"role": "assistant"})) is False, "a role alone is no token"
    assert tally.openai(chunk({"content": "Let me look"})) is True
    assert tally.openai(chunk({"content": " that up."})) is False
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": ""}}
    tally.openai(chunk({"tool_calls": [call]}))
    tally.openai(chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"order_id": '}}]}))
    tally.openai(chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"ORD-1"}'}}]}, "tool_calls"))
    tally.openai(
        {
            "choices": [],
            "usage": {"prompt_tokens": 9, "completion_tokens": 4, "prompt_tokens_details": {"cached_tokens": 2}},
        }
    )
    assert (tally.prompt_tokens, tally.completion_tokens, tally.cached_tokens) == (9, 4, 2)
    assert tally.response() == {
        "content": "Let me look that up.",
        "tool_calls": [{"id": "call_1", "name": "lookup_order", "arguments": '{"order_id": "ORD-1"}'}],
        "finish_reason": "tool_calls",
        "streamed": True,
    }


def test_anthropic_tally_counts_cache_reads_in_the_prompt() -> None:
    tally = StreamTally(assemble=True)
    start = {"input_tokens": 5, "cache_read_input_tokens": 3, "cache_creation_input_tokens": 2, "output_tokens": 1}
    assert tally.anthropic({"type": "message_start", "message": {"usage": start}}) is False
    tally.anthropic({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    assert tally.anthropic({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}})
    tally.anthropic(
        {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f"}}
    )
    tally.anthropic(
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{}"}}
    )
    tally.anthropic({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 7}})
    assert (tally.prompt_tokens, tally.completion_tokens, tally.cached_tokens) == (10, 7, 3)
    assert tally.response()["tool_calls"] == [{"id": "toolu_1", "name": "f", "arguments": "{}"}]
    assert tally.response()["finish_reason"] == "tool_use"


def test_anthropic_tally_takes_the_prompt_from_the_final_usage_when_given() -> None:
    """A translated stream (or today's Messages API) reports input tokens again in message_delta."""
    tally = StreamTally(assemble=False)
    tally.anthropic({"type": "message_start", "message": {"usage": {"input_tokens": 0, "output_tokens": 0}}})
    final = {"input_tokens": 30, "cache_read_input_tokens": 12, "cache_creation_input_tokens": 0, "output_tokens": 9}
    tally.anthropic({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": final})
    assert (tally.prompt_tokens, tally.completion_tokens, tally.cached_tokens) == (42, 9, 12)


def test_estimated_usage_of_a_stream_cut_short() -> None:
    tally = StreamTally(assemble=False)
    tally.openai(chunk({"content": "Hello there, "}))  # 13 characters
    tally.openai(chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":1}'}}]}))  # 7 more
    body = {"messages": [{"role": "user", "content": "x" * 100}]}  # 143 characters of JSON
    assert tally.estimate(body) == (36, 5)
    tally.prompt_tokens = 40  # a reported prompt count wins over the estimate
    assert tally.estimate({})[0] == 40


def test_openai_tally_assembles_the_first_choice_of_several() -> None:
    tally = StreamTally(assemble=True)
    for index, text in ((0, "Hi"), (1, "Yo"), (0, " there"), (1, "!")):
        tally.openai({"choices": [{"index": index, "delta": {"content": text}, "finish_reason": None}]})
    tally.openai({"choices": [{"index": 1, "delta": {}, "finish_reason": "length"}]})
    tally.openai({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    assert tally.response()["content"] == "Hi there" and tally.response()["finish_reason"] == "stop"
    assert tally.out_chars == len("HiYo there!"), "every choice was generated (and billed)"


def test_without_usage_cuts_the_key_from_the_raw_frame_or_re_encodes() -> None:
    event = {"id": "c", "choices": [{"index": 0, "delta": {"content": 'say ,"usage":null'}}], "usage": None}
    compact = encode_event(event, "openai")
    cut = without_usage(compact, event)
    assert json.loads(cut[6:]) == {k: v for k, v in event.items() if k != "usage"}
    spaced = b"data: " + json.dumps(event).encode() + b"\n\n"
    assert json.loads(without_usage(spaced, event)[6:]) == json.loads(cut[6:])
    first = b'data: {"usage":null,"id":"c","choices":[]}\n\n'
    assert json.loads(without_usage(first, {"usage": None, "id": "c", "choices": []})[6:]) == {"id": "c", "choices": []}


def test_tally_without_assembly_keeps_no_text() -> None:
    tally = StreamTally(assemble=False)
    tally.openai(chunk({"content": "secret text"}))
    assert tally.text == [] and tally.first_token


def test_usage_of_complete_bodies() -> None:
    openai_body = {"usage": {"prompt_tokens": 3, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": 1}}}
    assert usage_of(openai_body, "openai") == (3, 2, 1)
    assert usage_of({}, "openai") == (None, None, None)
    anthropic_body = {"usage": {"input_tokens": 4, "output_tokens": 6, "cache_read_input_tokens": 2}}
    assert usage_of(anthropic_body, "anthropic") == (6, 6, 2)
    assert usage_of({}, "anthropic")[:2] == (None, None)


# -- through the gateway, on the wire ------------------------------------------------------------------


@pytest.fixture
async def slow_sim() -> AsyncIterator[RunningSim]:
    """A simulator whose old model streams about 50 tokens a second."""
    slow = ProfileOverride(quality=1.0, tokens_per_s=50, ttft_p50_ms=1, ttft_p95_ms=2, error_rate=0, rate_limit_rate=0)
    running = await start_sim(SimConfig(time_scale=1.0, error_scale=0.0, models={OLD: slow}))
    yield running
    await running.stop()


async def test_a_client_that_goes_away_stops_the_stream(
    start_gateway: StartGateway, tmp_path: Path, slow_sim: RunningSim, store: Store
) -> None:
    migration = migration_of(tmp_path, openai_endpoint(slow_sim, OLD), openai_endpoint(slow_sim, NEW))
    flag.set_stage(store, WORKLOAD, "split", 0, "test", "old only")
    gw = await start_gateway(migration)
    ask = {"model": OLD, "messages": [{"role": "user", "content": "How do I export my projects?"}], "stream": True}
    started = time.monotonic()
    async with (
        httpx.AsyncClient(base_url=gw.base_url) as client,
        client.stream("POST", "/v1/chat/completions", json=ask) as r,
    ):
        assert r.status_code == 200
        async for _ in r.aiter_raw():
            break  # the app gives up after the first bytes
    await gw.settle(requests=1, timeout=1.0)
    (row,) = gw.requests()
    assert (row.status, row.error_kind) == (499, "client_closed")
    assert time.monotonic() - started < 1.0, "the gateway stopped reading a stream nobody receives"
    assert row.tokens_estimated, "the vendor never reported usage: what was consumed is an estimate, flagged"
    assert row.prompt_tokens is not None and row.prompt_tokens >= len(orjson.dumps(ask)) // 4
    assert row.completion_tokens is not None and row.cost_usd is not None and row.cost_usd > 0


# -- same dialect: the upstream's frames are relayed as they came ----------------------------------------


def _raw_chunk(delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
    return {"id": "c1", "object": "chat.completion.chunk", "model": OLD, **chunk(delta, finish)}


_RAW_CHUNKS = [_raw_chunk({"role": "assistant"}), _raw_chunk({"content": "Héllo"}), _raw_chunk({}, "stop")]
_RAW_USAGE = {"id": "c1", "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}}


def _spaced_frame(obj: object) -> bytes:
    """A frame with JSON spacing orjson would not produce, so a re-encoded frame would differ."""
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


@pytest.fixture
async def raw_vendor(serve_vendor: ServeVendor) -> str:
    """An OpenAI-style vendor streaming fixed frames, one write each (usage only when asked)."""

    async def answer(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for chunk in _RAW_CHUNKS:
            await response.write(_spaced_frame(chunk))
        if (body.get("stream_options") or {}).get("include_usage"):
            await response.write(_spaced_frame(_RAW_USAGE))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", answer)
    return await serve_vendor(app) + "/v1"


@pytest.mark.parametrize("client_wants_usage", [False, True])
async def test_same_dialect_streams_are_relayed_byte_for_byte(
    start_gateway: StartGateway, tmp_path: Path, raw_vendor: str, store: Store, client_wants_usage: bool
) -> None:
    migration = migration_of(tmp_path, openai_endpoint(raw_vendor, OLD), openai_endpoint(raw_vendor, NEW))
    flag.set_stage(store, WORKLOAD, "split", 0, "test", "old only")
    gw = await start_gateway(migration)
    ask: dict[str, object] = {"model": OLD, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    if client_wants_usage:
        ask["stream_options"] = {"include_usage": True}
    async with (
        httpx.AsyncClient(base_url=gw.base_url) as client,
        client.stream("POST", "/v1/chat/completions", json=ask) as r,
    ):
        assert r.status_code == 200
        received = b"".join([piece async for piece in r.aiter_raw()])
    expected = b"".join(_spaced_frame(c) for c in _RAW_CHUNKS)
    if client_wants_usage:
        expected += _spaced_frame(_RAW_USAGE)
    assert received == expected + DONE, "frames pass through unchanged; the usage chunk only when asked for"
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert (row.status, row.prompt_tokens, row.completion_tokens) == (200, 7, 2)
    assert row.ttft_ms is not None


_CLAUDE_EVENTS: list[dict[str, object]] = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": CLAUDE_OLD,
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": 9, "output_tokens": 1},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Héllo"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 3}},
    {"type": "message_stop"},
]


def _claude_frame(event: dict[str, object]) -> bytes:
    return f"event: {event['type']}\n".encode() + _spaced_frame(event)


async def test_anthropic_streams_are_relayed_byte_for_byte(
    start_gateway: StartGateway, tmp_path: Path, store: Store, serve_vendor: ServeVendor
) -> None:
    async def answer(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for event in _CLAUDE_EVENTS:
            await response.write(_claude_frame(event))
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/v1/messages", answer)
    url = await serve_vendor(app)
    migration = migration_of(tmp_path, anthropic_endpoint(url, CLAUDE_OLD), anthropic_endpoint(url, CLAUDE_NEW))
    flag.set_stage(store, WORKLOAD, "split", 0, "test", "old only")
    gw = await start_gateway(migration)
    ask = {"model": CLAUDE_OLD, "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    async with (
        httpx.AsyncClient(base_url=gw.base_url) as client,
        client.stream("POST", "/v1/messages", json=ask, headers={"anthropic-version": "2023-06-01"}) as r,
    ):
        assert r.status_code == 200
        received = b"".join([piece async for piece in r.aiter_raw()])
    assert received == b"".join(_claude_frame(e) for e in _CLAUDE_EVENTS), "frames pass through unchanged"
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert (row.status, row.prompt_tokens, row.completion_tokens) == (200, 9, 3)
