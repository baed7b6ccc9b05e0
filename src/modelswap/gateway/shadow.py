"""Shadow traffic: copies of requests sent to the other model off the serving path.

Jobs wait in a bounded queue served by a fixed number of workers. ``submit`` never
blocks and never fails the caller: when the queue is full the copy is dropped and
counted, so a slow or failing shadow model cannot delay or break the primary.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from modelswap.providers.shadowed import ShadowJob

log = logging.getLogger("modelswap.shadow")


class ShadowRunner:
    """A bounded pool of workers running shadow jobs in the background."""

    def __init__(self, concurrency: int, queue_size: int, on_drop: Callable[[], None] | None = None) -> None:
        self.concurrency = concurrency
        self._queue: asyncio.Queue[ShadowJob] = asyncio.Queue(maxsize=max(queue_size, 1))
        self._workers: list[asyncio.Task[None]] = []
        self._on_drop = on_drop
        self.dropped = 0
        self.completed = 0
        self.failed = 0

    def start(self) -> None:
        if not self._workers:
            self._workers = [asyncio.create_task(self._work(), name=f"shadow-{i}") for i in range(self.concurrency)]

    def submit(self, job: ShadowJob) -> bool:
        """Queue a job; ``False`` (and counted) when saturated or not running."""
        if not self._workers:
            self._drop()
            return False
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self._drop()
            return False
        return True

    def _drop(self) -> None:
        self.dropped += 1
        if self._on_drop is not None:
            self._on_drop()

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await job()
                self.completed += 1
            except asyncio.CancelledError:
                raise
            except Exception:  # a shadow failure must never surface anywhere else
                self.failed += 1
                log.exception("shadow job failed")
            finally:
                self._queue.task_done()

    async def stop(self, drain_timeout_s: float = 5.0) -> None:
        """Let queued jobs finish for up to ``drain_timeout_s``, then cancel the rest."""
        if not self._workers:
            return
        try:
            await asyncio.wait_for(self._queue.join(), drain_timeout_s)
        except TimeoutError:
            log.warning("shadow: %d job(s) abandoned at shutdown", self._queue.qsize())
        for w in self._workers:
            w.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
