"""Server-sent events over aiohttp, paced like a model emitting tokens."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import orjson
from aiohttp import web

_MIN_SLEEP_S = 0.001
_PIECE = re.compile(r"\S*\s*")


async def open_stream(request: web.Request, headers: dict[str, str] | None = None) -> web.StreamResponse:
    """Start a ``text/event-stream`` response."""
    response = web.StreamResponse(
        status=200,
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            **(headers or {}),
        },
    )
    await response.prepare(request)
    return response


def data_event(obj: Any) -> bytes:
    """``data: {json}`` followed by a blank line (OpenAI style)."""
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def named_event(name: str, obj: Any) -> bytes:
    """``event: name`` + ``data: {json}`` + a blank line (Anthropic style)."""
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(obj) + b"\n\n"


def text_pieces(text: str) -> Iterator[str]:
    """Split text into word-sized pieces (a word and its trailing space) that rejoin exactly."""
    for match in _PIECE.finditer(text):
        if match[0]:
            yield match[0]


def json_pieces(text: str, size: int = 12) -> Iterator[str]:
    """Split a JSON string into fixed-size fragments (as tool-call argument deltas arrive)."""
    for start in range(0, len(text), size):
        yield text[start : start + size]


class PacedWriter:
    """Writes SSE events so the n-th token goes out at ``ttft + n * s_per_token`` after the start.

    Events that are already due are batched into one write, and waits shorter than a
    millisecond are skipped and caught up on later, so a fast (time-scaled) stream costs
    neither a timer nor a socket write per token.
    """

    def __init__(self, response: web.StreamResponse, ttft_s: float, s_per_token: float) -> None:
        self._response = response
        self._loop = asyncio.get_running_loop()
        self._start = self._loop.time()
        self._ttft_s = ttft_s
        self._s_per_token = s_per_token
        self._tokens = 0.0
        self._buffer: list[bytes] = []

    async def first_token(self) -> None:
        """Wait until the first token is due (flushing anything written before it)."""
        await self._until(self._start + self._ttft_s)

    async def send(self, event: bytes, tokens: float = 0) -> None:
        """Queue ``event``, which carries ``tokens`` of output, and wait until the next is due."""
        self._buffer.append(event)
        if tokens:
            self._tokens += tokens
            await self._until(self._start + self._ttft_s + self._tokens * self._s_per_token)

    async def close(self) -> None:
        """Write what is left and end the response."""
        await self._flush()
        await self._response.write_eof()

    async def _until(self, deadline: float) -> None:
        delay = deadline - self._loop.time()
        if delay >= _MIN_SLEEP_S:
            await self._flush()
            await asyncio.sleep(delay)

    async def _flush(self) -> None:
        if self._buffer:
            data = b"".join(self._buffer)
            self._buffer.clear()
            await self._response.write(data)
