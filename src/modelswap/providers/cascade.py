"""Cascade: a cheap upstream answers first; the strong one answers when a signal doubts it.

The decision is injected (``decide``): providers know nothing of router signals. A whole
request asks the cheap model, rates its answer, and returns it or asks the strong model. A
stream is decided one of two ways:

* buffered (the default): the cheap stream is held back, up to ``buffer_max_bytes``, rated once
  it has ended, then released, or dropped for the strong model's stream; the client sees one
  answer, never parts of two. A cheap stream longer than the bound is closed and escalated.
* up front (``up_front``, a signal that rates the request alone): the choice is made before
  any model is called, and the chosen model's stream flows through untouched.

A cheap failure is escalated too (any error but a rejected request, which the strong model
would reject as well); the strong model's own failure is raised as it is.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import orjson

from modelswap.providers.base import Frames, Json, Upstream, UpstreamError, Wrapper
from modelswap.providers.closing import aclosing_iter
from modelswap.providers.fallback import not_the_request
from modelswap.providers.frames import frames_of

__all__ = ["Cascade", "CheapAnswer", "Decide", "Escalation", "Reason"]

Reason = Literal["low_confidence", "cheap_failed", "over_buffer", "up_front", "signal_failed"]


@dataclass(frozen=True, slots=True)
class CheapAnswer:
    """What the cheap model answered, in the cascade's dialect: a whole body, or a stream's events."""

    body: Json | None = None
    events: tuple[Json, ...] = ()


Decide = Callable[[Json, CheapAnswer | None], Awaitable[bool]]
"""(request, the cheap answer; None when deciding up front) → keep the cheap model."""


@dataclass(frozen=True, slots=True)
class Escalation:
    """Why a request went to the strong model, and the cheap attempt it cost (none when up front)."""

    reason: Reason
    cheap: Upstream
    answer: CheapAnswer | None
    """The cheap answer that was rated (or the part of a stream read before the bound); None if none came."""
    error: UpstreamError | Exception | None
    """The cheap model's failure (``cheap_failed``) or the signal's (``signal_failed``)."""
    latency_s: float
    """Time spent before escalating: the cheap call and its rating."""


class Cascade(Wrapper):
    """An upstream that asks ``cheap`` and keeps its answer when ``decide`` says so, else asks ``strong``.

    It answers under the cheap upstream's name and dialect (the arm it stands for).
    ``on_escalate`` hears of each escalation before the strong model is asked; ``on_kept``
    of each request the cheap model kept. ``prepare`` rewrites the request the cheap model gets
    (a signal that needs token logprobs asks for them); the strong model gets it as it came.
    ``tidy(request, body or event)`` takes out of a kept cheap answer what ``prepare`` added and
    the app did not ask for (None: nothing to take out)."""

    def __init__(
        self,
        cheap: Upstream,
        strong: Upstream,
        decide: Decide,
        *,
        up_front: bool = False,
        buffer_max_bytes: int = 65536,
        escalate_on: Callable[[UpstreamError], bool] = not_the_request,
        on_escalate: Callable[[Escalation], None] | None = None,
        on_kept: Callable[[], None] | None = None,
        prepare: Callable[[Json], Json] | None = None,
        tidy: Callable[[Json, Json], Json | None] | None = None,
    ) -> None:
        super().__init__(cheap)
        self.cheap = cheap
        self.strong = strong
        self.up_front = up_front
        self.buffer_max_bytes = buffer_max_bytes
        self._decide = decide
        self._escalate_on = escalate_on
        self._on_escalate = on_escalate
        self._on_kept = on_kept
        self._prepare = prepare
        self._tidy = tidy

    # -- the decision ------------------------------------------------------------------------

    def _cheap_body(self, body: Json) -> Json:
        return body if self._prepare is None else self._prepare(body)

    async def _keep(self, body: Json, answer: CheapAnswer | None, started: float) -> bool:
        """Whether to keep the cheap model; an escalation is heard of. A failing signal escalates."""
        try:
            keep = await self._decide(body, answer)
        except Exception as exc:  # a signal's bug must not fail the request: the strong model answers
            self._escalated(Escalation("signal_failed", self.cheap, answer, exc, time.perf_counter() - started))
            return False
        if keep:
            if self._on_kept is not None:
                self._on_kept()
            return True
        reason: Reason = "up_front" if answer is None else "low_confidence"
        self._escalated(Escalation(reason, self.cheap, answer, None, time.perf_counter() - started))
        return False

    def _escalate_or_raise(self, exc: UpstreamError, answer: CheapAnswer | None, started: float) -> None:
        if not self._escalate_on(exc):
            raise exc
        self._escalated(Escalation("cheap_failed", self.cheap, answer, exc, time.perf_counter() - started))

    def _escalated(self, escalation: Escalation) -> None:
        if self._on_escalate is not None:
            self._on_escalate(escalation)

    # -- whole answers -----------------------------------------------------------------------

    async def complete(self, body: Json) -> Json:
        """The cheap answer when it is kept, else the strong model's."""
        started = time.perf_counter()
        if self.up_front and not await self._keep(body, None, started):
            return await self.strong.complete(body)
        try:
            answer = await self.cheap.complete(self._cheap_body(body))
        except UpstreamError as exc:
            self._escalate_or_raise(exc, None, started)
            return await self.strong.complete(body)
        if self.up_front or await self._keep(body, CheapAnswer(body=answer), started):
            return self._tidied(body, answer)
        return await self.strong.complete(body)

    # -- streams -----------------------------------------------------------------------------

    def stream(self, body: Json) -> AsyncIterator[Json]:
        """The kept model's events (see the module's note on how a stream is decided)."""
        return self._events(self.stream_frames(body))

    def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        """As ``stream``, in frame batches (raw frames from whichever upstream offers them)."""
        return self._up_front(body) if self.up_front else self._buffered(body)

    @staticmethod
    async def _events(batches: AsyncIterator[Frames]) -> AsyncIterator[Json]:
        async with aclosing_iter(batches) as frames:
            async for batch in frames:
                for _, event in batch:
                    yield event

    async def _up_front(self, body: Json) -> AsyncIterator[Frames]:
        started = time.perf_counter()
        if await self._keep(body, None, started):
            async with aclosing_iter(frames_of(self.cheap, self._cheap_body(body))) as events:
                try:
                    first = await anext(events, None)
                except UpstreamError as exc:  # nothing was sent yet: the strong model may still answer
                    self._escalate_or_raise(exc, None, started)
                else:
                    if first is not None:
                        yield first
                    async for batch in events:
                        yield batch
                    return
        async with aclosing_iter(frames_of(self.strong, body)) as events:
            async for batch in events:
                yield batch

    async def _buffered(self, body: Json) -> AsyncIterator[Frames]:
        started = time.perf_counter()
        held = await self._hold(body, started)
        if held is not None:
            for batch in held:
                yield batch if self._tidy is None else [self._tidied_frame(body, frame) for frame in batch]
            return
        async with aclosing_iter(frames_of(self.strong, body)) as events:
            async for batch in events:
                yield batch

    async def _hold(self, body: Json, started: float) -> list[Frames] | None:
        """The cheap stream read whole when it is kept; None when the strong model must answer."""
        held: list[Frames] = []
        size = 0
        async with aclosing_iter(frames_of(self.cheap, self._cheap_body(body))) as events:
            try:
                async for batch in events:
                    held.append(batch)
                    size += sum(len(raw) if raw is not None else len(orjson.dumps(event)) for raw, event in batch)
                    if size > self.buffer_max_bytes:
                        answer = CheapAnswer(events=_flat(held))
                        self._escalated(
                            Escalation("over_buffer", self.cheap, answer, None, time.perf_counter() - started)
                        )
                        return None  # leaving the block closes the cheap stream now
            except UpstreamError as exc:
                self._escalate_or_raise(exc, CheapAnswer(events=_flat(held)) if held else None, started)
                return None
        return held if await self._keep(body, CheapAnswer(events=_flat(held)), started) else None

    def _tidied(self, body: Json, answer: Json) -> Json:
        tidied = None if self._tidy is None else self._tidy(body, answer)
        return answer if tidied is None else tidied

    def _tidied_frame(self, body: Json, frame: tuple[bytes | None, Json]) -> tuple[bytes | None, Json]:
        tidied = None if self._tidy is None else self._tidy(body, frame[1])
        return frame if tidied is None else (None, tidied)  # changed: the relay encodes it again

    async def aclose(self) -> None:
        """Close both upstreams."""
        await self.cheap.aclose()
        await self.strong.aclose()

    def __repr__(self) -> str:
        return f"Cascade({self.cheap!r}, strong={self.strong!r})"


def _flat(batches: list[Frames]) -> tuple[Json, ...]:
    return tuple(event for batch in batches for _, event in batch)
