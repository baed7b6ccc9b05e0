"""Passing a request to a vendor unchanged: any method and path, both bodies streamed.

For the endpoints modelswap does not migrate (embeddings, files, moderations, count_tokens, any
other ``/v1/*``) and for models it does not migrate. The app's body is sent as it arrives and
the vendor's answer relayed as it comes (compressed bodies stay compressed), so neither is ever
held whole. The vendor gets the endpoint's credentials, never the app's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import quote

import aiohttp
from yarl import URL

from modelswap.config import proxy_environment
from modelswap.providers.base import Dialect, UpstreamError
from modelswap.providers.forwarding import forwarded_request_headers
from modelswap.providers.h1 import ProxyRules
from modelswap.providers.h1.proxy import OutboundProxy

__all__ = ["PassthroughClient", "Vendor", "VendorAnswer"]

DEFAULT_ANTHROPIC_VERSION = "2023-06-01"
_PATH_SAFE = "/-._~!$&'()*+,;=:@%"
_QUERY_SAFE = _PATH_SAFE + "?"
_BODY_HEADERS = frozenset({"content-type", "content-length", "accept", "accept-encoding"})
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


@dataclass(frozen=True, slots=True)
class Vendor:
    """Where an endpoint's vendor listens, as requests passed through need it."""

    endpoint: str
    wire: Dialect
    base_url: str
    """``https://api.openai.com/v1`` (OpenAI's wire: with the version) or ``https://api.anthropic.com``."""
    api_key: str
    timeout_s: float = 60.0
    """Longest wait for the vendor's answer to start, and longest pause while it streams."""
    model: str = ""
    """The endpoint's model (its catalog vendor says which other models this vendor serves)."""

    def url(self, path: str, query: str = "") -> str:
        """The vendor URL for an app's ``/v1/...`` path."""
        base = self.base_url.rstrip("/")
        if self.wire != "anthropic" and base.endswith("/v1"):
            path = path.removeprefix("/v1")
        return base + quote(path, safe=_PATH_SAFE) + (f"?{quote(query, safe=_QUERY_SAFE)}" if query else "")

    def headers(self, app_headers: Mapping[str, str]) -> dict[str, str]:
        """What the vendor is sent: the app's body headers and those allowed to this vendor, then
        the endpoint's credentials."""
        out = {k: v for k, v in app_headers.items() if k in _BODY_HEADERS}
        out.update(forwarded_request_headers(app_headers, self.wire))
        if self.wire == "anthropic":
            out.setdefault("anthropic-version", DEFAULT_ANTHROPIC_VERSION)
            if self.api_key:
                out["x-api-key"] = self.api_key
        elif self.api_key:
            out["authorization"] = f"Bearer {self.api_key}"
        return out


class VendorAnswer:
    """A vendor's answer, open: ``status``, ``headers`` (hop-by-hop ones removed) and ``chunks()``."""

    def __init__(self, response: aiohttp.ClientResponse, vendor: Vendor) -> None:
        self._response = response
        self._vendor = vendor
        self.status = response.status
        self.headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP]

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (a network failure mid-body is an ``UpstreamError``)."""
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _failure(exc, self._vendor) from None

    def release(self) -> None:
        self._response.release()


class PassthroughClient:
    """One pooled client for every request passed through, bound to the loop it first runs in."""

    def __init__(self, proxies: ProxyRules | None = None) -> None:
        self._proxies = proxies if proxies is not None else ProxyRules.from_env(proxy_environment())
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                auto_decompress=False,  # relayed as sent, with its content-encoding
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
                connector=aiohttp.TCPConnector(limit=256, enable_cleanup_closed=True),
            )
        return self._session

    def send(
        self,
        vendor: Vendor,
        method: str,
        path: str,
        query: str,
        app_headers: Mapping[str, str],
        body: AsyncIterator[bytes] | bytes | None,
    ) -> _Sending:
        """``async with client.send(...) as answer``: the vendor's answer, released on exit.
        Connecting or waiting fails as an ``UpstreamError`` that names no URL or key."""
        url = vendor.url(path, query)
        return _Sending(
            self._client(), self._proxies.for_url(url), vendor, (method, url), vendor.headers(app_headers), body
        )

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


class _Sending:
    __slots__ = ("_answer", "_body", "_headers", "_method", "_proxy", "_session", "_url", "_vendor")

    def __init__(
        self,
        session: aiohttp.ClientSession,
        proxy: OutboundProxy | None,
        vendor: Vendor,
        target: tuple[str, str],
        headers: dict[str, str],
        body: AsyncIterator[bytes] | bytes | None,
    ) -> None:
        self._session, self._proxy, self._vendor = session, proxy, vendor
        self._method, self._url = target
        self._headers = headers
        self._body = body
        self._answer: VendorAnswer | None = None

    async def __aenter__(self) -> VendorAnswer:
        proxy = self._proxy
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=min(self._vendor.timeout_s, 30.0), sock_read=self._vendor.timeout_s
        )
        try:
            response = await self._session.request(
                self._method,
                URL(self._url, encoded=True),
                headers=self._headers,
                data=self._body,
                timeout=timeout,
                proxy=f"http://{proxy.host}:{proxy.port}" if proxy is not None else None,
                proxy_headers={"Proxy-Authorization": proxy.authorization}
                if proxy is not None and proxy.authorization
                else None,
                allow_redirects=False,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _failure(exc, self._vendor) from None
        except ValueError as exc:  # a path or header the HTTP client will not send
            message = f"{self._vendor.endpoint}: the request cannot be passed through ({type(exc).__name__})"
            raise UpstreamError(message, kind="bad_request", status=400, provider=self._vendor.endpoint) from None
        self._answer = VendorAnswer(response, self._vendor)
        return self._answer

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._answer is not None:
            self._answer.release()


def _failure(exc: BaseException, vendor: Vendor) -> UpstreamError:
    """A transport failure in words safe to show: what happened, never where or with which key."""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return UpstreamError(
            f"{vendor.endpoint}: no answer within {vendor.timeout_s:g} s",
            kind="timeout",
            status=504,
            provider=vendor.endpoint,
        )
    return UpstreamError(
        f"{vendor.endpoint}: connection failed ({type(exc).__name__})",
        kind="connection",
        status=502,
        provider=vendor.endpoint,
    )
