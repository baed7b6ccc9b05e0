"""An upstream's stream as batches of frames, whichever way the upstream offers it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from modelswap.providers.base import Frames, Json, Upstream

__all__ = ["aclose_quietly", "frames_of", "one_by_one", "translated_frames"]


def frames_of(upstream: Upstream, body: Json) -> AsyncIterator[Frames]:
    """``upstream``'s stream for ``body`` in batches: its raw frames when it offers them
    (``FramesUpstream``: same dialect, relayed byte for byte), otherwise one event per batch
    without a frame (the relay encodes it)."""
    stream_frames = getattr(upstream, "stream_frames", None)
    if stream_frames is not None:
        batches: AsyncIterator[Frames] = stream_frames(body)
        return batches
    return one_by_one(upstream.stream(body))


async def translated_frames(
    batches: AsyncIterator[Frames], feed: Callable[[Json], list[Json]], finish: Callable[[], list[Json]] | None = None
) -> AsyncIterator[Frames]:
    """A translated stream in the batches its source arrived in: each source batch's events go
    through ``feed`` and leave as one batch (the relay then writes it at once), ``finish``'s
    closing events as a last one. No frames: the relay encodes translated events."""
    try:
        async for batch in batches:
            out: Frames = [(None, event) for _, source in batch for event in feed(source)]
            if out:
                yield out
    finally:
        await aclose_quietly(batches)
    if finish is not None:
        tail = finish()
        if tail:
            yield [(None, event) for event in tail]


async def one_by_one(events: AsyncIterator[Json]) -> AsyncIterator[Frames]:
    """``events`` as batches of one, without frames."""
    try:
        async for event in events:
            yield [(None, event)]
    finally:
        await aclose_quietly(events)


async def aclose_quietly(events: AsyncIterator[Any]) -> None:
    """Release a stream now (its connection), whether or not it was read to the end."""
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()
