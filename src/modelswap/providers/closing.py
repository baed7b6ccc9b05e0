"""Closing an async iterator deterministically when its consumer stops early."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

__all__ = ["aclosing_iter"]

T = TypeVar("T")


@asynccontextmanager
async def aclosing_iter(iterator: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Yield ``iterator`` and ``aclose()`` it on exit, so an inner stream releases its connection now."""
    try:
        yield iterator
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
