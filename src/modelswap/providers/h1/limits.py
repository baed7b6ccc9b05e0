"""How much a vendor's answer may weigh before the client refuses it.

A misbehaving (or hostile) upstream must not be able to blow the gateway's memory or stall
its event loop: every part of an answer the client holds is bounded, and the bound is
checked as bytes arrive, never after the fact.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits", "size_text"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one answer; exceeding any of them fails the request with ``TooLarge``."""

    max_head_bytes: int = 64 * 1024
    """The status line and headers (interim ``1xx`` heads and trailers count too), and any run
    of bytes that carries no body byte (chunk framing, extensions): 64 KiB."""

    max_body_bytes: int = 32 * 1024 * 1024
    """A body read whole (every non-streamed answer, and a stream's error body), counted after
    decompression, and the decompressed size of a compressed stream: 32 MiB."""

    max_event_bytes: int = 4 * 1024 * 1024
    """One server-sent event: a line, or an event's joined ``data:`` lines: 4 MiB."""

    def __post_init__(self) -> None:
        for name in ("max_head_bytes", "max_body_bytes", "max_event_bytes"):
            if getattr(self, name) < 1024:
                raise ValueError(f"Limits.{name} must be at least 1024 bytes, got {getattr(self, name)}")


def size_text(n: int) -> str:
    """``n`` bytes for a message: ``64 KiB``, ``32 MiB``, ``1500 bytes``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"
