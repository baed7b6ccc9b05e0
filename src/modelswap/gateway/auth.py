"""Who is calling: app keys for the API, and the admin token for the admin API.

Keys are known only by their SHA-256, and compared in constant time. Nothing here
logs, stores or returns a presented key beyond handing it from ``presented_key`` to
``KeyRing.identify``.

Open mode: a ``KeyRing`` without keys accepts any key, or none, as the anonymous
caller ``None``. That suits a gateway bound to loopback, not one facing a network.
The admin API is the opposite: with no admin token configured it refuses everything.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import math
from collections import Counter
from collections.abc import Iterable, Mapping

from modelswap.config import GatewayKey


class Refusal(enum.Enum):
    """Why a request was not let in; ``message`` tells the caller what to change."""

    MISSING = "missing"
    UNKNOWN = "unknown"

    @property
    def message(self) -> str:
        """A sentence for the 401 body; never contains the presented key."""
        if self is Refusal.MISSING:
            return (
                "this gateway needs an API key: send 'Authorization: Bearer <key>' "
                "(the OpenAI SDK's api_key) or 'x-api-key: <key>' (the Anthropic SDK's api_key)"
            )
        return "the API key is not one this gateway accepts; ask its operator for a key (see gateway.keys)"


Identity = str | None | Refusal
"""A key's name, ``None`` for the anonymous caller of an open ring, or a ``Refusal``."""


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def same_secret(presented: str, expected: str) -> bool:
    """``presented == expected`` in constant time, for any text (``hmac.compare_digest`` refuses
    non-ASCII ``str``: compare digests instead)."""
    return hmac.compare_digest(_digest(presented), _digest(expected))


def hash_key(key: str) -> str:
    """Hex SHA-256 of a key: what goes in ``gateway.keys[].sha256``."""
    return _digest(key).hex()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value (scheme case-insensitive), else ``None``."""
    if not authorization:
        return None
    parts = authorization.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1].strip() or None


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request carries: ``Authorization: Bearer`` first, then ``x-api-key``.

    ``headers`` must have lower-cased names.
    """
    token = bearer_token(headers.get("authorization"))
    if token is not None:
        return token
    return headers.get("x-api-key", "").strip() or None


class KeyRing:
    """The app keys the gateway accepts, by SHA-256; built once from config."""

    __slots__ = ("_entries",)

    def __init__(self, keys: Iterable[GatewayKey]) -> None:
        entries: dict[bytes, str] = {}
        for key in keys:
            digest = bytes.fromhex(key.sha256)
            if entries.get(digest, key.name) != key.name:
                raise ValueError(
                    f"gateway keys {entries[digest]!r} and {key.name!r} have the same sha256; "
                    "give each holder its own key"
                )
            entries[digest] = key.name
        self._entries = tuple(entries.items())

    @property
    def is_open(self) -> bool:
        """No keys configured: every request is let in as the anonymous caller."""
        return not self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"KeyRing({len(self._entries)} keys)"

    def identify(self, presented: str | None) -> Identity:
        """The name of the key presented, ``None`` in open mode, or why it is refused.

        Every stored digest is compared in constant time, with no early exit.
        """
        if not self._entries:
            return None
        if not presented:
            return Refusal.MISSING
        digest = _digest(presented)
        found: str | None = None
        for stored, name in self._entries:
            if hmac.compare_digest(stored, digest):
                found = name
        return Refusal.UNKNOWN if found is None else found


def admin_ok(headers: Mapping[str, str], token: str | None) -> bool:
    """The request carries the admin token as ``Authorization: Bearer``; closed when no token is set."""
    if not token:
        return False
    presented = bearer_token(headers.get("authorization"))
    if presented is None:
        return False
    return same_secret(presented, token)


MIN_TOKEN_CHARS = 24
"""Shortest admin (or metrics) token accepted."""

MIN_TOKEN_BITS = 60.0
"""Least estimated entropy of a token: its length times the Shannon entropy of its characters."""

MAKE_TOKEN = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
"""The command a refusal suggests for making a strong token."""


def token_bits(token: str) -> float:
    """An estimate of a token's entropy in bits from its own characters (0 for ``aaaa…``).

    It is generous to passphrases and strict with repetition; a random 24-character URL-safe
    token scores about 100, ``secrets.token_urlsafe(32)`` about 190."""
    if not token:
        return 0.0
    counts = Counter(token)
    n = len(token)
    return -n * sum(c / n * math.log2(c / n) for c in counts.values())


def _repeats(token: str) -> bool:
    """``token`` is a shorter string (up to 64 characters) said over and over (``abcdabcd…``)."""
    n = len(token)
    return any(token == (token[:p] * (n // p + 1))[:n] for p in range(1, min(n // 2, 64) + 1))


def token_weakness(token: str) -> str | None:
    """Why ``token`` is too weak to guard the admin API, or ``None`` when it is strong enough."""
    if len(token) < MIN_TOKEN_CHARS:
        return f"it is {len(token)} characters long; use at least {MIN_TOKEN_CHARS}"
    if token != token.strip():
        return "it starts or ends with whitespace (a copy-paste slip?)"
    if token_bits(token) < MIN_TOKEN_BITS or _repeats(token):
        return "it repeats too few different characters to be hard to guess"
    return None
