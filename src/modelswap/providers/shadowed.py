"""Shadowing: every request answered by one upstream is also sent to another, off the caller's path."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from modelswap.providers.base import Frames, Json, Upstream, UpstreamError, Wrapper
from modelswap.providers.forwarding import begin, for_a_copy
from modelswap.providers.frames import frames_of

__all__ = ["ShadowJob", "ShadowResult", "Shadowed", "Submit"]

ShadowJob = Callable[[], Awaitable[None]]
"""One shadow copy's work, run in the background."""
Submit = Callable[[ShadowJob], object]
"""Queues a shadow job; must return at once (a full queue drops the copy, never waits)."""


@dataclass(frozen=True, slots=True)
class ShadowResult:
    """How a shadow copy went: the answer or the error, and how long it took."""

    upstream: Upstream
    answer: Json | None
    error: UpstreamError | None
    latency_s: float


class Shadowed(Wrapper):
    """An upstream that answers from ``primary`` and hands ``submit`` a copy of each request
    for ``shadow``, so the shadow never delays or fails the caller. A streamed request's copy
    is asked whole (``stream`` and ``stream_options`` removed). ``on_result`` hears how each
    copy went, from the background job."""

    def __init__(
        self,
        primary: Upstream,
        shadow: Upstream,
        submit: Submit,
        on_result: Callable[[ShadowResult], None],
    ) -> None:
        super().__init__(primary)
        self.shadow = shadow
        self._submit = submit
        self._on_result = on_result

    def _mirror(self, body: Json) -> None:
        copy = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
        shadow, report, carried = self.shadow, self._on_result, for_a_copy()

        async def job() -> None:
            begin(carried)
            started = time.perf_counter()
            try:
                answer = await shadow.complete(copy)
            except UpstreamError as exc:
                report(ShadowResult(shadow, None, exc, time.perf_counter() - started))
            else:
                report(ShadowResult(shadow, answer, None, time.perf_counter() - started))

        self._submit(job)

    async def complete(self, body: Json) -> Json:
        """The primary's answer; the copy is queued first."""
        self._mirror(body)
        return await self.primary.complete(body)

    def stream(self, body: Json) -> AsyncIterator[Json]:
        """The primary's stream; the (whole) copy is queued first."""
        self._mirror(body)
        return self.primary.stream(body)

    def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        """As ``stream``, in frame batches."""
        self._mirror(body)
        return frames_of(self.primary, body)

    async def aclose(self) -> None:
        """Close both upstreams."""
        await self.primary.aclose()
        await self.shadow.aclose()

    def __repr__(self) -> str:
        return f"Shadowed({self.primary!r}, shadow={self.shadow!r})"
