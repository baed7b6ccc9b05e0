"""One keep-alive connection: an asyncio protocol that parses what arrives into its current response."""

from __future__ import annotations

import asyncio
import select
from typing import Protocol

import httptools

from modelswap.providers.h1.errors import BadResponse, Disconnected, ReadTimeout, TooLarge
from modelswap.providers.h1.limits import size_text
from modelswap.providers.h1.response import Response

__all__ = ["Connection", "ConnectionHome"]

_POLL = getattr(select, "poll", None)


class ConnectionHome(Protocol):
    """What a connection needs from the pool that opened it (``client.OriginPool``)."""

    @property
    def max_head_bytes(self) -> int:
        """The most header, trailer and framing bytes an answer may send in a row."""
        ...

    def release(self, conn: Connection, *, reusable: bool) -> None:
        """Take ``conn`` back once its answer is done: idle for reuse, or closed."""
        ...

    def lost_while_idle(self, conn: Connection) -> None:
        """The server closed ``conn`` while it sat idle: forget it."""
        ...


class Connection(asyncio.Protocol):
    """One keep-alive connection; parses whatever arrives into its current ``Response``.

    Bytes that carry no body (the head, interim ``1xx`` heads, trailers, chunk framing) are
    counted, and more than ``max_head_bytes`` of them in a row fails the answer, so a header
    flood costs at most that much memory and parsing time.
    """

    def __init__(self, pool: ConnectionHome, loop: asyncio.AbstractEventLoop) -> None:
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
        self.progress_on_body = False  # a stream's silence clock restarts on body bytes (else: on events)
        self.timeout_s = 0.0
        self.last_read = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.max_head = pool.max_head_bytes
        self.head_bytes = 0  # header and trailer bytes of the current answer
        self.gap = 0  # bytes received since the last body byte
        self.poller: select.poll | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if _POLL is not None and sock is not None:
            self.poller = _POLL()
            self.poller.register(sock.fileno(), select.POLLIN)

    def data_received(self, data: bytes) -> None:
        resp = self.resp
        if resp is None:  # bytes nobody asked for: the connection cannot be trusted any more
            self.close()
            return
        resp._started = True
        self.gap += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            resp._fail(BadResponse(f"malformed HTTP response: {exc}"))
            self.close()
            return
        if self.gap > self.max_head and not self.closed:  # body bytes in ``data`` reset it during the feed
            what = "response head" if not resp.status else "run of bytes without a body byte (trailers, framing)"
            self._refuse(resp, f"the {what} is larger than the {size_text(self.max_head)} limit")

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._cancel_timer()
        resp = self.resp
        if resp is None:  # the server closed an idle connection
            self.pool.lost_while_idle(self)
        if resp is None or resp._complete:
            return
        if not resp._started:
            # Never re-sent: the request was written, and the server may have acted on it.
            reused = " (a reused keep-alive connection)" if self.uses > 1 else ""
            resp._fail(Disconnected(f"server closed the connection{reused} without answering"))
        elif resp.status and resp._body_until_close():
            resp._on_complete()
        else:
            resp._fail(Disconnected("server closed the connection before the response was complete"))

    def pause_writing(self) -> None:  # request bodies are written whole; nothing to throttle
        pass

    def resume_writing(self) -> None:
        pass

    def readable(self) -> bool:
        """Whether bytes or an end of stream wait unread on an idle connection: then it is not
        safe to send a request on it (the server has answered out of turn or is closing it)."""
        poller = self.poller
        return poller is not None and bool(poller.poll(0))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        resp = self.resp
        if resp is not None and not self.closed:
            self.head_bytes += len(name) + len(value) + 4
            if self.head_bytes > self.max_head:
                self._refuse(resp, f"the response headers are larger than the {size_text(self.max_head)} limit")
            elif not resp.status:  # trailers are counted, not kept
                resp._raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        resp = self.resp
        if resp is not None and not self.closed:
            status = self.parser.get_status_code()
            if 100 <= status < 200:  # an interim answer (100 Continue, 103 Early Hints): the real one follows
                self.interim = True
                resp._raw_headers.clear()
                return
            if resp._complete:  # a second answer to one request: the connection is out of step
                self.keep_alive = False
                self.close()
                return
            self.keep_alive = self.parser.should_keep_alive()
            resp._on_headers(status)

    def on_body(self, body: bytes) -> None:
        self.gap = 0
        if self.progress_on_body:
            self.last_read = self.loop.time()
        if self.resp is not None:
            self.resp._on_body(body)

    def on_message_complete(self) -> None:
        if self.interim:
            self.interim = False
            return
        self.keep_alive = self.keep_alive and self.parser.should_keep_alive()
        self._cancel_timer()
        if self.resp is not None and not self.resp._complete:
            self.resp._on_complete()

    def _refuse(self, resp: Response, message: str) -> None:
        resp._fail(TooLarge(message))
        self.close()

    def give_back(self, resp: Response, *, reusable: bool) -> None:
        """``resp`` is done with this connection: back to the pool (if it is still the current answer)."""
        if self.resp is resp:
            self.pool.release(self, reusable=reusable)

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
        self.streaming = self.flow = self.progress_on_body = streaming
        self.head_bytes = self.gap = 0
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
            # A stream only times out on silence; a paused stream, or one with unread chunks, is
            # waiting for its reader (which is what judges progress).
            silent = self.loop.time() - self.last_read
            waiting = self.paused or (self.flow and bool(resp._chunks))
            if waiting or silent < self.timeout_s:
                self.timer = self.loop.call_later(self.timeout_s - (0 if waiting else silent), self._on_timeout)
                return
            what = "data" if self.progress_on_body else "stream event (comments and pings do not count)"
            resp._fail(ReadTimeout(f"no {what} for {self.timeout_s:g}s"))
        else:
            resp._fail(ReadTimeout(f"no complete answer within {self.timeout_s:g}s"))
        self.close()

    def close(self) -> None:
        self.closed = True
        self._cancel_timer()
        if self.transport is not None:
            self.transport.close()
