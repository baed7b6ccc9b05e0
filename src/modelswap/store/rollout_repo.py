"""Rollout state as replicas share it: versioned writes, the audit trail and the change feed.

The statements (and why they are safe) are in ``rollout.py``; this opens the transactions.
"""

from __future__ import annotations

from datetime import datetime

from modelswap.store import rollout
from modelswap.store.connections import Connections
from modelswap.store.rows import RolloutChange, RolloutEventRow, RolloutStateRow


class RolloutRepo:
    """Per-workload rollout state and its events."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def state(self, workload: str) -> RolloutStateRow | None:
        """A workload's rollout state, or None if it has none yet."""
        with self._db.read() as conn:
            return rollout.read_state(conn, workload)

    def set_state(
        self,
        workload: str,
        new: RolloutChange,
        expected_version: int,
        *,
        event: RolloutEventRow | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Write ``new`` if the stored version is still ``expected_version`` (0: none stored yet).

        Returns False, changing nothing, if another writer changed it first: re-read and
        decide again. ``event``, if given, is appended in the same transaction.
        """
        try:
            with self._db.write() as conn:
                rollout.write_state(conn, workload, new, expected_version, now=now)
                if event is not None:
                    rollout.add_event(conn, event)
        except rollout.RolloutConflict:
            return False
        return True

    def append_event(self, event: RolloutEventRow) -> int:
        """Append to the rollout audit trail; returns the event's id."""
        with self._db.write() as conn:
            return rollout.add_event(conn, event)

    def events(self, workload: str | None = None, *, limit: int = 100) -> list[RolloutEventRow]:
        """Rollout events, newest first, for one workload or all."""
        with self._db.read() as conn:
            return rollout.read_events(conn, workload, limit)

    def change_seq(self) -> int:
        """The latest rollout ``change_seq`` (0 if none): cheap enough to poll every 200 ms."""
        with self._db.read() as conn:
            return rollout.read_change_seq(conn)

    def states_since(self, change_seq: int = 0) -> list[RolloutStateRow]:
        """Rollout states written after ``change_seq`` (0: all), oldest change first."""
        with self._db.read() as conn:
            return rollout.read_states_since(conn, change_seq)
