"""The gateway's HTTP/1.1 server protocol: httptools parses, the ASGI app is called directly.

uvicorn runs the process (listening sockets, lifespan, signals, graceful stop) and hands
each connection to this protocol instead of its own. uvicorn's protocol is general and
costs the serving path per request: an ``asyncio.Event`` and a response-cycle object with
a score of fields, a keep-alive timer armed and cancelled around every request, a regular
expression pair per response header, and two socket writes per answer (head, then body).
Here a request costs a small slotted exchange, its task, and one socket write per event-loop
step: writes made during one step are held and sent together at the end of that step, so a
whole answer leaves in one ``send`` and nothing waits longer than the step that wrote it.

What a client sees is plain HTTP/1.1: keep-alive (idle connections close after
``timeout_keep_alive``, checked by one timer per connection, so between one and two
timeouts after the last byte), pipelining (answered in order), ``Expect: 100-continue``,
chunked responses when the app gives no length (HTTP/1.0 clients get the body delimited by
closing instead), flow control both ways, ``400`` and a close on a malformed request (httptools
refuses the smuggling shapes: Content-Length with Transfer-Encoding, two lengths, bad chunk
sizes), ``431`` and a close when a request line and headers pass 64 KiB. A graceful stop
closes idle connections at once and the busy ones after their answer.
"""

from __future__ import annotations

import asyncio
import http
import logging
import urllib.parse
from collections import deque
from collections.abc import MutableMapping
from typing import Any

import httptools

__all__ = ["HttpProtocol"]

log = logging.getLogger("modelswap.gateway")

_READ_HIGH_WATER = 65_536
"""Request body bytes held unread before the protocol stops reading the socket."""
_HEAD_LIMIT = 65_536
"""The most bytes a request line and its headers may take (a client sending more gets a 431)."""


def _status_line(status: int) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode()


_STATUS_LINES = {status: _status_line(status) for status in range(100, 600)}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_BAD_HEADER = frozenset(b"\r\n\x00")
_ERROR_500 = b"Internal Server Error"


_HEAD_TOO_LARGE = b"Request header fields too large: the request line and headers exceed 64 KiB"


class _HeadTooLarge(Exception):
    """Raised from a parser callback when a request's head passes ``_HEAD_LIMIT``."""


def _plain_response(status: int, text: bytes) -> bytes:
    return (
        _STATUS_LINES[status]
        + b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\ncontent-length: "
        + str(len(text)).encode()
        + b"\r\n\r\n"
        + text
    )


class HttpProtocol(asyncio.Protocol):
    """One client connection. Built by uvicorn (``uvicorn.Config(http=HttpProtocol)``)."""

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.app = config.loaded_app
        self.loop = _loop or asyncio.get_event_loop()
        self.state = server_state
        self.app_state = app_state
        self.root_path: str = config.root_path
        self.keep_alive_s: float = config.timeout_keep_alive
        self.parser = httptools.HttpRequestParser(self)
        # answer the first of several requests sent before the connection's close
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self.transport: asyncio.Transport | None = None
        self.server: tuple[str, int] | None = None
        self.client: tuple[str, int] | None = None
        self.scheme = "http"
        self._held: list[bytes] | None = None  # writes of this event-loop step, sent at its end
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._expect_continue = False
        self._incoming: Exchange | None = None  # the request being read
        self._current: Exchange | None = None  # the request being answered
        self._waiting: deque[Exchange] = deque()  # pipelined requests, answered in order
        self._read_paused = False
        self._write_paused = False
        self._drained: list[asyncio.Future[None]] = []
        self._seen = False  # bytes arrived since the idle timer last looked
        self._in_head = False  # between a request's first byte and the end of its headers
        self._head_size = 0
        self._idle: asyncio.TimerHandle | None = None

    # -- connection ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.state.connections.add(self)
        self.server = _address(transport.get_extra_info("sockname"))
        self.client = _address(transport.get_extra_info("peername"))
        self.scheme = "https" if transport.get_extra_info("sslcontext") else "http"
        self._idle = self.loop.call_later(self.keep_alive_s, self._check_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.connections.discard(self)
        self._held = None
        for exchange in (self._current, *self._waiting):
            if exchange is not None and not exchange.finished:
                exchange.gone = True
                exchange.wake()
        self._waiting.clear()
        self._write_paused = False
        self._release_drained()
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        if exc is None and self.transport is not None:
            self.transport.close()

    def eof_received(self) -> bool | None:
        return None  # the transport closes; an answer in progress is abandoned like a disconnect

    def shutdown(self) -> None:
        """Graceful stop (uvicorn calls this): close now when idle, else after the current answer."""
        if self._current is None:
            self.close()
        else:
            self._current.keep_alive = False
            for exchange in self._waiting:
                exchange.keep_alive = False

    def close(self) -> None:
        """Send what is held, then close."""
        self._flush()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _check_idle(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if self._seen or self._current is not None:
            self._seen = False
            self._idle = self.loop.call_later(self.keep_alive_s, self._check_idle)
        else:
            self.close()

    # -- writing ---------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            self._held = [data]
            self.loop.call_soon(self._flush)
        else:
            held.append(data)

    def _flush(self) -> None:
        held, self._held = self._held, None
        if held and self.transport is not None and not self.transport.is_closing():
            self.transport.write(held[0] if len(held) == 1 else b"".join(held))

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._release_drained()

    def _release_drained(self) -> None:
        drained, self._drained = self._drained, []
        for waiter in drained:
            if not waiter.done():
                waiter.set_result(None)

    async def drain(self) -> None:
        """Wait until the client reads what it was sent (the transport's buffer is low again)."""
        if self._write_paused:
            waiter = self.loop.create_future()
            self._drained.append(waiter)
            await waiter

    def pause_reading(self) -> None:
        if not self._read_paused and self.transport is not None:
            self._read_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._read_paused and self.transport is not None:
            self._read_paused = False
            self.transport.resume_reading()

    # -- reading ---------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._seen = True
        in_head = self._in_head
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass  # no protocol upgrades: the request was answered as plain HTTP, then the connection closes
        except httptools.HttpParserError as exc:
            if self._head_size > _HEAD_LIMIT:  # raised by a callback below: too many or too long headers
                self._refuse(431, _HEAD_TOO_LARGE)
                return
            log.debug("malformed HTTP request from %s: %s", self.client, exc)
            self._refuse(400, b"Malformed HTTP request: " + str(exc).encode("ascii", "replace"))
            return
        if in_head and self._in_head:  # all of it went into a head still unfinished (one huge header)
            self._head_size += len(data)
            if self._head_size > _HEAD_LIMIT:
                self._refuse(431, _HEAD_TOO_LARGE)

    def _refuse(self, status: int, text: bytes) -> None:
        """Answer a request that never reached the app, and close."""
        if self._current is not None and self._current.started:
            self.close()  # the answer in progress cannot be interrupted by another one
            return
        self.write(_plain_response(status, text))
        self.close()

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._expect_continue = False
        self._in_head, self._head_size = True, 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._head_size += len(url)
        if self._head_size > _HEAD_LIMIT:
            raise _HeadTooLarge  # the parser stops; data_received answers 431

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        if self._head_size > _HEAD_LIMIT:
            raise _HeadTooLarge
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self._expect_continue = True
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._in_head = False
        parser = self.parser
        version = parser.get_http_version()
        url = self._url
        if url.startswith(b"/"):
            raw_path, _, query = url.partition(b"?")
            raw_path = raw_path.partition(b"#")[0]
        else:  # absolute form ("http://host/path") or "*"
            parsed = httptools.parse_url(url)
            raw_path, query = parsed.path or b"/", parsed.query or b""
        path = raw_path.decode("ascii", "replace")
        if "%" in path:
            path = urllib.parse.unquote(path)
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": version,
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "method": parser.get_method().decode("ascii"),
            "root_path": self.root_path,
            "path": self.root_path + path if self.root_path else path,
            "raw_path": raw_path,
            "query_string": query,
            "headers": self._headers,
            "state": self.app_state.copy(),
        }
        keep_alive = parser.should_keep_alive() and not parser.should_upgrade()
        exchange = Exchange(self, scope, keep_alive, self._expect_continue)
        self._incoming = exchange
        if self._current is None:
            self._start(exchange)
        else:
            self._waiting.append(exchange)
            self.pause_reading()

    def on_body(self, body: bytes) -> None:
        exchange = self._incoming
        if exchange is None or exchange.finished:
            return  # answered already (e.g. refused as too large): the rest of its body is dropped
        exchange.body.append(body)
        exchange.unread += len(body)
        if exchange.unread > _READ_HIGH_WATER:
            self.pause_reading()
        exchange.wake()

    def on_message_complete(self) -> None:
        exchange = self._incoming
        if exchange is not None:
            exchange.complete = True
            exchange.wake()

    # -- answering -------------------------------------------------------------------------

    def _start(self, exchange: Exchange) -> None:
        self._current = exchange
        task = self.loop.create_task(self._run(exchange))
        tasks = self.state.tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def _run(self, exchange: Exchange) -> None:
        try:
            await self.app(exchange.scope, exchange.receive, exchange.send)
        except BaseException:
            log.exception("unhandled error in the gateway app on %s", exchange.scope["path"])
            self._abandon(exchange)
        else:
            if not exchange.finished and not exchange.gone:
                log.error("the gateway app returned without finishing its answer on %s", exchange.scope["path"])
                self._abandon(exchange)

    def _abandon(self, exchange: Exchange) -> None:
        """An answer the app did not complete: a 500 when nothing was sent yet, else a close."""
        if exchange.gone or exchange.finished:
            return
        exchange.finished = True
        if not exchange.started:
            self.write(_plain_response(500, _ERROR_500))
        self.close()

    def answered(self, exchange: Exchange) -> None:
        """The app sent the last byte of ``exchange``'s answer."""
        self.state.total_requests += 1
        if not exchange.keep_alive:
            self.close()
            return
        if self._current is exchange:
            self._current = None
        self.resume_reading()
        if self._waiting:
            self._start(self._waiting.popleft())


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

    def __init__(self, protocol: HttpProtocol, scope: dict[str, Any], keep_alive: bool, expect_continue: bool) -> None:
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
        head = [_STATUS_LINES[status]]
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


def _address(info: Any) -> tuple[str, int] | None:
    if isinstance(info, tuple | list) and len(info) >= 2:
        return str(info[0]), int(info[1])
    return None
