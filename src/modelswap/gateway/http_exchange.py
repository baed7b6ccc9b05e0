"""One request and its answer on a gateway connection: the ASGI ``receive`` and ``send`` of one app call.

The connection (``http_protocol.HttpProtocol``) parses the request and owns the socket; an
``Exchange`` hands the body to the app as it arrives and frames the app's answer
(Content-Length, chunked, or delimited by the close for HTTP/1.0 clients).
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any, Protocol

from modelswap.gateway.http_limits import status_line

__all__ = ["STATUS_LINES", "Connection", "Exchange"]

STATUS_LINES = {status: status_line(status) for status in range(100, 600)}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_BAD_HEADER = frozenset(b"\r\n\x00")


class Connection(Protocol):
    """What an exchange needs of the connection that owns the socket (``http_protocol.HttpProtocol``);
    a protocol here, so the two modules do not import each other."""

    loop: asyncio.AbstractEventLoop
    state: Any
    _current: Exchange | None
    _read_paused: bool
    _write_paused: bool

    def write(self, data: bytes) -> None: ...

    def resume_reading(self) -> None: ...

    async def drain(self) -> None: ...

    def answered(self, exchange: Exchange) -> None: ...


class Exchange:
    """One request and its answer: the ASGI ``receive`` and ``send`` of one app call."""

    __slots__ = (
        "bodiless",
        "body",
        "chunked",
        "complete",
        "delivered",
        "expect_continue",
        "finished",
        "gone",
        "keep_alive",
        "protocol",
        "remaining",
        "scope",
        "started",
        "unread",
        "waiter",
    )

    def __init__(self, protocol: Connection, scope: dict[str, Any], keep_alive: bool, expect_continue: bool) -> None:
        self.protocol = protocol
        self.scope = scope
        self.keep_alive = keep_alive
        self.expect_continue = expect_continue
        self.body: list[bytes] = []
        self.unread = 0
        self.complete = False  # the whole request body has arrived
        self.delivered = False  # ...and was handed to the app: receive() next waits for a disconnect
        self.started = False  # the response head was sent
        self.finished = False  # the response's last byte was sent
        self.gone = False  # the client disconnected first
        self.chunked = False
        self.bodiless = False  # an answer to HEAD, or a 1xx/204/304: its body is not sent
        self.remaining = -1  # body bytes still owed under a Content-Length (-1: none given)
        self.waiter: asyncio.Future[None] | None = None

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def receive(self) -> MutableMapping[str, Any]:
        protocol = self.protocol
        while not (self.gone or self.finished or self.body or (self.complete and not self.delivered)):
            if self.expect_continue:
                self.expect_continue = False
                protocol.write(_CONTINUE)
            protocol.resume_reading()
            self.waiter = protocol.loop.create_future()
            await self.waiter
        if self.gone or self.finished:
            return {"type": "http.disconnect"}
        chunk = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        self.body.clear()
        more = not self.complete
        self.unread, self.delivered = 0, not more
        if protocol._read_paused and more and protocol._current is self:
            protocol.resume_reading()
        return {"type": "http.request", "body": chunk, "more_body": more}

    async def send(self, message: MutableMapping[str, Any]) -> None:
        protocol = self.protocol
        if protocol._write_paused and not self.gone:
            await protocol.drain()
        if self.gone:
            return  # the client left: what the app still sends goes nowhere
        kind = message["type"]
        if not self.started:
            if kind != "http.response.start":
                raise RuntimeError(f"expected ASGI message 'http.response.start', got {kind!r}")
            self._send_head(message["status"], message.get("headers", ()))
        elif not self.finished:
            if kind != "http.response.body":
                raise RuntimeError(f"expected ASGI message 'http.response.body', got {kind!r}")
            self._send_body(message.get("body", b""), message.get("more_body", False))
        else:
            raise RuntimeError(f"ASGI message {kind!r} sent after the response was complete")

    def _send_head(self, status: int, headers: Any) -> None:
        protocol = self.protocol
        head = [STATUS_LINES[status]]
        closing = False
        for name, value in (*protocol.state.default_headers, *headers):
            name = name.lower()
            if _BAD_HEADER.intersection(name) or _BAD_HEADER.intersection(value):
                raise RuntimeError(f"invalid HTTP header {name!r}: CR, LF and NUL are not allowed")
            if name == b"content-length":
                self.remaining = int(value)
            elif name == b"transfer-encoding":
                self.chunked = b"chunked" in value.lower()
            elif name == b"connection" and b"close" in value.lower():
                self.keep_alive, closing = False, True
            head += (name, b": ", value, b"\r\n")
        bodiless = self.bodiless = self.scope["method"] == "HEAD" or status in (204, 304) or status < 200
        if self.remaining < 0 and not self.chunked and not bodiless:
            if self.scope["http_version"] == "1.0":
                self.keep_alive = False  # an HTTP/1.0 client reads the body until the connection closes
            else:
                self.chunked = True
                head.append(b"transfer-encoding: chunked\r\n")
        if bodiless:
            self.remaining, self.chunked = 0, False
        if not self.keep_alive and not closing:
            head.append(b"connection: close\r\n")
        head.append(b"\r\n")
        self.started = True  # only now: a head refused above leaves the app's error a clean 500
        self.expect_continue = False
        protocol.write(b"".join(head))

    def _send_body(self, body: bytes, more: bool) -> None:
        protocol = self.protocol
        if self.chunked:
            if body:
                protocol.write(b"%x\r\n" % len(body))
                protocol.write(bytes(body))
                protocol.write(b"\r\n")
            if not more:
                protocol.write(b"0\r\n\r\n")
        elif body and not self.bodiless:
            if self.remaining >= 0:
                self.remaining -= len(body)
                if self.remaining < 0:
                    raise RuntimeError("the response body is longer than its Content-Length")
            protocol.write(bytes(body))
        if not more:
            if self.remaining > 0:
                raise RuntimeError("the response body is shorter than its Content-Length")
            self.finished = True
            self.wake()
            protocol.answered(self)
