"""Relaying a chat stream's events to the client while tallying what the record needs.

The proxy has already sent the status and headers; ``relay`` passes each upstream event on
(stripping the usage it asked for on the app's behalf), stops when the client has gone, and
ends every way a stream can end (done, upstream error, client gone, graceful stop, a bug)
with the right closing bytes and an ``Outcome`` for the record.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

from modelswap.gateway.asgi import Receive, Send
from modelswap.gateway.call import Call, Outcome
from modelswap.gateway.client_watch import STREAM_WATCH_AFTER_S, ClientWatch
from modelswap.gateway.errors import INTERNAL_MESSAGE, SHUTDOWN_MESSAGE, error_frame, upstream_status
from modelswap.gateway.records import error_text
from modelswap.gateway.streaming import DONE, StreamTally, encode_event, error_event, without_usage
from modelswap.providers.base import Dialect, Frames, UpstreamError
from modelswap.providers.frames import aclose_quietly

log = logging.getLogger("modelswap.gateway")


async def relay(
    call: Call,
    events: AsyncIterator[Frames],
    first: Frames | None,
    send: Send,
    *,
    strip_usage: bool,
    keep_bodies: bool,
    receive: Receive | None = None,
) -> tuple[Outcome, bytes]:
    """Relay a stream's events; returns how it went and the bytes that end it (to send after
    the record is handed off)."""
    tally = StreamTally(assemble=keep_bodies)
    take = getattr(tally, call.dialect)  # StreamTally.openai, .anthropic or .responses
    ttft: float | None = None
    out = Outcome(200, 0.0)
    dialect = call.dialect
    batch = first
    watch = ClientWatch(receive, STREAM_WATCH_AFTER_S, cancel=False) if receive is not None else None
    try:
        while batch is not None:
            if watch is not None and watch.fired:  # stop paying for tokens nobody receives
                raise ConnectionResetError("the client closed the connection mid-stream")
            frames: list[bytes] = []
            for raw, event in batch:
                if take(event) and ttft is None:
                    ttft = time.perf_counter() - call.started
                if strip_usage and "usage" in event:  # asked upstream for the record; OpenAI omits it
                    if not event.get("choices"):
                        continue
                    raw = without_usage(raw, event)
                frames.append(encode_event(event, dialect) if raw is None else raw)
            if frames:
                chunk = frames[0] if len(frames) == 1 else b"".join(frames)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            try:
                batch = await events.__anext__()
            except StopAsyncIteration:
                batch = None
        tail = _done(dialect)
    except (Exception, asyncio.CancelledError) as exc:  # every way a stream ends early; _ended tells which
        tail = _ended(out, exc, dialect, tally.sequence + 1)
    finally:
        if watch is not None:
            watch.stop()
        await aclose_quietly(events)
    out.latency_s, out.ttft_s = time.perf_counter() - call.started, ttft
    _count_tokens(out, tally, call)
    return out, tail


def _done(dialect: Dialect) -> bytes:
    """The bytes that close a stream in ``dialect`` (OpenAI's ``[DONE]``; nothing for the others)."""
    return DONE if dialect == "openai" else b""


def _ended(out: Outcome, exc: BaseException, dialect: Dialect, seq: int) -> bytes:
    """Set ``out`` for a stream that ended on ``exc``; returns the bytes that end it for the client
    (a Responses error event numbered ``seq``)."""
    if isinstance(exc, UpstreamError):
        out.status, out.error_kind, out.error = upstream_status(exc), exc.kind, error_text(exc, exc.message)
        return error_frame(exc, dialect, seq) + _done(dialect)
    if isinstance(exc, OSError):  # the client went away
        out.status, out.error_kind, out.error = 499, "client_closed", error_text(exc)
        return b""
    if isinstance(exc, asyncio.CancelledError):  # the server's graceful stop ran out of time
        out.status, out.error_kind, out.error = 503, "shutdown", SHUTDOWN_MESSAGE
        return error_event(SHUTDOWN_MESSAGE, "shutdown", dialect, seq) + _done(dialect)
    # a bug: the status is already sent, so end the stream with an error event
    log.error("unexpected error while relaying a stream", exc_info=exc)
    out.status, out.error_kind, out.error = 500, "internal", error_text(exc)
    return error_event(INTERNAL_MESSAGE, "internal_error", dialect, seq) + _done(dialect)


def _count_tokens(out: Outcome, tally: StreamTally, call: Call) -> None:
    """The stream's usage (estimated when it was cut short: the vendor still billed it) and its
    assembled answer, into ``out``."""
    out.prompt_tokens, out.completion_tokens, out.cached_tokens, out.reasoning_tokens = (
        tally.prompt_tokens,
        tally.completion_tokens,
        tally.cached_tokens,
        tally.reasoning_tokens,
    )
    if out.status != 200 and out.completion_tokens is None:
        out.prompt_tokens, out.completion_tokens = tally.estimate(call.body)
        out.tokens_estimated = True
    out.response = tally.response() if tally.assemble else None
