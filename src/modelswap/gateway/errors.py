"""Client-facing errors in each API's own shape, with messages that say what to change.

OpenAI clients get ``{"error": {"message", "type", "param", "code"}}``; Anthropic
clients (``/v1/messages``) get ``{"type": "error", "error": {"type", "message"}}``.
Nothing here ever includes a stack trace or a secret.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from modelswap.providers.base import Dialect, UpstreamError

_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    504: "api_error",
    529: "overloaded_error",
}


INTERNAL_MESSAGE = "internal error in modelswap; the gateway log has the details"
"""What the app is told about a bug in modelswap (the details go to the log, never to the app)."""


@dataclass(eq=False)  # not frozen: Python sets __traceback__ on exceptions (e.g. in contextlib)
class ClientError(Exception):
    """An error to send back to the app: HTTP status, message, and optional field/code."""

    status: int
    message: str
    param: str | None = None
    code: str | None = None
    retry_after: float | None = None
    request_id: str | None = None
    """The id the request was recorded under (``None``: not recorded yet); sent in the SDKs' request-id headers."""
    vendor_headers: tuple[tuple[bytes, bytes], ...] = ()
    """The answering vendor's informative headers (rate limits, its request id), when it speaks the app's API."""

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self, dialect: Dialect) -> bytes:
        """The JSON body in the dialect's error shape."""
        if dialect == "anthropic":
            kind = _ANTHROPIC_TYPES.get(self.status, "api_error")
            return orjson.dumps({"type": "error", "error": {"type": kind, "message": self.message}})
        kind = _OPENAI_TYPES.get(self.status, "server_error" if self.status >= 500 else "invalid_request_error")
        return orjson.dumps({"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}})

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [(b"content-type", b"application/json")]
        if self.retry_after is not None:
            out.append((b"retry-after", str(max(1, round(self.retry_after))).encode()))
        return out


_UPSTREAM_STATUS = {
    "bad_request": 400,
    "auth": 502,  # the gateway's provider key is wrong: not the app's fault
    "rate_limited": 429,
    "overloaded": 503,
    "server": 502,
    "timeout": 504,
    "connection": 502,
    "protocol": 502,
}


_TRANSPORT_KINDS = frozenset({"connection", "timeout", "protocol"})


def upstream_status(exc: UpstreamError) -> int:
    """The HTTP status the app sees for a provider failure (4xx request errors stay the app's)."""
    return exc.status if exc.kind == "bad_request" and 400 <= exc.status < 500 else _UPSTREAM_STATUS[exc.kind]


def from_upstream(exc: UpstreamError, endpoint: str, model: str | None = None) -> ClientError:
    """Word a provider failure for the app, keeping 4xx request errors as the app's to fix.

    ``model`` (the model id behind ``endpoint``) is named in the message when given."""
    status = upstream_status(exc)
    which = f"{endpoint} model ({model or exc.provider})"
    if exc.kind == "bad_request":
        message = f"the {which} rejected the request: {exc.message}"
    elif exc.kind == "auth":
        message = (
            f"modelswap could not authenticate to the {which}'s provider; "
            "check the API key in the environment variable named by its api_key_env"
        )
    elif exc.kind in _TRANSPORT_KINDS:
        # what went wrong on the wire, in words safe to show (UpstreamError's message names no URL,
        # address or credential); the provider's name is already in ``which``
        detail = exc.message.removeprefix(f"{exc.provider}: ")
        message = f"the {which} failed: {detail}"
    else:
        message = f"the {which} failed: {exc.kind}: {exc.message}"
    return ClientError(status, message, code=f"upstream_{exc.kind}", retry_after=exc.retry_after)
