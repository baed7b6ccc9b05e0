"""One pooled aiohttp session shared by every upstream, and the POST they all make.

The session is created lazily inside the running event loop (aiohttp binds a session
to the loop it was made in) and kept for the life of the process: keep-alive
connections and the DNS cache are what make a gateway hop cheap.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson

from modelswap.providers.base import Json, UpstreamError
from modelswap.providers.errors import error_from_response, protocol_error, transport_error
from modelswap.providers.sse import SSEEvent, SSEFrames, iter_sse

__all__ = [
    "HttpPool",
    "dumps",
    "event_json",
    "loads",
    "read_events",
    "read_frames",
    "read_json",
    "request_timeout",
    "stream_timeout",
]


def dumps(obj: Any) -> bytes:
    """Serialise a JSON body (orjson: fast, UTF-8, no spaces)."""
    return orjson.dumps(obj)


def loads(raw: bytes | str) -> Any:
    """Parse a JSON body; raises ``orjson.JSONDecodeError`` (a ``ValueError``) on bad input."""
    return orjson.loads(raw)


@functools.lru_cache(maxsize=64)
def request_timeout(timeout_s: float) -> aiohttp.ClientTimeout:
    """Whole-request budget for a non-streaming call, with a shorter socket-connect limit."""
    return aiohttp.ClientTimeout(total=timeout_s, connect=timeout_s, sock_connect=min(10.0, timeout_s))


@functools.lru_cache(maxsize=64)
def stream_timeout(timeout_s: float) -> aiohttp.ClientTimeout:
    """For streams: no total limit, but at most ``timeout_s`` of silence between chunks."""
    return aiohttp.ClientTimeout(total=None, connect=timeout_s, sock_connect=min(10.0, timeout_s), sock_read=timeout_s)


class HttpPool:
    """A shared ``aiohttp.ClientSession`` with a bounded, keep-alive connection pool."""

    def __init__(
        self,
        *,
        limit: int = 512,
        limit_per_host: int = 0,
        keepalive_s: float = 30.0,
        dns_ttl_s: int = 300,
        user_agent: str = "modelswap",
    ) -> None:
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._keepalive_s = keepalive_s
        self._dns_ttl_s = dns_ttl_s
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def session(self) -> aiohttp.ClientSession:
        """The pooled session, created on first use in the running loop."""
        loop = asyncio.get_running_loop()
        if self._session is not None and not self._session.closed:
            if self._loop is not loop:
                raise RuntimeError("HttpPool is bound to another event loop; make one pool per loop")
            return self._session
        connector = aiohttp.TCPConnector(
            limit=self._limit,
            limit_per_host=self._limit_per_host,
            keepalive_timeout=self._keepalive_s,
            ttl_dns_cache=self._dns_ttl_s,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self._user_agent},
            timeout=aiohttp.ClientTimeout(total=None),
        )
        self._loop = loop
        return self._session

    @asynccontextmanager
    async def post(
        self,
        url: str,
        body: Any,
        headers: Mapping[str, str],
        *,
        timeout_s: float,
        streaming: bool,
        provider: str,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """POST a JSON body and hold the response open; network failures become ``UpstreamError``.

        Failures while the caller reads the body inside the ``async with`` block are
        mapped too, so a dropped stream or a read timeout surfaces as ``connection`` or
        ``timeout`` rather than a raw aiohttp exception.
        """
        timeout = stream_timeout(timeout_s) if streaming else request_timeout(timeout_s)
        all_headers = {"Content-Type": "application/json", **headers}
        try:
            async with self.session().post(url, data=dumps(body), headers=all_headers, timeout=timeout) as resp:
                yield resp
        except UpstreamError:
            raise
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise transport_error(exc, provider=provider, url=url, timeout_s=timeout_s) from exc

    async def aclose(self) -> None:
        """Close the session and its connections; the pool can be used again afterwards."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


async def _raise_for_status(resp: aiohttp.ClientResponse, provider: str) -> None:
    if resp.status >= 400:
        raw = await resp.read()
        raise error_from_response(resp.status, resp.headers, raw, provider=provider, now=time.time())


async def read_json(resp: aiohttp.ClientResponse, *, provider: str) -> Json:
    """The JSON object of a successful response; an error status or a non-JSON body raises."""
    await _raise_for_status(resp, provider)
    raw = await resp.read()
    try:
        body = loads(raw)
    except ValueError:
        ctype = resp.headers.get("Content-Type", "no content-type")
        raise protocol_error(provider, f"HTTP {resp.status} body is not JSON ({ctype})", raw) from None
    if not isinstance(body, dict):
        raise protocol_error(provider, f"HTTP {resp.status} body is JSON but not an object", raw)
    return body


async def _check_stream(resp: aiohttp.ClientResponse, provider: str) -> None:
    await _raise_for_status(resp, provider)
    ctype = resp.headers.get("Content-Type", "")
    if not ctype.startswith("text/event-stream"):
        raw = await resp.read()
        raise protocol_error(
            provider, f"asked for a stream but got HTTP {resp.status} {ctype or 'no content-type'}", raw
        )


async def read_events(resp: aiohttp.ClientResponse, *, provider: str) -> AsyncIterator[SSEEvent]:
    """The server-sent events of a successful streaming response; an error status raises."""
    await _check_stream(resp, provider)
    async for event in iter_sse(resp.content.iter_any()):
        yield event


async def read_frames(
    resp: aiohttp.ClientResponse, *, provider: str
) -> AsyncIterator[list[tuple[bytes | None, SSEEvent]]]:
    """Like ``read_events``, in batches of ``(raw frame or None, event)`` per chunk read (``SSEFrames``)."""
    await _check_stream(resp, provider)
    frames = SSEFrames()
    async for chunk in resp.content.iter_any():
        batch = frames.feed(chunk)
        if batch:
            yield batch
    batch = frames.close()
    if batch:
        yield batch


def event_json(event: SSEEvent, *, provider: str) -> Json:
    """The JSON object carried by one event's ``data``; anything else is a protocol error."""
    try:
        data = loads(event.data)
    except ValueError:
        raise protocol_error(provider, "stream event data is not JSON", event.data.encode()) from None
    if not isinstance(data, dict):
        raise protocol_error(provider, "stream event data is JSON but not an object", event.data.encode())
    return data
