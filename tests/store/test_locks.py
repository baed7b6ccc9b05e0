"""Store-wide locks on SQLite and PostgreSQL: one holder among processes, released when the holder dies."""

from __future__ import annotations

import subprocess
import sys
import time

from modelswap.store import Store, open_store
from modelswap.store.locks import StoreLock

HOLDER = """
import sys, time
from modelswap.store import open_store
from modelswap.store.locks import StoreLock
lock = StoreLock(open_store(sys.argv[1]), "nightly")
assert lock.try_acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_one_holder_at_a_time_and_each_name_is_its_own_lock(store: Store, store_url: str) -> None:
    with open_store(store_url) as other:
        first, second = StoreLock(store, "nightly"), StoreLock(other, "nightly")
        assert first.try_acquire() and first.held
        assert first.try_acquire(), "taking a lock already held by the same holder is a no-op"
        assert not second.try_acquire() and not second.held
        assert StoreLock(other, "something-else").try_acquire()
        first.release()
        assert second.try_acquire()
        second.release()
        second.release()  # releasing twice is harmless
        with StoreLock(store, "nightly") as held:
            assert held
            assert not StoreLock(other, "nightly").try_acquire()


def test_a_holder_that_dies_leaves_no_lock_behind(store: Store, store_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, store_url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        lock = StoreLock(store, "nightly")
        assert not lock.try_acquire(), "another process holds it"
        holder.kill()
        holder.wait(10)
        deadline = time.monotonic() + 10
        while not lock.try_acquire():
            assert time.monotonic() < deadline, "the dead holder's lock was never released"
            time.sleep(0.05)
        lock.release()
    finally:
        holder.kill()
        holder.wait(10)


def test_an_in_memory_store_still_excludes_within_its_process() -> None:
    with open_store("sqlite://") as store:
        with StoreLock(store, "nightly") as held:
            assert held
            assert not StoreLock(store, "nightly").try_acquire()
        again = StoreLock(store, "nightly")
        assert again.try_acquire()
        again.release()
