"""CPU of a translated Responses stream (a Responses app answered by a chat model) per stream.

A recorded chat stream (``--tokens`` content chunks, then the finish and usage chunks) is fed
through ``ResponsesOverChat`` and relayed as the gateway relays it (tally each event, encode it,
one ``send`` per batch). Two ways side by side, in the same run:

- ``event by event``: each translated event is its own batch and its own write (modelswap before
  translated streams kept the upstream's batches);
- ``batched``: the events translated from one upstream read leave as one batch and one write
  (``stream_frames`` on the translators).

The upstream hands over ``--per-read`` chunks per read (1: a slow model, tokens one by one; 16: a
fast one, or a busy gateway reading several at once). ``--profile`` prints cProfile's top entries.

    .venv/bin/python bench/translated_stream.py [--streams 2000] [--tokens 200] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from modelswap.gateway.streaming import StreamTally, encode_event
from modelswap.providers.base import Dialect, Frames, Json
from modelswap.providers.frames import frames_of

try:
    from modelswap.providers.frames import one_by_one
except ImportError:  # before translated streams kept their batches
    from modelswap.providers.frames import _one_by_one as one_by_one  # type: ignore[attr-defined,no-redef]
from modelswap.providers.responses_translating import ResponsesOverChat


def recorded_stream(tokens: int) -> list[Json]:
    """A chat model's stream of ``tokens`` content chunks, as OpenAI sends it."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}

    def chunk(delta: Json, finish: str | None = None) -> Json:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": f" word{i}"}) for i in range(tokens)]
    chunks.append(chunk({}, "stop"))
    usage = {"prompt_tokens": 20, "completion_tokens": tokens, "total_tokens": tokens + 20}
    chunks.append({**base, "choices": [], "usage": usage})
    return chunks


class RecordedChat:
    """A chat upstream that replays ``chunks`` with their frames, ``per_read`` to a batch."""

    dialect: Dialect = "openai"
    name = "recorded"
    model = "gpt-4o"

    def __init__(self, chunks: list[Json], per_read: int) -> None:
        framed = [(b"data: " + orjson.dumps(c) + b"\n\n", c) for c in chunks]
        self.batches: list[Frames] = [framed[i : i + per_read] for i in range(0, len(framed), per_read)]

    async def complete(self, body: Json) -> Json:
        raise NotImplementedError

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        for batch in self.batches:
            for _, event in batch:
                yield event

    async def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        for batch in self.batches:
            yield batch

    async def aclose(self) -> None:
        return None


async def relay(batches: AsyncIterator[Frames]) -> int:
    """What ``stream_relay.relay`` does per batch; returns the number of writes."""
    tally = StreamTally(assemble=False)
    writes = 0
    async for batch in batches:
        frames = []
        for raw, event in batch:
            tally.responses(event)
            frames.append(encode_event(event, "responses") if raw is None else raw)
        await _send(frames[0] if len(frames) == 1 else b"".join(frames))
        writes += 1
    return writes


async def _send(chunk: bytes) -> None:
    return None


Way = Callable[[ResponsesOverChat, Json], AsyncIterator[Frames]]
WAYS: dict[str, Way] = {
    "event by event": lambda upstream, body: one_by_one(upstream.stream(body)),
    "batched": lambda upstream, body: frames_of(upstream, body),
}


async def measure(way: Way, per_read: int, tokens: int, streams: int) -> dict[str, Any]:
    upstream = ResponsesOverChat(RecordedChat(recorded_stream(tokens), per_read))  # type: ignore[arg-type]
    body = {"model": "gpt-4o", "input": "hi", "stream": True}
    writes = await relay(way(upstream, body))  # warm-up
    started = time.process_time()
    for _ in range(streams):
        await relay(way(upstream, body))
    cpu = time.process_time() - started
    return {"cpu_us_per_stream": round(cpu / streams * 1e6, 1), "writes_per_stream": writes}


async def run(streams: int, tokens: int) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for per_read in (1, 16):
        for name, way in WAYS.items():
            rows[f"{name}, {per_read} chunk(s) a read"] = await measure(way, per_read, tokens, streams)
        before = rows[f"event by event, {per_read} chunk(s) a read"]["cpu_us_per_stream"]
        after = rows[f"batched, {per_read} chunk(s) a read"]["cpu_us_per_stream"]
        rows[f"batched, {per_read} chunk(s) a read"]["vs_event_by_event"] = round(after / before, 3)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top 25 (batched, 16 a read)")
    args = parser.parse_args()
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        asyncio.run(measure(WAYS["batched"], 16, args.tokens, args.streams))
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    rows = asyncio.run(run(args.streams, args.tokens))
    print(f"{'way':<34} {'CPU µs / stream':>16} {'writes / stream':>16} {'vs event by event':>18}")
    for name, row in rows.items():
        ratio = row.get("vs_event_by_event", "")
        print(f"{name:<34} {row['cpu_us_per_stream']:>16} {row['writes_per_stream']:>16} {ratio!s:>18}")
    print("BENCH_JSON " + json.dumps({"bench": "translated_stream", "tokens": args.tokens, "rows": rows}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
