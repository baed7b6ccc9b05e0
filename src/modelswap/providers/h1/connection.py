"""One keep-alive connection: an asyncio protocol that parses what arrives into its current response."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httptools

from modelswap.providers.h1.errors import BadResponse, Disconnected, ReadTimeout, StaleConnection
from modelswap.providers.h1.response import Response

if TYPE_CHECKING:
    from modelswap.providers.h1.client import OriginPool

__all__ = ["Connection"]


class Connection(asyncio.Protocol):
    """One keep-alive connection; parses whatever arrives into its current ``Response``."""

    def __init__(self, pool: OriginPool, loop: asyncio.AbstractEventLoop) -> None:
        self.pool = pool
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.resp: Response | None = None
        self.closed = False
        self.uses = 0
        self.idle_since = 0.0
        self.keep_alive = False
        self.interim = False
        self.paused = False
        self.flow = False  # pause reading when a stream's reader falls behind
        self.streaming = False
        self.timeout_s = 0.0
        self.last_read = 0.0
        self.timer: asyncio.TimerHandle | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        resp = self.resp
        if resp is None:  # bytes nobody asked for: the connection cannot be trusted any more
            self.close()
            return
        resp._started = True
        if self.streaming:
            self.last_read = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            resp._fail(BadResponse(f"malformed HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._cancel_timer()
        resp = self.resp
        if resp is None and self in self.pool.idle:  # the server closed an idle connection
            self.pool.idle.remove(self)
            self.pool.client._discard(self)
        if resp is None or resp._complete:
            return
        if not resp._started:
            resp._fail(
                StaleConnection() if self.uses > 1 else Disconnected("server closed the connection without answering")
            )
        elif resp.status and resp._body_until_close():
            resp._on_complete()
        else:
            resp._fail(Disconnected("server closed the connection before the response was complete"))

    def pause_writing(self) -> None:  # request bodies are written whole; nothing to throttle
        pass

    def resume_writing(self) -> None:
        pass

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if self.resp is not None:
            self.resp._raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self.resp is not None:
            status = self.parser.get_status_code()
            if 100 <= status < 200:  # an interim answer (100 Continue, 103 Early Hints): the real one follows
                self.interim = True
                self.resp._raw_headers.clear()
                return
            self.keep_alive = self.parser.should_keep_alive()
            self.resp._on_headers(status)

    def on_body(self, body: bytes) -> None:
        if self.resp is not None:
            self.resp._on_body(body)

    def on_message_complete(self) -> None:
        if self.interim:
            self.interim = False
            return
        self.keep_alive = self.keep_alive and self.parser.should_keep_alive()
        self._cancel_timer()
        if self.resp is not None:
            self.resp._on_complete()

    # flow control and timers
    def pause(self) -> None:
        if not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.paused and self.transport is not None:
            self.paused = False
            if not self.closed:
                self.transport.resume_reading()

    def arm_timer(self, timeout_s: float, streaming: bool) -> None:
        self.timeout_s = timeout_s
        self.streaming = self.flow = streaming
        self.last_read = self.loop.time()
        self.timer = self.loop.call_later(timeout_s, self._on_timeout)

    def _cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _on_timeout(self) -> None:
        self.timer = None
        resp = self.resp
        if resp is None or resp._complete:
            return
        if self.streaming and resp.status:
            # A stream only times out on silence; a paused stream is waiting for its reader.
            silent = self.loop.time() - self.last_read
            if self.paused or silent < self.timeout_s:
                self.timer = self.loop.call_later(self.timeout_s - (0 if self.paused else silent), self._on_timeout)
                return
        resp._fail(ReadTimeout(f"no complete answer within {self.timeout_s:g}s"))
        self.close()

    def close(self) -> None:
        self.closed = True
        self._cancel_timer()
        if self.transport is not None:
            self.transport.close()
