"""A vendor's error in the app's dialect: kept as the vendor said it when both speak the same
dialect, mapped faithfully when they do not.

Apps and their SDKs pick an exception from an error's status, ``type`` and ``code``: the
OpenAI SDK raises ``BadRequestError`` for a 400 and LangChain reads ``code ==
"context_length_exceeded"``; the Anthropic SDK raises ``OverloadedError`` for a 529. So the
identity a vendor gave its error is passed on, never rewritten into modelswap's own words.
Across dialects each error is first named by what it means (``Meaning``), then said the way
the app's vendor says that. Pure functions; the table is documented in docs/compatibility.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from modelswap.providers.base import Dialect, VendorError

__all__ = ["Identity", "Meaning", "identity_for", "meaning_of", "type_for_status"]

Meaning = Literal[
    "context_overflow",  # the prompt does not fit the model's context window
    "quota",  # a spent quota or spend limit (not cured by waiting)
    "rate_limit",
    "overloaded",
    "not_found",
    "too_large",
    "auth",
    "permission",
    "bad_request",
    "timeout",
    "server",
]


@dataclass(frozen=True, slots=True)
class Identity:
    """An error as one dialect's clients receive it."""

    status: int
    type: str
    message: str
    code: str | None = None
    param: str | None = None
    detail_code: str | None = None
    """Anthropic's ``error.details.error_code`` (the SDK picks some exception classes by it)."""


_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}

_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_CONTEXT_WORDS = ("prompt is too long", "exceed context limit", "maximum context length", "context window")
_QUOTA_CODES = frozenset(
    {"insufficient_quota", "enforced_spend_limit_reached", "contract_spend_limit_reached", "billing_hard_limit_reached"}
)


def type_for_status(status: int, dialect: Dialect) -> str:
    """The ``error.type`` a dialect's vendor uses for an HTTP status."""
    if dialect == "anthropic":
        return _ANTHROPIC_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


def meaning_of(error: VendorError) -> Meaning:
    """What a vendor's error means, whichever dialect worded it."""
    status, etype, code = error.status, error.type or "", error.code or ""
    lowered = error.message.lower()
    if code in _CONTEXT_CODES or (status == 400 and any(w in lowered for w in _CONTEXT_WORDS)):
        return "context_overflow"
    if code in _QUOTA_CODES or error.detail_code in _QUOTA_CODES or etype in ("insufficient_quota", "billing_error"):
        return "quota"
    if status == 429 or etype in ("rate_limit_error", "requests", "tokens"):
        return "rate_limit"
    if status in (503, 529) or etype == "overloaded_error":
        return "overloaded"
    if status in (408, 504) or etype == "timeout_error":
        return "timeout"
    if status >= 500 or etype in ("api_error", "server_error"):
        return "server"
    if status == 401 or etype == "authentication_error":
        return "auth"
    if status == 403 or etype == "permission_error":
        return "permission"
    if status == 404 or etype == "not_found_error":
        return "not_found"
    if status == 413 or etype == "request_too_large":
        return "too_large"
    return "bad_request"


def _openai(meaning: Meaning, error: VendorError, message: str) -> Identity:
    if meaning == "context_overflow":
        return Identity(400, "invalid_request_error", message, "context_length_exceeded", "messages")
    if meaning == "quota":
        return Identity(429, "insufficient_quota", message, "insufficient_quota")
    if meaning == "rate_limit":
        kind = "tokens" if "token" in message.lower() else "requests"
        return Identity(429, kind, message, "rate_limit_exceeded")
    if meaning == "not_found":
        code = "model_not_found" if "model" in message.lower() else None
        return Identity(404, "invalid_request_error", message, code, "model" if code else None)
    status = {"overloaded": 503, "timeout": 504, "server": 500, "auth": 401, "permission": 403, "too_large": 413}.get(
        meaning, error.status if 400 <= error.status < 500 else 400
    )
    return Identity(status, type_for_status(status, "openai"), message)


def _anthropic(meaning: Meaning, error: VendorError, message: str) -> Identity:
    if meaning == "context_overflow":  # the words Anthropic's clients look for
        return Identity(400, "invalid_request_error", f"prompt is too long: {message}")
    status = {
        "quota": 402,
        "rate_limit": 429,
        "overloaded": 529,
        "not_found": 404,
        "too_large": 413,
        "auth": 401,
        "permission": 403,
        "timeout": 504,
        "server": 500,
    }.get(meaning, 400)
    return Identity(status, type_for_status(status, "anthropic"), message)


def identity_for(error: VendorError, dialect: Dialect, context: str = "") -> Identity:
    """How an app speaking ``dialect`` receives ``error``; ``context`` (which model answered) is
    appended to the vendor's message, which stays first so clients that match on it still match."""
    message = f"{error.message} ({context})" if context else error.message
    if error.wire == dialect:
        status = error.status if error.status >= 400 else 500
        return Identity(
            status,
            error.type or type_for_status(status, dialect),
            message,
            error.code,
            error.param,
            error.detail_code,
        )
    meaning = meaning_of(error)
    return _anthropic(meaning, error, message) if dialect == "anthropic" else _openai(meaning, error, message)
