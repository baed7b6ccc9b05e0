"""Fallback: when one upstream fails, another answers (the pattern of pydantic-ai's ``FallbackModel``)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from modelswap.providers.base import Frames, Json, Upstream, UpstreamError, Wrapper
from modelswap.providers.closing import aclosing_iter
from modelswap.providers.frames import frames_of

__all__ = ["FallBackHook", "Fallback", "not_the_request"]

T = TypeVar("T")

FallBackHook = Callable[[Upstream, UpstreamError, float], None]
"""Hears of a failure that is being answered by falling back: the upstream that failed, why,
and how long its attempt took (seconds). Called before the backup is asked."""


def not_the_request(exc: UpstreamError) -> bool:
    """Fall back on any failure but a rejected request (the backup would reject it too)."""
    return exc.kind != "bad_request"


class Fallback(Wrapper):
    """An upstream that asks ``primary`` and, when it fails with an error ``fall_back_on``
    accepts, asks ``backup`` instead; the backup's own failure is raised as it is.

    A stream falls back only before its first event: once the caller has seen output, a
    failure is raised, as a second answer would repeat it. ``on_fall_back`` hears of each
    failure that was answered this way (to record the failed attempt)."""

    def __init__(
        self,
        primary: Upstream,
        backup: Upstream,
        *,
        fall_back_on: Callable[[UpstreamError], bool] = not_the_request,
        on_fall_back: FallBackHook | None = None,
    ) -> None:
        super().__init__(primary)
        self.backup = backup
        self._fall_back_on = fall_back_on
        self._on_fall_back = on_fall_back

    def _fall_back_or_raise(self, exc: UpstreamError, started: float) -> None:
        if not self._fall_back_on(exc):
            raise exc
        if self._on_fall_back is not None:
            self._on_fall_back(self.primary, exc, time.perf_counter() - started)

    async def complete(self, body: Json) -> Json:
        """The primary's answer, or the backup's when the primary failed in a way that allows it."""
        started = time.perf_counter()
        try:
            return await self.primary.complete(body)
        except UpstreamError as exc:
            self._fall_back_or_raise(exc, started)
        return await self.backup.complete(body)

    def stream(self, body: Json) -> AsyncIterator[Json]:
        """The primary's events, or the backup's when the primary failed before its first event."""
        return self._first_of(lambda u: u.stream(body))

    def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        """As ``stream``, in frame batches (raw frames from whichever upstream offers them)."""
        return self._first_of(lambda u: frames_of(u, body))

    async def _first_of(self, start: Callable[[Upstream], AsyncIterator[T]]) -> AsyncIterator[T]:
        started = time.perf_counter()
        async with aclosing_iter(start(self.primary)) as events:
            try:
                first = await events.__anext__()
            except StopAsyncIteration:
                return
            except UpstreamError as exc:
                self._fall_back_or_raise(exc, started)
            else:
                yield first
                async for item in events:
                    yield item
                return
        async with aclosing_iter(start(self.backup)) as events:
            async for item in events:
                yield item

    async def aclose(self) -> None:
        """Close both upstreams."""
        await self.primary.aclose()
        await self.backup.aclose()

    def __repr__(self) -> str:
        return f"Fallback({self.primary!r}, {self.backup!r})"
