"""Turning what a provider answered (or failed to answer) into an ``UpstreamError``.

Pure functions over status codes, headers and bodies, shared by the OpenAI and
Anthropic upstreams: both vendors put the reason under ``error.message`` and its class
under ``error.type`` (OpenAI adds ``error.code``). Every message ends up safe to show
(``safe_error_text``, applied by ``UpstreamError`` itself): no URL, address or key.
"""

from __future__ import annotations

import datetime
import email.utils
import re
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

from modelswap.providers.base import Dialect, ErrorKind, Json, UpstreamError, VendorError
from modelswap.providers.h1 import BadResponse, ConnectFailed, ConnectTimeout, Disconnected, ReadTimeout, TooLarge
from modelswap.providers.h1.errors import os_reason
from modelswap.providers.safe_text import safe_error_text

__all__ = [
    "TRANSPORT_ERRORS",
    "error_from_response",
    "kind_for_status",
    "parse_retry_after",
    "protocol_error",
    "safe_error_text",
    "stream_error",
    "transport_error",
    "vendor_identity",
]

_SNIPPET = 300

# error.type (Anthropic) / error.type or error.code (OpenAI) → kind and the HTTP status it stands for.
_TYPE_KINDS: dict[str, tuple[ErrorKind, int]] = {
    "invalid_request_error": ("bad_request", 400),
    "not_found_error": ("bad_request", 404),
    "request_too_large": ("bad_request", 413),
    "authentication_error": ("auth", 401),
    "permission_error": ("auth", 403),
    "insufficient_quota": ("quota", 429),
    "rate_limit_error": ("rate_limited", 429),
    "rate_limit_exceeded": ("rate_limited", 429),
    "tokens": ("rate_limited", 429),
    "requests": ("rate_limited", 429),
    "overloaded_error": ("overloaded", 529),
    "api_error": ("server", 500),
    "server_error": ("server", 500),
    "timeout_error": ("timeout", 504),
    "billing_error": ("quota", 402),
}

_QUOTA_CODES = frozenset(
    {"insufficient_quota", "enforced_spend_limit_reached", "contract_spend_limit_reached", "billing_hard_limit_reached"}
)
"""Codes (OpenAI ``error.code``, Anthropic ``error.details.error_code``) of a spent quota or spend
limit: a retry fails the same way until someone raises the limit."""

_IDENTIFIER = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_PARAM = re.compile(r"[A-Za-z0-9_.:\[\]\-]{1,128}")


def kind_for_status(status: int) -> ErrorKind:
    """The error kind an HTTP status stands for (only meaningful for status >= 400)."""
    if status in (401, 403):
        return "auth"
    if status == 402:
        return "quota"
    if status == 408:
        return "timeout"
    if status == 429:
        return "rate_limited"
    if status in (503, 529):
        return "overloaded"
    if status >= 500:
        return "server"
    return "bad_request"


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP-date), else None."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: HTTP-dates are always UTC
        when = when.replace(tzinfo=datetime.UTC)
    return max(when.timestamp() - now, 0.0)


def _snippet(raw: bytes) -> str:
    text = raw[:_SNIPPET].decode("utf-8", errors="replace").strip()
    return text + ("…" if len(raw) > _SNIPPET else "")


def _word(value: Any, pattern: re.Pattern[str]) -> str | None:
    """An identity field (``type``, ``code``, ``param``) if it is a short identifier, else None:
    a hostile vendor's field is dropped, never echoed."""
    if isinstance(value, bool) or not isinstance(value, str | int) or (isinstance(value, int) and abs(value) > 2**64):
        return None
    text = str(value)
    return text if pattern.fullmatch(text) else None


def vendor_identity(body: Any) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """(message, type, code, param, details.error_code) from either vendor's error shape, or a
    loose ``message``/``detail``; each part None when absent or not what it should be."""
    if not isinstance(body, dict):
        return None, None, None, None, None
    err = body.get("error")
    if isinstance(err, dict):
        message = err.get("message")
        details = err.get("details")
        detail_code = _word(details.get("error_code"), _IDENTIFIER) if isinstance(details, dict) else None
        return (
            message if isinstance(message, str) and message else None,
            _word(err.get("type"), _IDENTIFIER),
            _word(err.get("code"), _IDENTIFIER),
            _word(err.get("param"), _PARAM),
            detail_code,
        )
    if isinstance(err, str):
        return err, None, None, None, None
    for key in ("message", "detail"):
        if isinstance(body.get(key), str):
            return body[key], None, None, None, None
    return None, None, None, None, None


def _kind_of(etype: str | None, code: str | None, detail_code: str | None) -> tuple[ErrorKind, int] | None:
    if code in _QUOTA_CODES or detail_code in _QUOTA_CODES:
        return "quota", 429
    if code in _TYPE_KINDS:
        return _TYPE_KINDS[code]
    return _TYPE_KINDS.get(etype or "")


def _label(etype: str | None, code: str | None) -> str:
    named = " ".join(part for part in (etype, code) if part)
    return f"{named}: " if named else ""


def _vendor(
    wire: Dialect,
    status: int,
    identity: tuple[str | None, str | None, str | None, str | None],
    message: str,
    *,
    should_retry: bool | None = None,
    in_stream: bool = False,
) -> VendorError:
    etype, code, param, detail_code = identity
    return VendorError(
        wire=wire,
        status=status,
        type=etype,
        code=code,
        param=param,
        detail_code=detail_code,
        message=safe_error_text(message),
        should_retry=should_retry,
        in_stream=in_stream,
    )


def _should_retry_header(headers: Mapping[str, str]) -> bool | None:
    value = (headers.get("x-should-retry") or "").strip().lower()
    return True if value == "true" else False if value == "false" else None


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    *,
    provider: str,
    now: float,
    wire: Dialect | None = None,
) -> UpstreamError:
    """Build the error for a non-2xx answer from its status, headers and body. ``wire`` (the
    dialect the vendor speaks) keeps the vendor's own identity on the error (``VendorError``)."""
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        body = None
    message, etype, code, param, detail_code = vendor_identity(body)
    kind = kind_for_status(status)
    named = _kind_of(etype, code, detail_code)
    if named is not None and named[0] == "quota":
        kind = "quota"  # a spent quota is not cured by waiting; say so instead of retrying
    detail = message or _snippet(raw) or "(empty body)"
    vendor = None
    if wire is not None:
        identity = (etype, code, param, detail_code)
        vendor = _vendor(wire, status, identity, detail, should_retry=_should_retry_header(headers))
    return UpstreamError(
        f"{provider}: HTTP {status} {_label(etype, code)}{detail}",
        kind=kind,
        status=status,
        provider=provider,
        retry_after=parse_retry_after(headers, now),
        body=body if isinstance(body, dict) else None,
        vendor=vendor,
    )


def stream_error(body: Json, *, provider: str, wire: Dialect | None = None) -> UpstreamError:
    """The error for an error object received inside an event stream (or a body after HTTP 200)."""
    message, etype, code, param, detail_code = vendor_identity(body)
    kind, status = _kind_of(etype, code, detail_code) or ("server", 500)
    vendor = None
    if wire is not None:
        vendor = _vendor(wire, status, (etype, code, param, detail_code), message or "no message", in_stream=True)
    return UpstreamError(
        f"{provider}: error during stream: {_label(etype, code)}{message or 'no message'}",
        kind=kind,
        status=status,
        provider=provider,
        body=body,
        vendor=vendor,
    )


def protocol_error(provider: str, what: str, raw: bytes = b"", status: int = 502) -> UpstreamError:
    """The provider answered something outside its documented format."""
    shown = f": {_snippet(raw)!r}" if raw else ""
    return UpstreamError(f"{provider}: {what}{shown}", kind="protocol", status=status, provider=provider)


TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (OSError, BadResponse, aiohttp.ClientError)
"""What the HTTP clients (``h1``, aiohttp) raise when the network or the server's HTTP fails
(``TimeoutError`` is an ``OSError``)."""


def _aiohttp_error(exc: aiohttp.ClientError, provider: str, timeout_s: float) -> UpstreamError:
    """aiohttp's failures in the same kinds as the ``h1`` client's: what never connected is
    ``unsent``; messages name no host, address or port (aiohttp's own do)."""

    def failed(what: str, kind: ErrorKind = "connection", *, unsent: bool = False) -> UpstreamError:
        return UpstreamError(f"{provider}: {what}", kind=kind, status=0, provider=provider, unsent=unsent)

    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return failed("could not connect in time (connect timeout)", "timeout", unsent=True)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return failed(f"no answer within {timeout_s:g}s", "timeout")
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return failed(f"could not connect: {os_reason(exc.certificate_error)}", unsent=True)
    if isinstance(exc, aiohttp.ClientConnectorError):
        via = "through the outbound proxy: " if isinstance(exc, aiohttp.ClientProxyConnectionError) else ""
        return failed(f"could not connect: {via}{os_reason(exc.os_error)}", unsent=True)
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return failed(f"could not connect: the outbound proxy refused the tunnel: {exc.status}", unsent=True)
    if isinstance(exc, aiohttp.ClientResponseError):  # the bytes were not HTTP/1.1 (or a head line was too long)
        return protocol_error(provider, f"did not answer valid HTTP/1.1: {str(exc.message)[:200]}")
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError):
        return failed("connection dropped: the server closed the connection before its answer was complete")
    if isinstance(exc, aiohttp.ClientOSError):
        return failed(f"connection dropped: {os_reason(exc)}")
    return failed(f"request failed: {type(exc).__name__}")


def transport_error(exc: BaseException, *, provider: str, timeout_s: float) -> UpstreamError:
    """Map a failure of the HTTP exchange itself to a ``timeout``, ``connection`` or ``protocol`` error.

    The message names the endpoint (``provider``), never its URL or address: it reaches the
    app (mid-stream), the records and the logs."""
    if isinstance(exc, aiohttp.ClientError):
        return _aiohttp_error(exc, provider, timeout_s)
    if isinstance(exc, ConnectTimeout):
        return UpstreamError(
            f"{provider}: could not connect within {exc.limit_s:g}s",
            kind="timeout",
            status=0,
            provider=provider,
            unsent=True,
        )
    if isinstance(exc, TimeoutError):
        what = str(exc) if isinstance(exc, ReadTimeout) else f"no answer within {timeout_s:g}s"
        return UpstreamError(f"{provider}: {what}", kind="timeout", status=0, provider=provider)
    if isinstance(exc, TooLarge):
        return protocol_error(provider, f"answer refused: {exc}")
    if isinstance(exc, BadResponse):
        return protocol_error(provider, f"did not answer valid HTTP/1.1: {exc}")
    if isinstance(exc, ConnectFailed):
        what = f"could not connect: {exc.reason}"
        return UpstreamError(f"{provider}: {what}", kind="connection", status=0, provider=provider, unsent=True)
    what = f"connection dropped: {exc}" if isinstance(exc, Disconnected) else f"request failed: {os_reason(exc)}"
    return UpstreamError(f"{provider}: {what}", kind="connection", status=0, provider=provider)
