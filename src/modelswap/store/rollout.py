"""Rollout state in the database: optimistic versioning, an audit trail and a change feed.

This is what gateway replicas coordinate through. Two rules make it safe:

* **Optimistic versioning.** A write names the version it read; if another writer got
  there first, the write changes nothing and reports a conflict, and the caller re-reads.
* **A global change sequence.** Every write takes the next ``change_seq`` from the
  one-row ``change_counter`` in the same transaction. The counter's row lock is held until
  commit, so sequence order is commit order, and a replica that polls
  ``SELECT max(change_seq) FROM rollout_state`` (one probe of a unique index) and then
  fetches ``change_seq > last_seen`` never misses a change.

Functions take a connection already inside the right transaction; ``Store`` opens it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from modelswap.store.rows import RolloutChange, RolloutEventRow, RolloutStateRow, check_rollout_change
from modelswap.store.schema import change_counter, insert_ignoring_conflicts, rollout_events, rollout_state


class RolloutConflict(Exception):
    """The rollout state changed since the writer read it (raised inside the transaction)."""


def next_change_seq(conn: sa.Connection) -> int:
    """Take the next global change number; the lock it takes is held until commit."""
    c = change_counter
    stmt = sa.update(c).where(c.c.id == 1).values(seq=c.c.seq + 1).returning(c.c.seq)
    return int(conn.execute(stmt).scalar_one())


def write_state(
    conn: sa.Connection,
    workload: str,
    change: RolloutChange,
    expected_version: int,
    *,
    now: datetime | None = None,
) -> None:
    """Write ``change`` if the stored version is ``expected_version`` (0: no row yet).

    Raises ``RolloutConflict`` otherwise; the caller must roll the transaction back.
    """
    check_rollout_change(change, expected_version)
    seq = next_change_seq(conn)
    values = {
        "stage": change.stage,
        "share": change.share,
        "rollback": change.rollback,
        "previous": change.previous,
        "updated_by": change.actor,
        "updated_at": now or datetime.now(UTC),
        "version": expected_version + 1,
        "change_seq": seq,
    }
    stmt: sa.Insert | sa.Update
    if expected_version == 0:
        stmt = insert_ignoring_conflicts(conn.dialect.name, rollout_state).values(workload=workload, **values)
    else:
        r = rollout_state
        stmt = sa.update(r).where(r.c.workload == workload, r.c.version == expected_version).values(**values)
    # RETURNING, not rowcount: drivers need not report a rowcount for INSERT ... ON CONFLICT.
    if conn.execute(stmt.returning(rollout_state.c.workload)).first() is None:
        raise RolloutConflict(workload)


def add_event(conn: sa.Connection, event: RolloutEventRow) -> int:
    """Append one rollout event; returns its id."""
    stmt = (
        rollout_events.insert()
        .values(
            workload=event.workload,
            ts=event.ts,
            actor=event.actor,
            action=event.action,
            reason=event.reason,
            from_state=event.from_state,
            to_state=event.to_state,
        )
        .returning(rollout_events.c.id)
    )
    return int(conn.execute(stmt).scalar_one())


def read_state(conn: sa.Connection, workload: str) -> RolloutStateRow | None:
    """One workload's rollout state, or None if it has none yet."""
    row = conn.execute(sa.select(rollout_state).where(rollout_state.c.workload == workload)).first()
    return None if row is None else RolloutStateRow(**row._mapping)


def read_states_since(conn: sa.Connection, change_seq: int) -> list[RolloutStateRow]:
    """States written after ``change_seq`` (0: all of them), in change order."""
    r = rollout_state
    query = sa.select(r).where(r.c.change_seq > change_seq).order_by(r.c.change_seq)
    return [RolloutStateRow(**row._mapping) for row in conn.execute(query)]


def read_change_seq(conn: sa.Connection) -> int:
    """The highest ``change_seq`` of any stored rollout state (0 if none): the cheap poll."""
    latest = conn.execute(sa.select(sa.func.max(rollout_state.c.change_seq))).scalar_one()
    return 0 if latest is None else int(latest)


def read_events(conn: sa.Connection, workload: str | None, limit: int) -> list[RolloutEventRow]:
    """Rollout events, newest first, for one workload or all."""
    e = rollout_events
    query = sa.select(e).order_by(e.c.id.desc()).limit(limit)
    if workload is not None:
        query = query.where(e.c.workload == workload)
    return [RolloutEventRow(**row._mapping) for row in conn.execute(query)]
