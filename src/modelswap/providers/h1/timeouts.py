"""How long the client waits for each part of an exchange with a vendor.

Three separate clocks, because one total deadline cannot tell a hung vendor from a long
answer: ``connect_s`` for opening the connection (TCP, TLS, proxy tunnel), ``first_byte_s``
for the answer to begin, and ``idle_s`` for the longest silence inside a stream. A stream
that keeps making progress has no total deadline, so a long reasoning answer is never cut;
a vendor that accepts the connection and then says nothing fails after ``first_byte_s``.
A non-streamed answer shows no progress until it is complete (vendors send the head with
the whole body), so for it ``first_byte_s`` bounds the whole answer.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_CONNECT_S", "Timeouts"]

DEFAULT_CONNECT_S = 5.0
"""The official OpenAI and Anthropic SDKs' connect timeout."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds allowed for connecting, for the answer to begin, and between stream events."""

    connect_s: float = DEFAULT_CONNECT_S
    first_byte_s: float = 60.0
    idle_s: float = 60.0

    def __post_init__(self) -> None:
        if not (self.connect_s > 0 and self.first_byte_s > 0 and self.idle_s > 0):
            raise ValueError(f"timeouts must be > 0 s, got {self}")

    @classmethod
    def of(cls, value: float | Timeouts) -> Timeouts:
        """``value`` as is, or one number for both the first byte and the silences (connecting
        takes at most that long too, and never more than ``DEFAULT_CONNECT_S``)."""
        if isinstance(value, Timeouts):
            return value
        return cls(connect_s=min(DEFAULT_CONNECT_S, value), first_byte_s=value, idle_s=value)
