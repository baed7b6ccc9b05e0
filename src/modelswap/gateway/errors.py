"""Client-facing errors in each API's own shape, with messages that say what to change.

OpenAI clients get ``{"error": {"message", "type", "param", "code"}}``; Anthropic
clients (``/v1/messages``) get ``{"type": "error", "error": {"type", "message"}}``.
Nothing here ever includes a stack trace or a secret.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import orjson

from modelswap.gateway.error_identity import Identity, identity_for, type_for_status
from modelswap.providers.base import Dialect, UpstreamError, VendorError
from modelswap.providers.retry import grant_client_retry

INTERNAL_MESSAGE = "internal error in modelswap; the gateway log has the details"
"""What the app is told about a bug in modelswap (the details go to the log, never to the app)."""
SHUTDOWN_MESSAGE = "the gateway shut down before the answer was complete; retry the request"
"""What a request cut by a graceful stop's end is told, and what its record says."""


@dataclass(eq=False)  # not frozen: Python sets __traceback__ on exceptions (e.g. in contextlib)
class ClientError(Exception):
    """An error to send back to the app: HTTP status, message, and optional field/code.

    ``should_retry`` becomes the ``x-should-retry`` header the official SDKs obey (None: true
    for 408, 429 and 5xx, as the SDKs would decide). ``vendor`` is the vendor's own error, which
    then decides status, type and code per dialect (``error_identity``); ``types`` overrides
    the (OpenAI, Anthropic) ``type`` for modelswap's own errors."""

    status: int
    message: str
    param: str | None = None
    code: str | None = None
    retry_after: float | None = None
    should_retry: bool | None = None
    vendor: VendorError | None = None
    types: tuple[str, str] | None = None
    request_id: str | None = None
    """The id the request was recorded under (``None``: not recorded yet); sent in the SDKs' request-id headers."""
    vendor_headers: tuple[tuple[bytes, bytes], ...] = ()
    """The answering vendor's informative headers (rate limits, its request id), when it speaks the app's API."""

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def identity(self, dialect: Dialect) -> Identity:
        """The status, type and code an app speaking ``dialect`` receives."""
        if self.vendor is not None:
            return identity_for(self.vendor, dialect, self.message)
        if self.types is not None:
            kind = self.types[1] if dialect == "anthropic" else self.types[0]
        else:
            kind = type_for_status(self.status, dialect)
        return Identity(self.status, kind, self.message, self.code, self.param)

    def status_for(self, dialect: Dialect) -> int:
        """The HTTP status for an app speaking ``dialect`` (a vendor's 529 is a 503 in OpenAI's terms)."""
        return self.status if self.vendor is None else self.identity(dialect).status

    def body(self, dialect: Dialect) -> bytes:
        """The JSON body in the dialect's error shape."""
        ident = self.identity(dialect)
        if dialect == "anthropic":
            error: dict[str, object] = {"type": ident.type, "message": ident.message}
            if ident.detail_code is not None:
                error["details"] = {"error_code": ident.detail_code}
            return orjson.dumps({"type": "error", "error": error})
        return orjson.dumps(
            {"error": {"message": ident.message, "type": ident.type, "param": ident.param, "code": ident.code}}
        )

    def headers(self) -> list[tuple[bytes, bytes]]:
        """``content-type``, ``x-should-retry`` (always: the SDKs obey it over their own rules) and,
        when known, ``retry-after`` (whole seconds) with ``retry-after-ms`` (what the SDKs prefer)."""
        retry = self.should_retry
        if retry is None:
            retry = self.status in (408, 429) or self.status >= 500
        out = [(b"content-type", b"application/json"), (b"x-should-retry", b"true" if retry else b"false")]
        if self.retry_after is not None:
            wait = max(self.retry_after, 0.0)
            out.append((b"retry-after", str(max(1, math.ceil(wait))).encode()))
            out.append((b"retry-after-ms", str(max(1, round(wait * 1000))).encode()))
        return out


_UPSTREAM_STATUS = {
    "bad_request": 400,
    "auth": 502,  # the gateway's provider key is wrong: not the app's fault
    "quota": 429,
    "rate_limited": 429,
    "overloaded": 503,
    "server": 502,
    "timeout": 504,
    "connection": 502,
    "protocol": 502,
}

# modelswap's own words for failures no vendor worded: (OpenAI type, Anthropic type)
_OWN_TYPES = {
    "timeout": ("server_error", "timeout_error"),
    "connection": ("server_error", "api_error"),
    "protocol": ("server_error", "api_error"),
    "auth": ("server_error", "api_error"),
}


def upstream_status(exc: UpstreamError) -> int:
    """The HTTP status recorded for a provider failure: the vendor's own when it answered one
    (its request errors stay the app's), modelswap's when the exchange itself failed."""
    if exc.kind == "auth":
        return 502
    if exc.vendor is not None and exc.vendor.status >= 400:
        return exc.vendor.status
    return exc.status if exc.kind == "bad_request" and 400 <= exc.status < 500 else _UPSTREAM_STATUS[exc.kind]


def _which(endpoint: str | None, model: str | None, exc: UpstreamError) -> str:
    name = endpoint or exc.provider
    return f"{name} model ({model})" if model else f"{name} model"


def from_upstream(
    exc: UpstreamError, endpoint: str | None, model: str | None = None, *, answering: bool = True
) -> ClientError:
    """Word a provider failure for the app: the vendor's own error identity when it answered one
    (``error_identity`` maps it into the app's dialect), modelswap's words when the exchange failed.

    ``model`` (the model id behind ``endpoint``) is named in the message when given. Whether the
    app may retry (``x-should-retry``) is granted here, out of the upstream's retry budget, when
    ``answering`` (the error becomes an answer with headers, not an event inside a stream)."""
    which = _which(endpoint, model, exc)
    should_retry = grant_client_retry(exc) if answering else False
    if exc.kind == "auth":
        message = (
            f"modelswap could not authenticate to the {which}'s provider; "
            "check the API key in the environment variable named by its api_key_env"
        )
        return ClientError(
            502,
            message,
            code="upstream_auth",
            types=_OWN_TYPES["auth"],
            retry_after=exc.retry_after,
            should_retry=should_retry,
        )
    status = upstream_status(exc)
    if exc.vendor is not None:  # the message is the context the vendor's own words get
        return ClientError(
            status,
            f"from the {which} via modelswap",
            vendor=exc.vendor,
            retry_after=exc.retry_after,
            should_retry=should_retry,
        )
    if exc.kind == "bad_request":
        message = f"the {which} rejected the request: {exc.message}"
    elif exc.kind in _OWN_TYPES:
        # what went wrong on the wire, in words safe to show (UpstreamError's message names no URL,
        # address or credential); the provider's name is already in ``which``
        detail = exc.message.removeprefix(f"{exc.provider}: ")
        message = f"the {which} failed: {detail}"
    else:
        message = f"the {which} failed: {exc.kind}: {exc.message}"
    return ClientError(
        status,
        message,
        code=f"upstream_{exc.kind}",
        types=_OWN_TYPES.get(exc.kind),
        retry_after=exc.retry_after,
        should_retry=should_retry,
    )


def error_frame(exc: UpstreamError, dialect: Dialect, sequence_number: int = 0) -> bytes:
    """The error event that ends a stream whose status already went out: the vendor's own error
    (its ``type`` and ``code`` kept, as for a status) or modelswap's words for a failed exchange.
    A Responses error event carries ``sequence_number``, one more than the last event sent."""
    body = from_upstream(exc, None, answering=False).body(dialect)
    if dialect == "responses":  # the Responses API's own error event (``ResponseErrorEvent``), not a body
        error = orjson.loads(body)["error"]
        event = {
            "type": "error",
            "code": error.get("code") or error.get("type"),
            "message": error.get("message"),
            "param": error.get("param"),
            "sequence_number": sequence_number,
        }
        return b"event: error\ndata: " + orjson.dumps(event) + b"\n\n"
    if dialect == "anthropic":
        return b"event: error\ndata: " + body + b"\n\n"
    return b"data: " + body + b"\n\n"
