"""The gateway's HTTP/1.1 server protocol: httptools parses, the ASGI app is called directly.

uvicorn runs the process (listening sockets, lifespan, signals, graceful stop) and hands
each connection to this protocol instead of its own. uvicorn's protocol is general and
costs the serving path per request: an ``asyncio.Event`` and a response-cycle object with
a score of fields, a keep-alive timer armed and cancelled around every request, a regular
expression pair per response header, and two socket writes per answer (head, then body).
Here a request costs a small slotted exchange (``http_exchange``), its task, and one socket
write per event-loop step (``http_writer``); its ASGI scope is built by ``http_scope``.

What a client sees is plain HTTP/1.1: keep-alive, pipelining (answered in order),
``Expect: 100-continue``, chunked responses when the app gives no length (HTTP/1.0 clients
get the body delimited by closing instead), flow control both ways. Refused, each with an
error in OpenAI's shape (Anthropic's on ``/v1/messages``) and a close (``http_limits``):
a malformed request (400; httptools refuses Content-Length with Transfer-Encoding, two
lengths, bad chunk sizes), any Transfer-Encoding but ``chunked`` (400), a request line and
headers over 64 KiB (431), a head slower than ``header_timeout_s`` or a body pausing longer
than ``body_timeout_s`` (408), a connection past ``max_connections`` (503). After a refusal
the connection stops sending, reads and drops what the client still sends for a moment, then
closes, so the refusal is not lost to a reset. All of the timeouts are watched by one timer per
connection that looks every ``Limits.check_period`` (no timer per request): idle connections
close between one keep-alive timeout and one period more after their last activity.

A graceful stop closes idle connections at once and the busy ones after their answer; a
request that the stop cuts (uvicorn cancels it at the end of its grace) and whose app did not
answer itself gets a 503 in the vendor's shape.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import deque
from typing import Any, ClassVar

import httptools

from modelswap.gateway.errors import INTERNAL_MESSAGE, SHUTDOWN_MESSAGE
from modelswap.gateway.http_exchange import Exchange
from modelswap.gateway.http_limits import (
    HEAD_LIMIT,
    HEAD_TOO_LARGE,
    LINGER_S,
    READ_HIGH_WATER,
    Limits,
    error_response,
    transfer_coding_problem,
)
from modelswap.gateway.http_scope import address_of, request_scope
from modelswap.gateway.http_writer import ConnectionWriter

__all__ = ["HttpProtocol", "Limits"]

log = logging.getLogger("modelswap.gateway")

_WARN_EVERY_S = 10.0
_last_limit_warning = [0.0]  # when the connection limit was last logged (process-wide, for the log only)
_REFUSING: weakref.WeakKeyDictionary[Any, set[HttpProtocol]] = weakref.WeakKeyDictionary()
"""Per server (uvicorn's ``ServerState``): its connections closing after a refusal. They do not count
towards ``max_connections`` (a client that was refused must not keep others out), but they are bounded."""


def _refusing_on(server_state: Any) -> set[HttpProtocol]:
    refusing = _REFUSING.get(server_state)
    if refusing is None:
        refusing = _REFUSING[server_state] = set()
    return refusing


class _Refused(Exception):
    """Raised from a parser callback to stop parsing; ``HttpProtocol._refusal`` says how to answer."""


class HttpProtocol(ConnectionWriter):
    """One client connection. Built by uvicorn (``uvicorn.Config(http=HttpProtocol)``, or
    ``HttpProtocol.with_limits(...)`` for limits other than the defaults)."""

    limits: ClassVar[Limits] = Limits()

    @classmethod
    def with_limits(cls, limits: Limits) -> type[HttpProtocol]:
        """This protocol under ``limits`` (a class, as uvicorn's ``http`` option wants)."""
        return type(cls.__name__, (cls,), {"limits": limits})

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        super().__init__(_loop or asyncio.get_event_loop())
        self.app = config.loaded_app
        self.state = server_state
        self.app_state = app_state
        self.root_path: str = config.root_path
        self.keep_alive_s: float = config.timeout_keep_alive
        self.period = self.limits.check_period(self.keep_alive_s)
        self.parser = httptools.HttpRequestParser(self)
        # answer the first of several requests sent before the connection's close
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self.server: tuple[str, int] | None = None
        self.client: tuple[str, int] | None = None
        self.scheme = "http"
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._expect_continue = False
        self._coding: bytes | None = None  # the request's Transfer-Encoding, fields joined by commas
        self._incoming: Exchange | None = None  # the request being read
        self._current: Exchange | None = None  # the request being answered
        self._waiting: deque[Exchange] = deque()  # pipelined requests, answered in order
        self._seen = False  # bytes arrived (or an answer ended) since the timer last looked
        self._quiet_since = 0.0  # when the timer last saw activity
        self._in_head = False  # between a request's first byte and the end of its headers
        self._head_began = 0.0
        self._head_size = 0
        self._refusal: tuple[int, str, str] | None = None  # set by a callback that raises _Refused
        self._refused = False  # a refusal was sent: the connection closes soon
        self._deaf = False  # a refusal was sent or is due: what arrives now is dropped
        self._due: tuple[int, str, str] | None = None  # a refusal to send once earlier requests are answered
        self._idle: asyncio.TimerHandle | None = None
        self._refusing: set[HttpProtocol] = set()  # the server's connections that are closing after a refusal

    # -- connection ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        connections = self.state.connections
        refusing = self._refusing = _refusing_on(self.state)
        serving = len(connections) - len(refusing)
        connections.add(self)
        self.server = address_of(transport.get_extra_info("sockname"))
        self.client = address_of(transport.get_extra_info("peername"))
        self.scheme = "https" if transport.get_extra_info("sslcontext") else "http"
        self._quiet_since = self.loop.time()
        self._idle = self.loop.call_later(self.period, self._tick)
        if serving >= self.limits.max_connections:
            self._over_limit()

    def _over_limit(self) -> None:
        """One connection too many: a 503, or nothing at all once refusals themselves pile up."""
        limit = self.limits.max_connections
        now = time.monotonic()
        if now - _last_limit_warning[0] > _WARN_EVERY_S:
            _last_limit_warning[0] = now
            log.warning("connection limit reached (gateway.max_connections = %d): refusing new connections", limit)
        if len(self._refusing) >= self.limits.refusal_room():
            assert self.transport is not None
            self.transport.abort()
            return
        message = f"the gateway is at its limit of {limit} open connections (gateway.max_connections); retry shortly"
        self._refuse(503, message, "too_many_connections", retry_after_s=1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.connections.discard(self)
        self._refusing.discard(self)
        self._held = None
        self._abandon_all()
        self._write_paused = False
        self._release_drained()
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        if exc is None and self.transport is not None:
            self.transport.close()

    def _abandon_all(self) -> None:
        """The app stops hearing from this connection: each unanswered request sees a disconnect."""
        for exchange in (self._current, *self._waiting):
            if exchange is not None and not exchange.finished:
                exchange.gone = True
                exchange.wake()
        self._waiting.clear()

    def eof_received(self) -> bool | None:
        return None  # the transport closes; an answer in progress is abandoned like a disconnect

    def shutdown(self) -> None:
        """Graceful stop (uvicorn calls this): close now when idle, else after the current answer."""
        if self._current is None or self._refused:
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

    def _tick(self) -> None:
        """The connection's one timer: keep-alive, head and body timeouts, the end of a refusal."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self._refused:
            transport.close()
            return
        now, limits = self.loop.time(), self.limits
        if self._seen:
            self._seen, self._quiet_since = False, now
        incoming = self._incoming
        if self._in_head:
            if self._current is None and now - self._head_began >= limits.header_timeout_s:
                self._timed_out(f"the request line and headers did not arrive within {limits.header_timeout_s:g} s")
                return
        elif incoming is not None and not incoming.complete:
            if self._read_paused or incoming.expect_continue:  # waiting on us, not on the client
                self._quiet_since = now
            elif now - self._quiet_since >= limits.body_timeout_s:
                self._timed_out(f"the request body stopped arriving for {limits.body_timeout_s:g} s")
                return
        elif self._current is not None:
            self._quiet_since = now
        elif now - self._quiet_since >= self.keep_alive_s:
            self.close()
            return
        self._idle = self.loop.call_later(self.period, self._tick)

    def _timed_out(self, what: str) -> None:
        log.debug("request timeout from %s: %s", self.client, what)
        self._refuse(408, f"{what}; the gateway closed the connection", "request_timeout")

    # -- reading ---------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._deaf:
            return  # a refusal was sent (or is due): drop the rest until the close
        self._seen = True
        in_head = self._in_head
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass  # no protocol upgrades: the request was answered as plain HTTP, then the connection closes
        except httptools.HttpParserError as exc:
            log.debug("malformed HTTP request from %s: %s", self.client, exc)
            self._refuse_next(*(self._refusal or (400, f"malformed HTTP request: {exc}", "malformed_request")))
            return
        if in_head and self._in_head:  # all of it went into a head still unfinished (one huge header)
            self._head_size += len(data)
            if self._head_size > HEAD_LIMIT:
                self._refuse_next(*HEAD_TOO_LARGE)

    def _refuse_next(self, status: int, message: str, code: str) -> None:
        """Refuse the request being read; complete requests before it on this connection are answered first."""
        incoming = self._incoming
        if self._current is not None and incoming is not None and incoming.complete:
            self._deaf, self._due = True, (status, message, code)
        else:
            self._refuse(status, message, code)

    def _refuse(self, status: int, message: str, code: str, *, retry_after_s: int | None = None) -> None:
        """Answer a request the app will not answer, then close: stop sending, drop what still
        arrives for ``LINGER_S`` (or until the client closes), and close."""
        current = self._current
        if current is not None and current.started:
            self.close()  # the answer in progress cannot be interrupted by another one
            return
        path = current.scope["raw_path"] if current is not None else self._url
        self._abandon_all()
        self.write(error_response(status, message, code, path=path, retry_after_s=retry_after_s))
        self._flush()
        self._refused = self._deaf = True
        self._refusing.add(self)
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        self.resume_reading()
        if transport.can_write_eof():
            transport.write_eof()
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self.loop.call_later(LINGER_S, self._tick)

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._expect_continue = False
        self._coding = None
        self._in_head, self._head_size, self._head_began = True, 0, self.loop.time()

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._head_size += len(url)
        if self._head_size > HEAD_LIMIT:
            self._refusal = HEAD_TOO_LARGE
            raise _Refused  # the parser stops; data_received answers

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        if self._head_size > HEAD_LIMIT:
            self._refusal = HEAD_TOO_LARGE
            raise _Refused
        name = name.lower()
        if name == b"expect":
            if value.lower() == b"100-continue":
                self._expect_continue = True
        elif name == b"transfer-encoding":
            self._coding = value if self._coding is None else self._coding + b"," + value
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._in_head = False
        parser = self.parser
        version = parser.get_http_version()
        if self._coding is not None:
            problem = transfer_coding_problem(self._coding, version)
            if problem is not None:
                self._refusal = (400, problem, "unsupported_transfer_encoding")
                raise _Refused
        scope = request_scope(
            self._url,
            parser.get_method(),
            version,
            self._headers,
            server=self.server,
            client=self.client,
            scheme=self.scheme,
            root_path=self.root_path,
            state=self.app_state.copy(),
        )
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
        if exchange.unread > READ_HIGH_WATER:
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
        except asyncio.CancelledError:  # a graceful stop's grace ran out (uvicorn cancels what still runs)
            log.info("request on %s cut by the shutdown", exchange.scope["path"])
            self._abandon(exchange, 503, SHUTDOWN_MESSAGE, "shutdown")
        except BaseException:
            log.exception("unhandled error in the gateway app on %s", exchange.scope["path"])
            self._abandon(exchange, 500, INTERNAL_MESSAGE, "internal")
        else:
            if not exchange.finished and not exchange.gone:
                log.error("the gateway app returned without finishing its answer on %s", exchange.scope["path"])
                self._abandon(exchange, 500, INTERNAL_MESSAGE, "internal")

    def _abandon(self, exchange: Exchange, status: int, message: str, code: str) -> None:
        """An answer the app did not complete: an error when nothing was sent yet, else a close."""
        if exchange.gone or exchange.finished:
            return
        exchange.finished = True
        if not exchange.started:
            self.write(error_response(status, message, code, path=exchange.scope["raw_path"]))
        self.close()

    def answered(self, exchange: Exchange) -> None:
        """The app sent the last byte of ``exchange``'s answer."""
        self.state.total_requests += 1
        self._seen = True  # the keep-alive timeout counts from here
        if not exchange.keep_alive:
            self.close()
            return
        if self._current is exchange:
            self._current = None
        self.resume_reading()
        if self._waiting:
            self._start(self._waiting.popleft())
        elif self._due is not None:
            self._refuse(*self._due)
