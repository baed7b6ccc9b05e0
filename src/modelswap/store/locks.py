"""Store-wide locks: one holder at a time among every process sharing a store.

Gateway replicas on one PostgreSQL store each run the nightly schedule; the lock lets one
of them run a night while the others skip it. On PostgreSQL it is a session advisory lock
held by a connection of its own, on SQLite an exclusive ``flock`` on a file beside the
database. Either way the operating system or the database releases it when its holder
dies, so a crashed holder never leaves a lock behind. Locks are scoped to the database
and, on PostgreSQL, to the schema the store lives in.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import weakref
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from modelswap.store.engine import sqlite_path
from modelswap.store.store import Store

__all__ = ["StoreLock"]

_IN_MEMORY: weakref.WeakKeyDictionary[sa.Engine, set[str]] = weakref.WeakKeyDictionary()


class StoreLock:
    """A named lock on ``store``: ``try_acquire()`` without waiting, ``release()`` when done."""

    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self.name = name
        self._release: Callable[[], None] | None = None  # set while held: lets the lock go

    @property
    def held(self) -> bool:
        return self._release is not None

    def try_acquire(self) -> bool:
        """Take the lock if no one holds it (True), else leave it (False). Blocking I/O: run it in a thread."""
        if self._release is None:
            take = self._take_postgres if self.store.dialect == "postgresql" else self._take_sqlite
            self._release = take()
        return self._release is not None

    def release(self) -> None:
        """Let the lock go (nothing happens when it is not held)."""
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> bool:
        return self.try_acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def _take_postgres(self) -> Callable[[], None] | None:
        conn = self.store.engine.connect()
        try:
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar() or ""
            key = _key(f"{schema}\x00{self.name}")
            got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return None

        def release() -> None:
            try:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            finally:
                conn.close()  # closing the session releases it in any case

        return release

    def _take_sqlite(self) -> Callable[[], None] | None:
        path = _lock_path(self.store, self.name)
        if path is None:  # an in-memory database lives in one process: exclude within it
            held = _IN_MEMORY.setdefault(self.store.engine, set())
            if self.name in held:
                return None
            held.add(self.name)
            return functools.partial(held.discard, self.name)
        file = open(path, "ab")  # noqa: SIM115 - held until released
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return None
        except BaseException:
            file.close()
            raise

        def release() -> None:
            fcntl.flock(file, fcntl.LOCK_UN)
            file.close()

        return release


def _key(text: str) -> int:
    """A signed 64-bit advisory-lock key for ``text``."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def _lock_path(store: Store, name: str) -> Path | None:
    """``<database file>.<name>.lock``, or ``None`` for an in-memory database."""
    database = sqlite_path(store.engine.url)
    if database is None:
        return None
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return database.with_name(f"{database.name}.{safe}.lock")
