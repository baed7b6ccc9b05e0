"""Turning what a provider answered (or failed to answer) into an ``UpstreamError``.

Pure functions over status codes, headers and bodies, shared by the OpenAI and
Anthropic upstreams: both vendors put the reason under ``error.message`` and its class
under ``error.type`` (OpenAI adds ``error.code``). Every message ends up safe to show
(``safe_error_text``, applied by ``UpstreamError`` itself): no URL, address or key.
"""

from __future__ import annotations

import datetime
import email.utils
from collections.abc import Mapping
from typing import Any

import orjson

from modelswap.providers.base import ErrorKind, Json, UpstreamError
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
]

_SNIPPET = 300

# error.type (Anthropic) / error.type or error.code (OpenAI) → kind and the HTTP status it stands for.
_TYPE_KINDS: dict[str, tuple[ErrorKind, int]] = {
    "invalid_request_error": ("bad_request", 400),
    "not_found_error": ("bad_request", 404),
    "request_too_large": ("bad_request", 413),
    "authentication_error": ("auth", 401),
    "permission_error": ("auth", 403),
    "insufficient_quota": ("auth", 429),
    "rate_limit_error": ("rate_limited", 429),
    "rate_limit_exceeded": ("rate_limited", 429),
    "tokens": ("rate_limited", 429),
    "requests": ("rate_limited", 429),
    "overloaded_error": ("overloaded", 529),
    "api_error": ("server", 500),
    "server_error": ("server", 500),
    "timeout_error": ("timeout", 504),
}


def kind_for_status(status: int) -> ErrorKind:
    """The error kind an HTTP status stands for (only meaningful for status >= 400)."""
    if status in (401, 403):
        return "auth"
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


def _error_fields(body: Any) -> tuple[str | None, str | None]:
    """(message, type-or-code) from either vendor's error shape, or a loose ``message``/``detail``."""
    if not isinstance(body, dict):
        return None, None
    err = body.get("error")
    if isinstance(err, dict):
        message = err.get("message")
        etype = err.get("code") if err.get("code") in _TYPE_KINDS else err.get("type")
        return (str(message) if message else None), (str(etype) if etype else None)
    if isinstance(err, str):
        return err, None
    for key in ("message", "detail"):
        if isinstance(body.get(key), str):
            return body[key], None
    return None, None


def error_from_response(
    status: int, headers: Mapping[str, str], raw: bytes, *, provider: str, now: float
) -> UpstreamError:
    """Build the error for a non-2xx answer from its status, headers and body."""
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        body = None
    message, etype = _error_fields(body)
    kind = kind_for_status(status)
    if etype == "insufficient_quota":
        kind = "auth"  # a spent quota is not cured by waiting; say so instead of retrying
    detail = message or _snippet(raw) or "(empty body)"
    label = f"{etype}: " if etype else ""
    return UpstreamError(
        f"{provider}: HTTP {status} {label}{detail}",
        kind=kind,
        status=status,
        provider=provider,
        retry_after=parse_retry_after(headers, now),
        body=body if isinstance(body, dict) else None,
    )


def stream_error(body: Json, *, provider: str) -> UpstreamError:
    """The error for an error object received inside an event stream (after HTTP 200)."""
    message, etype = _error_fields(body)
    kind, status = _TYPE_KINDS.get(etype or "", ("server", 500))
    label = f"{etype}: " if etype else ""
    return UpstreamError(
        f"{provider}: error during stream: {label}{message or 'no message'}",
        kind=kind,
        status=status,
        provider=provider,
        body=body,
    )


def protocol_error(provider: str, what: str, raw: bytes = b"", status: int = 502) -> UpstreamError:
    """The provider answered something outside its documented format."""
    shown = f": {_snippet(raw)!r}" if raw else ""
    return UpstreamError(f"{provider}: {what}{shown}", kind="protocol", status=status, provider=provider)


TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (OSError, BadResponse)
"""What the HTTP client raises when the network or the server's HTTP fails (``TimeoutError`` is an ``OSError``)."""


def transport_error(exc: BaseException, *, provider: str, timeout_s: float) -> UpstreamError:
    """Map a failure of the HTTP exchange itself to a ``timeout``, ``connection`` or ``protocol`` error.

    The message names the endpoint (``provider``), never its URL or address: it reaches the
    app (mid-stream), the records and the logs."""
    if isinstance(exc, ConnectTimeout):
        return UpstreamError(
            f"{provider}: could not connect within {exc.limit_s:g}s", kind="timeout", status=0, provider=provider
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
    elif isinstance(exc, Disconnected):
        what = f"connection dropped: {exc}"
    else:
        what = f"request failed: {os_reason(exc)}"
    return UpstreamError(f"{provider}: {what}", kind="connection", status=0, provider=provider)
