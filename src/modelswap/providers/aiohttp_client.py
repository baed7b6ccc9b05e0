"""aiohttp, a maintained HTTP client, behind the small interface the upstreams use (``H1Client``'s).

The gateway's serving path keeps modelswap's own HTTP/1.1 client (``providers.h1``): it costs
a fraction of aiohttp's CPU per request (``bench/upstream_client.py``). Everything off that
path (eval runs, LLM judges, red-team runs, CLI commands) goes through aiohttp instead, where
a maintained client's breadth is worth more than CPU. ``HttpPool(client="aiohttp")`` builds it.

The same rules hold on both: the answer's ``Limits`` (head lines, a body read whole, a
decompressed body, each stream event), the three clocks of ``Timeouts`` (here the first-byte
clock starts when the request starts, connecting included), outbound proxies from the
environment, and the same errors: this module raises ``h1``'s ``ReadTimeout``, ``TooLarge``
and ``BadResponse``; aiohttp's own exceptions are mapped by ``providers.errors.transport_error``.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp

from modelswap.providers.h1.errors import BadResponse, ReadTimeout, TooLarge
from modelswap.providers.h1.limits import Limits, size_text
from modelswap.providers.h1.proxy import ProxyRules
from modelswap.providers.h1.response import Headers
from modelswap.providers.h1.timeouts import Timeouts
from modelswap.providers.h1.url import split_url

__all__ = ["AiohttpClient", "AiohttpResponse"]

_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_UNBOUNDED = 1 << 62


class _BodyMeter:
    """Counts (and, for ``gzip``/``deflate``, inflates) body bytes against one limit as they arrive."""

    def __init__(self, limit: int, encoding: str) -> None:
        self.limit = limit
        self.size = 0
        if encoding in ("gzip", "x-gzip", "deflate"):
            self._inflater: Any = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
        elif encoding in ("", "identity"):
            self._inflater = None
        else:
            raise BadResponse(f"unsupported Content-Encoding {encoding!r}")

    def take(self, data: bytes) -> bytes:
        """``data`` as the caller sees it; ``TooLarge`` past the limit (a bomb never inflates past it)."""
        if self._inflater is not None:
            try:
                data = self._inflater.decompress(data, self.limit - self.size + 1)
            except zlib.error as exc:
                raise BadResponse(f"compressed body does not decode: {exc}") from None
        return self._counted(data)

    def end(self) -> bytes:
        """What the inflater still holds once the body is complete."""
        if self._inflater is None:
            return b""
        rest = self._counted(self._inflater.flush(self.limit - self.size + 1))
        if not self._inflater.eof:
            raise BadResponse("compressed body ends before its compressed stream does")
        return rest

    def _counted(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(f"the body is larger than the {size_text(self.limit)} limit")
        return data


class AiohttpResponse:
    """One aiohttp answer with ``h1.Response``'s interface: ``status``, ``headers``, ``read``,
    ``iter_any``, the stream's progress clock and ``release``."""

    def __init__(
        self, resp: aiohttp.ClientResponse, limits: Limits, timeouts: Timeouts, deadline: float, *, streaming: bool
    ) -> None:
        self.status = resp.status
        self._streaming = streaming
        self._resp = resp
        self._limits = limits
        self._timeouts = timeouts
        self._deadline = deadline
        self._loop = asyncio.get_running_loop()
        self._last = self._loop.time()
        self._by_events = False
        self._complete = False
        headers = Headers()
        for raw_name, raw_value in resp.raw_headers:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.headers = headers

    def _meter(self, *, held: bool) -> _BodyMeter:
        """The body's meter: bounded by ``max_body_bytes`` when it is ``held`` whole or inflated,
        unbounded for a plain stream (relayed as it arrives, never held)."""
        limit = self._limits.max_body_bytes
        encoding = self.headers.get("content-encoding", "").strip().lower()
        announced = self.headers.get("content-length", "").strip()
        if held and announced.isdigit() and int(announced) > limit and encoding in ("", "identity"):
            raise TooLarge(f"the body announces {announced} bytes, over the {size_text(limit)} limit")
        return _BodyMeter(limit if held or encoding not in ("", "identity") else _UNBOUNDED, encoding)

    async def read(self) -> bytes:
        """The whole body (decoded when the server compressed it), at most ``max_body_bytes``;
        a non-streamed answer must be complete within the first-byte limit."""
        meter = self._meter(held=True)
        self._by_events = False  # read whole, a stream's silence is counted in bytes again
        chunks = [meter.take(chunk) async for chunk in self._chunks()]
        chunks.append(meter.end())
        self._complete = True
        return b"".join(chunks)

    async def iter_any(self) -> AsyncIterator[bytes]:
        """The body as it arrives, one ``bytes`` a step; a stream's silence is bounded by ``idle_s``."""
        meter = self._meter(held=False)
        async for chunk in self._chunks():
            data = meter.take(chunk)
            if data:
                yield data
        rest = meter.end()
        self._complete = True
        if rest:
            yield rest

    async def _chunks(self) -> AsyncIterator[bytes]:
        content = self._resp.content
        while True:
            if not self._streaming:
                deadline, what = self._deadline, f"no complete answer within {self._timeouts.first_byte_s:g}s"
            else:
                deadline = self._last + self._timeouts.idle_s
                kind = "stream event (comments and pings do not count)" if self._by_events else "data"
                what = f"no {kind} for {self._timeouts.idle_s:g}s"
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await content.readany()
            except TimeoutError:
                raise ReadTimeout(what) from None
            if not chunk:
                return
            if not self._by_events:
                self._last = self._loop.time()
            yield chunk

    def progress_by_events(self) -> None:
        """From now on a stream's silence is measured by ``progressed()`` calls, not by body bytes."""
        self._by_events = True
        self._last = self._loop.time()

    def progressed(self) -> None:
        """The reader saw real progress (an event): restart the stream's silence clock."""
        self._last = self._loop.time()

    def release(self) -> None:
        """Give the connection back to aiohttp's pool when the answer was read whole, else close it."""
        if self._complete:
            self._resp.release()
        else:
            self._resp.close()


class AiohttpClient:
    """Pooled ``POST``s through one ``aiohttp.ClientSession``; at most ``limit`` connections open."""

    def __init__(
        self,
        *,
        limit: int = 512,
        keepalive_s: float = 30.0,
        user_agent: str = "modelswap",
        proxies: ProxyRules | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.proxies = proxies or ProxyRules()
        self._limit = limit
        self._keepalive_s = keepalive_s
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            head = self.limits.max_head_bytes
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit, keepalive_timeout=self._keepalive_s),
                auto_decompress=False,  # inflated here, within the body limit
                max_line_size=head,
                max_field_size=head,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,  # proxies come from ``ProxyRules``, as on the serving path
            )
        return self._session

    def _headers(self, headers: Mapping[str, str], streaming: bool, content_type: str) -> dict[str, str]:
        given = {name.lower() for name in headers}
        out = {name: value for name, value in headers.items() if name.lower() not in _OWN_HEADERS}
        defaults = {
            "Content-Type": content_type,
            "User-Agent": self._user_agent,
            "Accept-Encoding": "identity" if streaming else "gzip, deflate",
        }
        out.update({name: value for name, value in defaults.items() if name.lower() not in given})
        return out

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout_s: float | Timeouts,
        streaming: bool,
        content_type: str = "application/json",
    ) -> AiohttpResponse:
        """Send ``POST url`` and return once the status and headers are in (``H1Client.post``'s contract)."""
        timeouts = Timeouts.of(timeout_s)
        key, target, host = split_url(url)
        url = f"{key[0]}://{host}{target}"  # credentials in the URL are not sent (as on the serving path)
        proxy = self.proxies.for_origin(*key)
        proxy_url = f"http://{proxy.where}" if proxy is not None else None
        proxy_headers = {"Proxy-Authorization": proxy.authorization} if proxy and proxy.authorization else None
        deadline = asyncio.get_running_loop().time() + timeouts.first_byte_s
        try:
            async with asyncio.timeout_at(deadline):
                resp = await self._client().post(
                    url,
                    data=body,
                    headers=self._headers(headers, streaming, content_type),
                    proxy=proxy_url,
                    proxy_headers=proxy_headers,
                    timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeouts.connect_s),
                    allow_redirects=False,
                )
        except aiohttp.ClientError:
            raise
        except TimeoutError:
            raise ReadTimeout(f"no answer within {timeouts.first_byte_s:g}s (first-byte timeout)") from None
        return AiohttpResponse(resp, self.limits, timeouts, deadline, streaming=streaming)

    async def aclose(self) -> None:
        """Close the session and its connections; a later ``post`` opens a new one."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
