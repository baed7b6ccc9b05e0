"""Headers that travel between the app and the vendor: which of the app's reach the vendor, and
which of the vendor's reach the app.

The app's headers go only to a vendor that speaks its API (``anthropic-beta`` to Anthropic,
``OpenAI-Project`` to OpenAI), from an allow-list: never its credentials, cookies or the
gateway's own ``x-modelswap-*`` headers. The vendor's informative headers (rate limits,
processing time, its request id) come back when the vendor that answered speaks the app's
dialect; its request id comes back as ``x-upstream-request-id``, since the SDKs' request-id
header carries modelswap's own id (the one its records are stored under).

On the chat paths, one request's headers ride in a context variable (``begin``), so the
native upstreams add them to the request they send (``outgoing``) and note the answer's
(``note_answer``) without every wrapper passing them along; a shadow copy runs in another
task and carries none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

from modelswap.providers.base import Dialect

__all__ = [
    "UPSTREAM_REQUEST_ID",
    "Exchange",
    "answer_headers",
    "begin",
    "for_a_copy",
    "forwarded_request_headers",
    "large_request",
    "note_answer",
    "outgoing",
]

_COMMON_REQUEST = frozenset({"idempotency-key"})
_VENDOR_PREFIX: dict[Dialect, str] = {"openai": "openai-", "responses": "openai-", "anthropic": "anthropic-"}
_NEVER = frozenset({"openai-api-key", "anthropic-api-key"})

_ANSWER_EXACT = frozenset({"openai-processing-ms", "openai-version", "retry-after", "retry-after-ms"})
_ANSWER_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-")
_VENDOR_REQUEST_IDS = frozenset({"x-request-id", "request-id"})
UPSTREAM_REQUEST_ID = "x-upstream-request-id"
"""The header the vendor's own request id is passed back in."""


def forwarded_request_headers(headers: Mapping[str, str], wire: Dialect) -> dict[str, str]:
    """The app's headers (by lower-case name) that go to a vendor speaking ``wire``."""
    prefix = _VENDOR_PREFIX[wire]
    return {
        name: value
        for name, value in headers.items()
        if (name in _COMMON_REQUEST or name.startswith(prefix)) and name not in _NEVER
    }


def answer_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """The vendor's answer headers the app gets back, as ASGI header pairs (its request id renamed)."""
    out, vendor_id = [], False
    for name, value in headers:
        low = name.lower()
        if low in _VENDOR_REQUEST_IDS:
            if not vendor_id:  # a vendor sending both names sends one id
                out.append((UPSTREAM_REQUEST_ID.encode(), value.encode("latin-1")))
                vendor_id = True
        elif low in _ANSWER_EXACT or low.startswith(_ANSWER_PREFIXES):
            out.append((low.encode(), value.encode("latin-1")))
    return out


LARGE_BODY_BYTES = 1 << 20
"""An app body above this (an inline image or PDF) is encoded for the vendor with the standard
library: orjson's encoder peaks near nine times a long string's size (bench/large_body.py)."""


@dataclass(slots=True)
class Exchange:
    """One chat request's headers: the app's, and the last vendor answer's pass-through ones."""

    sent: Mapping[str, str]
    received: list[tuple[bytes, bytes]] = field(default_factory=list)

    @property
    def large(self) -> bool:
        """Whether the app's body was declared larger than ``LARGE_BODY_BYTES``."""
        size = self.sent.get("content-length", "")
        return size.isascii() and size.isdecimal() and int(size) > LARGE_BODY_BYTES


_CURRENT: ContextVar[Exchange | None] = ContextVar("modelswap_exchange", default=None)


def begin(app_headers: Mapping[str, str]) -> Exchange:
    """Start carrying this request's headers (in the current task and the tasks it starts)."""
    exchange = Exchange(app_headers)
    _CURRENT.set(exchange)
    return exchange


def outgoing(headers: Mapping[str, str], wire: Dialect) -> Mapping[str, str]:
    """``headers`` plus the current request's app headers allowed to a ``wire`` vendor (the app's
    win: an Anthropic app's ``anthropic-version`` replaces the default)."""
    exchange = _CURRENT.get()
    if exchange is None:
        return headers
    extra = forwarded_request_headers(exchange.sent, wire)
    if not extra:
        return headers
    merged = {k: v for k, v in headers.items() if k.lower() not in extra}
    merged.update(extra)
    return merged


def large_request() -> bool:
    """Whether the current request's body is large (see ``LARGE_BODY_BYTES``)."""
    exchange = _CURRENT.get()
    return exchange is not None and exchange.large


def for_a_copy() -> dict[str, str]:
    """What a shadow copy of the current request carries: its size, none of the app's headers (an
    ``Idempotency-Key`` sent twice would get the vendor's cached first answer)."""
    exchange = _CURRENT.get()
    size = exchange.sent.get("content-length") if exchange is not None else None
    return {"content-length": size} if size else {}


def note_answer(headers: Iterable[tuple[str, str]]) -> None:
    """Keep a vendor answer's pass-through headers for the current request (the last answer wins)."""
    exchange = _CURRENT.get()
    if exchange is not None:
        exchange.received = answer_headers(headers)
