"""The pool of keep-alive connections per origin, and the ``POST`` the providers make through it."""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Mapping

from modelswap.providers.h1.connection import Connection
from modelswap.providers.h1.errors import ConnectFailed, ConnectTimeout, os_reason
from modelswap.providers.h1.limits import Limits
from modelswap.providers.h1.proxy import OutboundProxy, ProxyRules
from modelswap.providers.h1.response import Response
from modelswap.providers.h1.url import Origin, split_url

__all__ = ["H1Client", "OriginPool"]

_CONNECT_TIMEOUT_S = 10.0
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class OriginPool:
    """Idle connections to one ``scheme://host:port``, newest first, and the count of open ones."""

    def __init__(
        self, client: H1Client, host: str, port: int, tls: ssl.SSLContext | None, proxy: OutboundProxy | None = None
    ) -> None:
        self.client = client
        self.host = host
        self.port = port
        self.tls = tls
        self.proxy = proxy
        # an http origin behind a proxy: requests go to the proxy, in absolute form, with its credentials
        self.forward = proxy if proxy is not None and tls is None else None
        self.idle: list[Connection] = []
        self.closed = False

    async def acquire(self, connect_timeout_s: float) -> Connection:
        client = self.client
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self.idle:
                conn = self.idle.pop()
                if conn.closed or now - conn.idle_since > client.keepalive_s or conn.loop is not loop:
                    client._discard(conn, close=True)
                    continue
                if conn.readable():  # closed by the server (its FIN not yet seen by the loop): not sent
                    client._discard(conn, close=True)
                    continue
                return conn
            if await client._slot():
                break
        conn = Connection(self, loop)
        try:
            async with asyncio.timeout(connect_timeout_s):
                await self._open(conn, loop)
        except TimeoutError:
            client._discard(conn)
            raise ConnectTimeout(connect_timeout_s) from None
        except ConnectFailed:
            client._discard(conn)
            raise
        except (OSError, ssl.SSLError) as exc:
            client._discard(conn)
            via = f" through the proxy {self.proxy.where}" if self.proxy is not None else ""
            reason = ("through the outbound proxy: " if self.proxy is not None else "") + os_reason(exc)
            raise ConnectFailed(f"{type(exc).__name__}{via}: {exc}", reason) from exc
        except BaseException:
            client._discard(conn)
            raise
        return conn

    async def _open(self, conn: Connection, loop: asyncio.AbstractEventLoop) -> None:
        """Connect ``conn``: directly, to the proxy (http origins), or through a tunnel (https ones)."""
        host, port, tls, proxy = self.host, self.port, self.tls, self.proxy
        if proxy is None:
            await loop.create_connection(lambda: conn, host, port, ssl=tls, server_hostname=host if tls else None)
        elif tls is None:
            await loop.create_connection(lambda: conn, proxy.host, proxy.port)
        else:
            await self._tunnel(conn, proxy, tls, loop)

    async def _tunnel(
        self, conn: Connection, proxy: OutboundProxy, tls: ssl.SSLContext, loop: asyncio.AbstractEventLoop
    ) -> None:
        """Open a ``CONNECT`` tunnel through ``proxy`` and run TLS with the origin inside it."""
        tunnel = _Tunnel(loop)
        raw, _ = await loop.create_connection(lambda: tunnel, proxy.host, proxy.port)
        try:
            authority = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
            lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
            if proxy.authorization:
                lines.append(f"Proxy-Authorization: {proxy.authorization}")
            raw.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            status, reason = await tunnel.answer
            if not 200 <= status < 300:
                raise ConnectFailed(
                    f"the proxy {proxy.where} refused the tunnel to {authority}: {status} {reason}",
                    f"the outbound proxy refused the tunnel: {status} {reason}",
                )
            transport = await loop.start_tls(raw, conn, tls, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
        if transport is None:  # pragma: no cover - the loop closed the connection during the handshake
            raise ConnectFailed(
                f"the TLS handshake with {authority} through the proxy {proxy.where} did not finish",
                "the TLS handshake through the outbound proxy did not finish",
            )
        conn.connection_made(transport)

    @property
    def max_head_bytes(self) -> int:
        return self.client.limits.max_head_bytes

    def lost_while_idle(self, conn: Connection) -> None:
        if conn in self.idle:
            self.idle.remove(conn)
            self.client._discard(conn)

    def release(self, conn: Connection, *, reusable: bool) -> None:
        conn.resp = None
        conn._cancel_timer()
        if reusable and conn.keep_alive and not conn.closed and not conn.paused and not self.closed:
            conn.idle_since = conn.loop.time()
            self.idle.append(conn)
            self.client._wake_one()
        else:
            conn.close()
            self.client._discard(conn)


class _Tunnel(asyncio.Protocol):
    """Reads a proxy's answer to ``CONNECT`` (status line and headers, nothing after them)."""

    _LIMIT = 65_536

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.buffer = bytearray()
        self.answer: asyncio.Future[tuple[int, str]] = loop.create_future()

    def data_received(self, data: bytes) -> None:
        if self.answer.done():
            return
        self.buffer += data
        head, found, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        if not found:
            if len(self.buffer) > self._LIMIT:
                self.answer.set_exception(ConnectFailed("the proxy's answer to CONNECT has no end of headers"))
            return
        first = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        if len(first) < 2 or not first[0].startswith("HTTP/") or not first[1].isdecimal():
            self.answer.set_exception(ConnectFailed(f"the proxy's answer to CONNECT is not HTTP: {first[0][:40]!r}"))
        elif rest:
            self.answer.set_exception(ConnectFailed("the proxy sent bytes after its answer to CONNECT"))
        else:
            self.answer.set_result((int(first[1]), first[2] if len(first) > 2 else ""))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answer.done():
            self.answer.set_exception(ConnectFailed("the proxy closed the connection before answering CONNECT"))


class H1Client:
    """Pooled HTTP/1.1 ``POST``s; at most ``limit`` connections open at once across all origins."""

    def __init__(
        self,
        *,
        limit: int = 512,
        keepalive_s: float = 30.0,
        user_agent: str = "modelswap",
        proxies: ProxyRules | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.limit = limit
        self.limits = limits or Limits()
        self.proxies = proxies or ProxyRules()
        self.keepalive_s = keepalive_s
        self.connect_timeout_s = _CONNECT_TIMEOUT_S
        self._user_agent = user_agent
        self._origins: dict[Origin, OriginPool] = {}
        self._open = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._tls: ssl.SSLContext | None = None

    @property
    def open_connections(self) -> int:
        """Connections open now (idle in the pool or carrying a request)."""
        return self._open

    def _origin(self, key: Origin) -> OriginPool:
        pool = self._origins.get(key)
        if pool is None:
            tls = None
            if key[0] == "https":
                if self._tls is None:
                    self._tls = ssl.create_default_context()
                tls = self._tls
            proxy = self.proxies.for_origin(*key)
            pool = self._origins[key] = OriginPool(self, key[1], key[2], tls, proxy)
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

    def _discard(self, conn: Connection, *, close: bool = False) -> None:
        if close:
            conn.close()
        self._open -= 1
        self._wake_one()

    def _head(
        self, target: str, host: str, headers: Mapping[str, str], length: int, streaming: bool, content_type: str
    ) -> bytes:
        lines = [f"POST {target} HTTP/1.1", f"Host: {host}", f"Content-Length: {length}"]
        given = {name.lower() for name in headers}
        if "content-type" not in given:
            lines.append(f"Content-Type: {content_type}")
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
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout_s: float,
        streaming: bool,
        content_type: str = "application/json",
    ) -> Response:
        """Send ``POST url`` and return once the status and headers are in.

        ``timeout_s`` bounds the whole answer, or for ``streaming`` each silence between
        chunks. The caller must ``release()`` the response (``HttpPool`` does).
        """
        key, target, host = split_url(url)
        pool = self._origin(key)
        if pool.forward is None:
            head = self._head(target, host, headers, len(body), streaming, content_type)
        else:  # through a proxy: the absolute URL as the target, and the proxy's credentials
            absolute = f"http://{host}{target}"
            auth = {"Proxy-Authorization": pool.forward.authorization} if pool.forward.authorization else {}
            head = self._head(absolute, host, {**headers, **auth}, len(body), streaming, content_type)
        conn = await pool.acquire(min(self.connect_timeout_s, timeout_s))
        resp = conn.resp = Response(conn, self.limits.max_body_bytes, streaming=streaming)
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
        except BaseException:
            pool.release(conn, reusable=False)
            raise
        return resp

    async def aclose(self) -> None:
        """Close every idle connection; connections in use close when released."""
        for pool in self._origins.values():
            pool.closed = True
            while pool.idle:
                self._discard(pool.idle.pop(), close=True)
        self._origins.clear()
