"""An upstream's stream as batches of frames, whichever way the upstream offers it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from modelswap.providers.base import Frames, Json, Upstream

__all__ = ["aclose_quietly", "frames_of"]


def frames_of(upstream: Upstream, body: Json) -> AsyncIterator[Frames]:
    """``upstream``'s stream for ``body`` in batches: its raw frames when it offers them
    (``FramesUpstream``: same dialect, relayed byte for byte), otherwise one event per batch
    without a frame (the relay encodes it)."""
    stream_frames = getattr(upstream, "stream_frames", None)
    if stream_frames is not None:
        batches: AsyncIterator[Frames] = stream_frames(body)
        return batches
    return _one_by_one(upstream.stream(body))


async def _one_by_one(events: AsyncIterator[Json]) -> AsyncIterator[Frames]:
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
