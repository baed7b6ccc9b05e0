"""Writing eval results and cached responses to the store as they come, off the event loop.

A paid-for answer must reach the store before anything else can go wrong, so the runner hands
every cached response and every scored (case, arm) to ``ResultWriter`` the moment it has them.
One background thread writes whatever has queued up (so under load writes batch themselves,
and at rest each is written at once); ``flush()`` waits until everything handed over so far is
stored. A write that fails is kept as ``error``: the runner stops sending calls it could not save.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from modelswap.store import CachedResponse, DuplicateRowError, EvalResultRow, Store

log = logging.getLogger("modelswap.evals")


@dataclass(frozen=True, slots=True)
class _Flush:
    done: concurrent.futures.Future[None]


_STOP = object()


class ResultWriter:
    """A background writer of ``CachedResponse``s and ``EvalResultRow``s; use as an async context."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.error: BaseException | None = None
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="modelswap-eval-writer", daemon=True)
        self._started = False
        self.written_results = 0
        self.written_cache = 0

    async def __aenter__(self) -> ResultWriter:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def cache(self, entry: CachedResponse) -> None:
        """Queue a response for the cache."""
        self._queue.put(entry)

    def results(self, rows: Sequence[EvalResultRow]) -> None:
        """Queue the result rows of one scored (case, arm); they are written together."""
        if rows:
            self._queue.put(tuple(rows))

    async def flush(self) -> None:
        """Wait until everything queued so far is written (or failed: see ``error``)."""
        if not self._started:
            return
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._queue.put(_Flush(done))
        await asyncio.wrap_future(done)

    async def close(self) -> None:
        """Write what is queued, then stop the thread."""
        if not self._started:
            return
        await self.flush()
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)

    # ---- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = self._write(batch)
            if stop:
                return

    def _write(self, batch: list[object]) -> bool:
        entries = [item for item in batch if isinstance(item, CachedResponse)]
        groups = [item for item in batch if isinstance(item, tuple)]
        try:
            self.written_cache += self.store.cache.put_many(entries)
            self._insert(groups)
        except Exception as exc:  # kept for the runner, which stops sending calls it cannot save
            log.exception("eval writer: could not store results")
            self.error = exc
        for item in batch:
            if isinstance(item, _Flush):
                item.done.set_result(None)
        return any(item is _STOP for item in batch)

    def _insert(self, groups: list[tuple[EvalResultRow, ...]]) -> None:
        rows = [row for group in groups for row in group]
        if not rows:
            return
        try:
            self.store.evals.add_results(rows)
            self.written_results += len(rows)
            return
        except DuplicateRowError:
            pass
        # One (case, arm) already stored (a resumed run racing another process): keep the rest.
        for group in groups:
            try:
                self.store.evals.add_results(group)
                self.written_results += len(group)
            except DuplicateRowError:
                log.warning(
                    "eval writer: results for case %s on %s were already stored", group[0].case_id, group[0].arm
                )
