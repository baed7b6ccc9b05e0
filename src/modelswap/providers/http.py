"""One pooled HTTP client shared by every upstream, and the POST they all make.

The client (``providers.h1``) keeps keep-alive connections per origin for the life of the
process: reused connections are what make a gateway hop cheap. It binds to the event loop
it first runs in.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import Any, Literal, Protocol

import orjson

from modelswap.config import proxy_environment
from modelswap.providers.base import Dialect, Frames, Json, UpstreamError
from modelswap.providers.closing import aclosing_iter
from modelswap.providers.errors import TRANSPORT_ERRORS, error_from_response, protocol_error, transport_error
from modelswap.providers.forwarding import large_request, note_answer
from modelswap.providers.h1 import H1Client, Headers, Limits, ProxyRules, Response, Timeouts
from modelswap.providers.h1.url import split_url
from modelswap.providers.sse import EventTooLarge, SSEEvent, SSEFrames

__all__ = [
    "Answer",
    "ClientKind",
    "EventTake",
    "Exchange",
    "HttpClient",
    "HttpPool",
    "Response",
    "checked_frames",
    "dumps",
    "event_json",
    "frame_events",
    "loads",
    "read_frames",
    "read_json",
]


_CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization"})


def dumps(obj: Any) -> bytes:
    """Serialise a JSON body (orjson: fast, UTF-8, no spaces)."""
    return orjson.dumps(obj)


def _encode(body: Any) -> bytes:
    """A request body for the wire: ``dumps``, or for a large app request the standard library's
    encoder (its peak memory is twice the output, orjson's up to nine times); what it cannot
    encode as strict JSON (NaN, lone surrogates) goes to ``dumps``, which has the last word."""
    if large_request():
        try:
            return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        except (TypeError, ValueError):
            pass
    return dumps(body)


def loads(raw: bytes | str) -> Any:
    """Parse a JSON body; raises ``orjson.JSONDecodeError`` (a ``ValueError``) on bad input."""
    return orjson.loads(raw)


class Answer(Protocol):
    """One response as the upstreams read it (``h1.Response``, ``AiohttpResponse``)."""

    status: int

    @property
    def headers(self) -> Headers: ...
    async def read(self) -> bytes: ...
    def iter_any(self) -> AsyncIterator[bytes]: ...
    def progress_by_events(self) -> None: ...
    def progressed(self) -> None: ...
    def release(self) -> None: ...


class HttpClient(Protocol):
    """The pooled client under an ``HttpPool`` (``H1Client``, ``AiohttpClient``)."""

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float | Timeouts, streaming: bool
    ) -> Answer: ...
    async def aclose(self) -> None: ...


ClientKind = Literal["h1", "aiohttp"]
"""Which client a pool drives: ``h1`` (modelswap's own, the serving path) or ``aiohttp`` (every other caller)."""


def _client_class(kind: ClientKind) -> Callable[..., HttpClient]:
    if kind == "h1":
        return H1Client
    if kind == "aiohttp":
        from modelswap.providers.aiohttp_client import AiohttpClient

        return AiohttpClient
    raise ValueError(f"unknown HTTP client {kind!r}; use 'h1' or 'aiohttp'")


class HttpPool:
    """A shared keep-alive HTTP client with at most ``limit`` connections open at once.

    ``client`` chooses the client under it: ``h1`` (modelswap's own, cheapest in CPU: the
    gateway's serving path) or ``aiohttp`` (maintained; evals, judges, red-team runs, the CLI).
    The upstreams see the same interface, limits, timeouts and errors from either.
    """

    def __init__(
        self,
        *,
        limit: int = 512,
        keepalive_s: float = 30.0,
        user_agent: str = "modelswap",
        proxies: ProxyRules | None = None,
        limits: Limits | None = None,
        client: ClientKind = "h1",
    ) -> None:
        """``proxies`` default to the environment's (``HTTPS_PROXY``, ``NO_PROXY``...); a malformed
        proxy variable is a ``ValueError`` here, at start-up, not on the first request. ``limits``
        bound what an answer may weigh (``Limits``: 64 KiB of head, 32 MiB of body, 4 MiB per event)."""
        self.limits = limits or Limits()
        self.kind = client
        self._new_client = functools.partial(
            _client_class(client),
            limit=limit,
            keepalive_s=keepalive_s,
            user_agent=user_agent,
            proxies=proxies if proxies is not None else ProxyRules.from_env(proxy_environment()),
            limits=self.limits,
        )
        self._client: HttpClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def client(self) -> HttpClient:
        """The pooled client, created on first use in the running loop."""
        loop = asyncio.get_running_loop()
        if self._client is not None:
            if self._loop is not loop:
                raise RuntimeError("HttpPool is bound to another event loop; make one pool per loop")
            return self._client
        self._client = self._new_client()
        self._loop = loop
        return self._client

    def post(
        self,
        url: str,
        body: Any,
        headers: Mapping[str, str],
        *,
        timeout_s: float | Timeouts,
        streaming: bool,
        provider: str,
    ) -> Exchange:
        """POST a JSON body and hold the response open (``async with pool.post(...) as resp``).

        Network failures become ``UpstreamError`` (``timeout``, ``connection``, or ``protocol``
        for an answer past the pool's ``Limits``), also those that happen while the caller reads
        the body inside the ``async with`` block. An ``UpstreamError`` leaving the block never
        shows the URL, the address or a credential header's value.
        """
        client = self.client()
        timeouts = Timeouts.of(timeout_s)
        return Exchange(client, url, _encode(body), headers, timeouts, streaming, provider, self.limits.max_event_bytes)

    async def aclose(self) -> None:
        """Close the idle connections; the pool can be used again afterwards."""
        if self._client is not None:
            client, self._client = self._client, None
            self._loop = None
            await client.aclose()


class Exchange:
    """One request's ``async with``: sends on enter, releases the connection on exit."""

    __slots__ = (
        "_body",
        "_client",
        "_headers",
        "_provider",
        "_resp",
        "_streaming",
        "_timeout_s",
        "_url",
        "max_event_bytes",
    )

    def __init__(
        self,
        client: HttpClient,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        timeout_s: Timeouts,
        streaming: bool,
        provider: str,
        max_event_bytes: int,
    ) -> None:
        self.max_event_bytes = max_event_bytes
        self._client = client
        self._url = url
        self._body = body
        self._headers = headers
        self._timeout_s = timeout_s
        self._streaming = streaming
        self._provider = provider
        self._resp: Answer | None = None

    async def __aenter__(self) -> Answer:
        try:
            self._resp = await self._client.post(
                self._url, self._body, self._headers, timeout_s=self._timeout_s, streaming=self._streaming
            )
        except TRANSPORT_ERRORS as exc:
            raise self._hidden(
                transport_error(exc, provider=self._provider, timeout_s=self._timeout_s.first_byte_s)
            ) from exc
        note_answer(self._resp.headers.items())
        return self._resp

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._resp is not None:
            self._resp.release()
        if isinstance(exc, TRANSPORT_ERRORS):  # a read inside the block failed on the network
            raise self._hidden(
                transport_error(exc, provider=self._provider, timeout_s=self._timeout_s.first_byte_s)
            ) from exc
        if isinstance(exc, UpstreamError):  # the vendor's own words may echo what it was sent
            self._hidden(exc)

    def _hidden(self, exc: UpstreamError) -> UpstreamError:
        """``exc`` with this request's credentials and address taken out of its message."""
        secrets = [value for name, value in self._headers.items() if name.lower() in _CREDENTIAL_HEADERS]
        secrets += [value.split(" ", 1)[1] for value in secrets if " " in value]  # "Bearer <key>"
        try:
            (_, host, _), _, _ = split_url(self._url)
        except ValueError:
            host = ""
        exc.hide([self._url, *secrets, host])
        return exc


async def _raise_for_status(resp: Answer, provider: str, wire: Dialect | None) -> None:
    if resp.status >= 400:
        raw = await resp.read()
        raise error_from_response(resp.status, resp.headers, raw, provider=provider, now=time.time(), wire=wire)


async def read_json(resp: Answer, *, provider: str, wire: Dialect | None = None) -> Json:
    """The JSON object of a successful response; an error status or a non-JSON body raises
    (with the vendor's own error identity when ``wire`` names the dialect it speaks)."""
    await _raise_for_status(resp, provider, wire)
    raw = await resp.read()
    try:
        body = loads(raw)
    except ValueError:
        ctype = resp.headers.get("Content-Type", "no content-type")
        raise protocol_error(provider, f"HTTP {resp.status} body is not JSON ({ctype})", raw) from None
    if not isinstance(body, dict):
        raise protocol_error(provider, f"HTTP {resp.status} body is JSON but not an object", raw)
    return body


async def _check_stream(resp: Answer, provider: str, wire: Dialect | None) -> None:
    await _raise_for_status(resp, provider, wire)
    ctype = resp.headers.get("Content-Type", "")
    if not ctype.startswith("text/event-stream"):
        raw = await resp.read()
        raise protocol_error(
            provider, f"asked for a stream but got HTTP {resp.status} {ctype or 'no content-type'}", raw
        )


async def read_frames(
    resp: Answer, *, provider: str, max_event_bytes: int = Limits().max_event_bytes, wire: Dialect | None = None
) -> AsyncIterator[list[tuple[bytes | None, SSEEvent]]]:
    """The server-sent events of a successful streaming response, in batches of ``(raw frame or None,
    event)`` per chunk read (``SSEFrames``); an error status, or an event past ``max_event_bytes``,
    raises."""
    await _check_stream(resp, provider, wire)
    frames = SSEFrames(max_event_bytes)
    try:
        async for chunk in resp.iter_any():
            batch = frames.feed(chunk)
            if batch:
                yield batch
        batch = frames.close()
    except EventTooLarge as exc:
        raise protocol_error(provider, f"answer refused: {exc}") from None
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


EventTake = Callable[[SSEEvent], tuple[Json | None, bool]]
"""Judges one stream event: (its JSON object to deliver or None, whether the stream ends here);
raises ``UpstreamError`` for an error event or a malformed one."""


async def checked_frames(
    exchange: Exchange,
    *,
    provider: str,
    take: EventTake,
    ended_anyway: Callable[[], bool],
    unfinished: str,
    wire: Dialect | None = None,
) -> AsyncIterator[Frames]:
    """A stream's events as judged by ``take``, with their raw frames, batched per chunk read.

    What came before a failing event is delivered first, then the failure raises. After the
    end marker the rest is read and dropped, so the connection can be reused. A stream that
    closes before its end marker raises a ``connection`` error unless ``ended_anyway()``.
    """
    ended = False
    async with exchange as resp:
        resp.progress_by_events()
        async for batch in read_frames(resp, provider=provider, max_event_bytes=exchange.max_event_bytes, wire=wire):
            if ended:
                continue
            out: Frames = []
            failure: UpstreamError | None = None
            for raw, event in batch:
                try:
                    data, ended = take(event)
                except UpstreamError as exc:
                    failure = exc
                    break
                if data is not None:
                    out.append((raw, data))
                if ended:
                    break
            if out:
                for _, data in out:
                    if data.get("type") != "ping":  # pings are keep-alives: they do not hold a stream open
                        resp.progressed()
                        break
                yield out
            if failure is not None:
                raise failure
    if not (ended or ended_anyway()):
        raise UpstreamError(f"{provider}: {unfinished}", kind="connection", status=0, provider=provider)


async def frame_events(batches: AsyncIterator[Frames]) -> AsyncIterator[Json]:
    """The events of ``stream_frames`` one by one (what ``Upstream.stream`` yields)."""
    async with aclosing_iter(batches) as frames:
        async for batch in frames:
            for _, event in batch:
                yield event
