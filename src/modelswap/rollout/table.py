"""Each gateway replica's view of the routing state, kept fresh from the shared store.

Requests read it from memory (a dict lookup). A background task polls the store's
global change counter every ``interval_s`` (one indexed query) and reloads what
changed, so a rollback written by any replica or the CLI is obeyed within a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from modelswap.rollout.flag import state_of
from modelswap.rollout.routing import RoutingState
from modelswap.store import Store

log = logging.getLogger("modelswap.routes")


class RoutingTable:
    """In-memory routing state per workload, refreshed from the store."""

    def __init__(self, store: Store, workloads: Iterable[str], mirror_old_when_full: dict[str, bool] | None = None):
        self.store = store
        self._mirror = mirror_old_when_full or {}
        self._names = list(workloads)
        self._states: dict[str, RoutingState] = {n: state_of(None, self._mirror.get(n, False)) for n in self._names}
        self.seq = -1
        self._task: asyncio.Task[None] | None = None
        self.on_change: list[object] = []

    def get(self, workload: str) -> RoutingState:
        return self._states[workload]

    def snapshot(self) -> dict[str, RoutingState]:
        return dict(self._states)

    def refresh(self) -> bool:
        """Reload changed states (blocking; run it off the event loop). True if anything changed."""
        seq = self.store.rollout_change_seq()
        if seq == self.seq:
            return False
        rows = self.store.rollout_states_since(0 if self.seq < 0 else self.seq)
        for row in rows:
            current = self._states.get(row.workload)
            # the poll and the admin API may refresh at once: never replace a state with an older one
            if current is not None and row.version >= current.version:
                self._states[row.workload] = state_of(row, self._mirror.get(row.workload, False))
        self.seq = max([self.seq, seq, *(r.change_seq for r in rows)])
        return True

    async def poll(self, interval_s: float = 0.2) -> None:
        """Refresh forever; a failing store is logged and retried, never fatal to serving."""
        while True:
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:
                log.exception("routing state refresh failed; serving with the last known state")
            await asyncio.sleep(interval_s)

    def start(self, interval_s: float = 0.2) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.poll(interval_s), name="routing-poll")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
