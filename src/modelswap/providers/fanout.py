"""OpenAI's ``n`` for models that answer one choice per call: ``n`` calls at once, merged into one answer.

``gather_all`` runs the calls and, if one fails, cancels the rest and raises that failure
(not an ``ExceptionGroup``: callers handle ``UpstreamError`` as usual). ``merge_completions``
joins whole ``chat.completion`` bodies; ``merge_streams`` interleaves chunk streams as
OpenAI does for ``n`` > 1 (each chunk names its choice ``index``). Usage is summed: every
call was billed for its prompt and its answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import Any, TypeVar

from modelswap.providers.base import Json

__all__ = ["gather_all", "merge_completions", "merge_streams", "sum_usage"]

T = TypeVar("T")


async def gather_all(calls: Sequence[Awaitable[T]]) -> list[T]:
    """Await every call concurrently; on the first failure cancel the others and raise it."""
    if len(calls) == 1:
        return [await calls[0]]
    tasks = [asyncio.ensure_future(c) for c in calls]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def sum_usage(usages: Sequence[Json | None]) -> Json:
    """OpenAI usage objects added up (cached prompt tokens included)."""
    prompt = sum(_int((u or {}).get("prompt_tokens")) for u in usages)
    completion = sum(_int((u or {}).get("completion_tokens")) for u in usages)
    cached = sum(_int(((u or {}).get("prompt_tokens_details") or {}).get("cached_tokens")) for u in usages)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


def merge_completions(completions: Sequence[Json]) -> Json:
    """One ``chat.completion`` whose choices are each completion's first choice, indexed 0..n-1."""
    if len(completions) == 1:
        return completions[0]
    choices = [{**(c.get("choices") or [{}])[0], "index": i} for i, c in enumerate(completions)]
    return {**completions[0], "choices": choices, "usage": sum_usage([c.get("usage") for c in completions])}


async def merge_streams(streams: Sequence[AsyncIterator[Json]], *, include_usage: bool) -> AsyncIterator[Json]:
    """Interleave ``n`` single-choice chunk streams as one ``n``-choice stream.

    Each source must send its usage in a final chunk with empty ``choices``; those are summed
    into one last chunk when ``include_usage``, else dropped (and no chunk carries ``usage``).
    """
    queue: asyncio.Queue[tuple[int, Json | BaseException | None]] = asyncio.Queue(maxsize=64)

    async def pump(i: int, stream: AsyncIterator[Json]) -> None:
        try:
            async for chunk in stream:
                await queue.put((i, chunk))
        except Exception as exc:  # handed to the consumer, which raises it
            await queue.put((i, exc))
            return
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()  # type: ignore[attr-defined]
        await queue.put((i, None))

    tasks = [asyncio.create_task(pump(i, s)) for i, s in enumerate(streams)]
    usages: list[Json | None] = []
    head: Json | None = None
    running = len(tasks)
    try:
        while running:
            i, item = await queue.get()
            if item is None:
                running -= 1
                continue
            if isinstance(item, BaseException):
                raise item
            if not item.get("choices"):
                usages.append(item.get("usage"))
                continue
            head = head or {k: item[k] for k in ("id", "created", "model") if k in item}
            chunk = {**item, **head, "choices": [{**c, "index": i} for c in item["choices"]]}
            if include_usage:
                chunk["usage"] = None
            else:
                chunk.pop("usage", None)
            yield chunk
        if include_usage and head is not None:
            yield {**head, "object": "chat.completion.chunk", "choices": [], "usage": sum_usage(usages)}
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
