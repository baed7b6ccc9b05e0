"""A lean HTTP/1.1 client for upstream calls: asyncio protocols, httptools parsing, keep-alive pool.

The gateway pays its upstream client's cost on every request it serves. A general-purpose
client carries layers a model API call never uses (cookie jars, redirects, tracing
signals, per-request timer contexts, stream readers); on loopback they cost more CPU than
the rest of the proxy hop. This client does exactly what the providers need: ``POST`` a
body, read the status and headers, then the whole body or its chunks as they arrive, over
pooled keep-alive connections (TLS for ``https``), with a deadline or a read-silence limit.

Errors are Python's own (``ConnectionError``/``TimeoutError`` subclasses below) plus
``BadResponse`` for bytes that are not HTTP/1.1; ``providers.errors.transport_error``
turns them into ``UpstreamError``. Proxies from the environment are not used.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import zlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httptools

__all__ = [
    "BadResponse",
    "ConnectFailed",
    "ConnectTimeout",
    "Disconnected",
    "H1Client",
    "Headers",
    "ReadTimeout",
    "Response",
]

_HIGH_WATER = 1 << 20  # stop reading a stream when this much is buffered and unread
_CONNECT_TIMEOUT_S = 10.0
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class ConnectFailed(ConnectionError):
    """No connection could be opened (refused, unreachable, name not resolved, TLS failed)."""


class ConnectTimeout(TimeoutError):
    """Opening the connection took longer than the connect limit."""

    def __init__(self, limit_s: float) -> None:
        super().__init__(f"could not connect within {limit_s:g}s")
        self.limit_s = limit_s


class ReadTimeout(TimeoutError):
    """No complete answer within the request's deadline (or, for streams, too long a silence)."""


class Disconnected(ConnectionError):
    """The server closed the connection before its answer was complete."""


class BadResponse(Exception):
    """The server's bytes are not a valid HTTP/1.1 response."""


class _Stale(Exception):
    """A reused keep-alive connection was closed by the server before it answered: retry once."""


class Headers(dict[str, str]):
    """Response headers under lower-case names; lookups ignore case (repeated names are joined)."""

    def get(self, key: str, default: Any = None) -> Any:
        return dict.get(self, key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())


class Response:
    """One answer: ``status`` and ``headers`` at once, the body through ``read`` or ``iter_any``."""

    __slots__ = (
        "_buffered",
        "_chunks",
        "_complete",
        "_conn",
        "_decoder",
        "_error",
        "_headers",
        "_raw_headers",
        "_started",
        "_waiter",
        "status",
    )

    def __init__(self, conn: _Conn) -> None:
        self.status = 0
        self._conn = conn
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._headers: Headers | None = None
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._complete = False
        self._started = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._decoder: Any = None

    @property
    def headers(self) -> Headers:
        """The response headers (case-insensitive lookups)."""
        if self._headers is None:
            headers = Headers()
            for raw_name, raw_value in self._raw_headers:
                name = raw_name.decode("latin-1").lower()
                value = raw_value.decode("latin-1")
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            self._headers = headers
        return self._headers

    async def read(self) -> bytes:
        """The whole body (decoded when the server compressed it)."""
        self._conn.flow = False
        self._conn.resume()
        while not self._complete:
            if self._error is not None:
                raise self._error
            await self._wait()
        if self._error is not None:
            raise self._error
        chunks = self._chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        return data

    async def iter_any(self) -> AsyncIterator[bytes]:
        """The body as it arrives: everything buffered since the last step, one ``bytes`` a step."""
        while True:
            chunks = self._chunks
            if chunks:
                data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                chunks.clear()
                self._buffered = 0
                self._conn.resume()
                yield data
                continue
            if self._error is not None:
                raise self._error
            if self._complete:
                return
            await self._wait()

    async def _wait(self) -> None:
        waiter = self._waiter = self._conn.loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        if self._error is None and not self._complete:
            self._error = exc
        self._wake()

    def _on_body(self, data: bytes) -> None:
        if self._error is not None:
            return
        if self._decoder is not None:
            try:
                data = self._decoder.decompress(data)
            except zlib.error as exc:
                self._fail(BadResponse(f"compressed body does not decode: {exc}"))
                self._conn.close()
                return
        if data:
            self._chunks.append(data)
            self._buffered += len(data)
            if self._buffered > _HIGH_WATER and self._conn.flow:
                self._conn.pause()
            self._wake()

    def _on_complete(self) -> None:
        if self._decoder is not None:
            rest = self._decoder.flush()
            if rest:
                self._chunks.append(rest)
            if not self._decoder.eof:
                self._fail(BadResponse("compressed body ends before its compressed stream does"))
                return
        self._complete = True
        self._wake()

    def _on_headers(self, status: int) -> None:
        self.status = status
        for name, value in self._raw_headers:
            if len(name) == 16 and name.lower() == b"content-encoding":
                encoding = value.strip().lower()
                if encoding in (b"gzip", b"x-gzip", b"deflate"):
                    self._decoder = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
                elif encoding not in (b"", b"identity"):
                    self._fail(BadResponse(f"unsupported Content-Encoding {encoding.decode('latin-1')!r}"))
                    self._conn.close()
                    return
        self._wake()

    def _body_until_close(self) -> bool:
        """No length and not chunked: the body ends when the connection does (RFC 9112 §6.3)."""
        for name, value in self._raw_headers:
            lname = name.lower()
            if lname == b"content-length" or (lname == b"transfer-encoding" and b"chunked" in value.lower()):
                return False
        return True

    def release(self) -> None:
        """Give the connection back: to the pool when the answer was read whole, else closed."""
        conn = self._conn
        if conn.resp is self:
            conn.pool._release(conn, reusable=self._complete and self._error is None)


class _Conn(asyncio.Protocol):
    """One keep-alive connection; parses whatever arrives into its current ``Response``."""

    def __init__(self, pool: _OriginPool, loop: asyncio.AbstractEventLoop) -> None:
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
            resp._fail(_Stale() if self.uses > 1 else Disconnected("server closed the connection without answering"))
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


class _OriginPool:
    """Idle connections to one ``scheme://host:port``, newest first, and the count of open ones."""

    def __init__(self, client: H1Client, host: str, port: int, tls: ssl.SSLContext | None) -> None:
        self.client = client
        self.host = host
        self.port = port
        self.tls = tls
        self.idle: list[_Conn] = []
        self.closed = False

    async def acquire(self, fresh: bool, connect_timeout_s: float) -> _Conn:
        client = self.client
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while not fresh and self.idle:
                conn = self.idle.pop()
                if conn.closed or now - conn.idle_since > client.keepalive_s or conn.loop is not loop:
                    client._discard(conn, close=True)
                    continue
                return conn
            if await client._slot():
                break
        conn = _Conn(self, loop)
        try:
            async with asyncio.timeout(connect_timeout_s):
                await loop.create_connection(
                    lambda: conn, self.host, self.port, ssl=self.tls, server_hostname=self.host if self.tls else None
                )
        except TimeoutError:
            client._discard(conn)
            raise ConnectTimeout(connect_timeout_s) from None
        except (OSError, ssl.SSLError) as exc:
            client._discard(conn)
            raise ConnectFailed(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            client._discard(conn)
            raise
        return conn

    def _release(self, conn: _Conn, *, reusable: bool) -> None:
        conn.resp = None
        conn._cancel_timer()
        if reusable and conn.keep_alive and not conn.closed and not conn.paused and not self.closed:
            conn.idle_since = conn.loop.time()
            self.idle.append(conn)
            self.client._wake_one()
        else:
            conn.close()
            self.client._discard(conn)


@functools.lru_cache(maxsize=256)
def _target(url: str) -> tuple[tuple[str, str, int], str, str]:
    """(origin key, request target, Host header) for an ``http``/``https`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    default = 443 if parts.scheme == "https" else 80
    port = parts.port or default
    host = parts.hostname
    host_header = (f"[{host}]" if ":" in host else host) + ("" if port == default else f":{port}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (parts.scheme, host, port), target, host_header


class H1Client:
    """Pooled HTTP/1.1 ``POST``s; at most ``limit`` connections open at once across all origins."""

    def __init__(self, *, limit: int = 512, keepalive_s: float = 30.0, user_agent: str = "modelswap") -> None:
        self.limit = limit
        self.keepalive_s = keepalive_s
        self.connect_timeout_s = _CONNECT_TIMEOUT_S
        self._user_agent = user_agent
        self._origins: dict[tuple[str, str, int], _OriginPool] = {}
        self._open = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._tls: ssl.SSLContext | None = None

    @property
    def open_connections(self) -> int:
        """Connections open now (idle in the pool or carrying a request)."""
        return self._open

    def _origin(self, key: tuple[str, str, int]) -> _OriginPool:
        pool = self._origins.get(key)
        if pool is None:
            tls = None
            if key[0] == "https":
                if self._tls is None:
                    self._tls = ssl.create_default_context()
                tls = self._tls
            pool = self._origins[key] = _OriginPool(self, key[1], key[2], tls)
        return pool

    async def _slot(self) -> bool:
        """Count a new connection in (True), or wait for one to free up and say so (False)."""
        if self._open < self.limit:
            self._open += 1
            return True
        for pool in self._origins.values():  # an idle connection elsewhere can make room
            if pool.idle:
                self._discard(pool.idle.pop(0), close=True)
                self._open += 1
                return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._wake_one()  # woken, then cancelled: pass the turn on
            raise
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        return False

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _discard(self, conn: _Conn, *, close: bool = False) -> None:
        if close:
            conn.close()
        self._open -= 1
        self._wake_one()

    def _head(self, target: str, host: str, headers: Mapping[str, str], length: int, streaming: bool) -> bytes:
        lines = [f"POST {target} HTTP/1.1", f"Host: {host}", f"Content-Length: {length}"]
        given = {name.lower() for name in headers}
        if "user-agent" not in given:
            lines.append(f"User-Agent: {self._user_agent}")
        if "accept-encoding" not in given:
            lines.append("Accept-Encoding: " + ("identity" if streaming else "gzip, deflate"))
        for name, value in headers.items():
            if name.lower() in _OWN_HEADERS:
                continue  # framing is this client's job; a caller's copy would contradict it
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
                raise ValueError(f"header {name!r} contains a line break or a colon in its name")
            lines.append(f"{name}: {value}")
        lines.append("\r\n")
        try:
            return "\r\n".join(lines).encode("latin-1")
        except UnicodeEncodeError as exc:
            raise ValueError(f"request headers must be Latin-1 text: {exc}") from None

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float, streaming: bool
    ) -> Response:
        """Send ``POST url`` and return once the status and headers are in.

        ``timeout_s`` bounds the whole answer, or for ``streaming`` each silence between
        chunks. The caller must ``release()`` the response (``HttpPool`` does).
        """
        key, target, host = _target(url)
        head = self._head(target, host, headers, len(body), streaming)
        pool = self._origin(key)
        for attempt in (0, 1):
            conn = await pool.acquire(attempt > 0, min(self.connect_timeout_s, timeout_s))
            resp = conn.resp = Response(conn)
            conn.uses += 1
            conn.keep_alive = False
            try:
                conn.arm_timer(timeout_s, streaming)
                assert conn.transport is not None
                if len(body) < 65536:
                    conn.transport.write(head + body)
                else:
                    conn.transport.writelines((head, body))
                while not resp.status:
                    if resp._error is not None:
                        raise resp._error
                    await resp._wait()
                return resp
            except _Stale:
                pool._release(conn, reusable=False)
                continue
            except BaseException:
                pool._release(conn, reusable=False)
                raise
        raise Disconnected("server closed the connection without answering")  # pragma: no cover

    async def aclose(self) -> None:
        """Close every idle connection; connections in use close when released."""
        for pool in self._origins.values():
            pool.closed = True
            while pool.idle:
                self._discard(pool.idle.pop(), close=True)
        self._origins.clear()
