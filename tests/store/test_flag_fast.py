"""The light flag path writes exactly what ``Store`` writes, and serves only a store at this schema version.

Each test runs on SQLite and PostgreSQL (``store_url``). The same rollback / undo sequence goes
through the rollout flag over ``Store`` on one database and over ``FlagStore`` on another; every
stored row (JSON and timestamps as the database holds them, as text) must be identical, and a
``Store`` reading the light path's writes must see what it sees of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from modelswap.rollout import flag
from modelswap.store import SCHEMA_VERSION, StoreError, open_store
from modelswap.store.engine import SQLITE_BUSY_TIMEOUT_MS
from modelswap.store.flag_fast import SQLITE_BUSY_TIMEOUT_MS as LIGHT_BUSY_TIMEOUT_MS
from modelswap.store.flag_fast import LightPathUnavailable, StoreUnreachable, open_flag_store
from modelswap.store.rows import RolloutChange

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WORKLOADS = ["support-chat", "ticket-triage"]

DUMP = {
    "rollout_state": "SELECT workload, stage, share, rollback, CAST(previous AS TEXT), version, "
    "CAST(updated_at AS TEXT), updated_by, change_seq FROM rollout_state ORDER BY workload",
    "rollout_events": "SELECT id, workload, CAST(ts AS TEXT), actor, action, reason, CAST(from_state AS TEXT), "
    "CAST(to_state AS TEXT) FROM rollout_events ORDER BY id",
    "change_counter": "SELECT id, seq FROM change_counter",
}


def _dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {table: [tuple(r) for r in conn.exec_driver_sql(sql)] for table, sql in DUMP.items()}
    finally:
        engine.dispose()


def _drill(store: flag.RolloutStore) -> list[flag.Flip]:
    """A day of flag changes, each at a fixed time: stage, rollback, undo, a NUL in a reason, rollback again."""
    flips = [flag.set_stage(store, "support-chat", "split", 12.5, "ops", "canary", at=T0)]
    flips += flag.rollback(store, WORKLOADS, "oncall", "p95 doubled", at=T0 + timedelta(minutes=1))
    flips += flag.rollback(store, WORKLOADS, "oncall", "again: no change", at=T0 + timedelta(minutes=2))
    flips += flag.undo_rollback(store, ["support-chat"], "oncall", "fixed\x00upstream", at=T0 + timedelta(minutes=3))
    flips += flag.rollback(store, ["support-chat"], "bot", None, at=T0 + timedelta(minutes=4))
    return flips


def test_both_paths_store_identical_rows(store_url: str, other_url: str) -> None:
    with open_store(store_url) as ordinary:
        expected = _drill(ordinary)
    open_store(other_url).close()  # a store at SCHEMA_VERSION, as `modelswap init` or `serve` leaves it
    with open_flag_store(other_url) as light:
        got = _drill(light)
    assert got == expected and len(got) == 5  # the second rollback changed nothing
    assert [(f.workload, f.after.version) for f in got][1:3] == [("support-chat", 2), ("ticket-triage", 1)]
    rows = _dump(other_url)
    assert rows == _dump(store_url)
    assert len(rows["rollout_events"]) == 5 and rows["change_counter"] == [(1, 5)]


def test_a_store_reads_the_light_paths_writes_as_its_own(store_url: str, other_url: str) -> None:
    for url, open_path in ((store_url, open_store), (other_url, open_flag_store)):
        open_store(url).close()
        with open_path(url) as s:
            _drill(s)
    with open_store(store_url) as ordinary, open_store(other_url) as reader:
        assert flag.states(reader, WORKLOADS) == flag.states(ordinary, WORKLOADS)
        assert reader.rollout_events() == ordinary.rollout_events()
        assert reader.rollout_states_since(0) == ordinary.rollout_states_since(0)
    with open_flag_store(store_url) as light, open_store(store_url) as ordinary:
        assert light.rollout_events(limit=3) == ordinary.rollout_events(limit=3)
        assert light.rollout_events("ticket-triage") == ordinary.rollout_events("ticket-triage")
        assert [light.get_rollout_state(w) for w in WORKLOADS] == [ordinary.get_rollout_state(w) for w in WORKLOADS]


def test_a_replica_polling_the_change_feed_sees_a_light_flip(store_url: str) -> None:
    with open_store(store_url) as replica:
        flag.set_stage(replica, "support-chat", "full", None, "controller", at=T0)
        seen = replica.rollout_change_seq()
        with open_flag_store(store_url) as light:
            flag.rollback(light, ["support-chat"], "oncall", "errors", at=T0 + timedelta(seconds=1))
        assert replica.rollout_change_seq() == seen + 1
        (changed,) = replica.rollout_states_since(seen)
        assert (changed.workload, changed.rollback, changed.version, changed.updated_by) == (
            "support-chat",
            True,
            2,
            "oncall",
        )
        assert changed.previous == {"stage": "full", "share": 100.0, "rollback": False}


def test_a_stale_write_changes_nothing_not_even_the_sequence(store_url: str) -> None:
    open_store(store_url).close()
    with open_flag_store(store_url) as light:
        assert light.set_rollout_state("w", RolloutChange(stage="shadow", share=0.0), 0, now=T0)
        assert not light.set_rollout_state("w", RolloutChange(stage="full", share=1.0), 0, now=T0)
        with pytest.raises(ValueError, match="fraction"):
            light.set_rollout_state("w", RolloutChange(stage="full", share=100.0), 1)
    rows = _dump(store_url)
    assert rows["change_counter"] == [(1, 1)]
    assert [r[1] for r in rows["rollout_state"]] == ["shadow"]


def _set_version(url: str, version: int) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE schema_meta SET version = :v"), {"v": version})
    engine.dispose()


@pytest.mark.parametrize("delta", [-1, +1])
def test_another_schema_version_is_never_written(store_url: str, delta: int) -> None:
    open_store(store_url).close()
    _set_version(store_url, SCHEMA_VERSION + delta)
    with pytest.raises(LightPathUnavailable, match=f"schema version {SCHEMA_VERSION + delta}"):
        open_flag_store(store_url)
    assert _dump(store_url)["change_counter"] == [(1, 0)]


def test_an_empty_database_is_left_to_open_store(store_url: str) -> None:
    with pytest.raises(LightPathUnavailable):
        open_flag_store(store_url)  # no schema_meta: open_store creates the schema


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    with pytest.raises(LightPathUnavailable, match="does not exist"):
        open_flag_store(f"sqlite:///{path}")
    assert not path.exists()


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "sqlite:///x.db?mode=ro", "mysql://h/db", "not a url"]
)
def test_unusual_urls_are_left_to_open_store(url: str) -> None:
    with pytest.raises(LightPathUnavailable):
        open_flag_store(url)


def test_settings_shared_with_the_engine_agree() -> None:
    assert LIGHT_BUSY_TIMEOUT_MS == SQLITE_BUSY_TIMEOUT_MS


def test_a_server_that_is_down_is_reported_in_open_stores_words() -> None:
    url = "postgresql://nobody:s3cret@127.0.0.1:1/none"
    with pytest.raises(StoreError) as ordinary:
        open_store(url)
    with pytest.raises(StoreUnreachable) as light:
        open_flag_store(url)
    assert light.value.message == str(ordinary.value)
    assert "s3cret" not in light.value.message


def test_racing_the_ordinary_path_loses_no_flip(store_url: str) -> None:
    open_store(store_url).close()
    rounds, errors = 8, []

    def flips(open_path: Callable[[str], Any], stage: str) -> None:
        try:
            with open_path(store_url) as s:
                for i in range(rounds):
                    flag.set_stage(s, "support-chat", stage, None, stage, f"round {i}")
        except Exception as exc:  # reported below, with the thread's name
            errors.append(exc)

    threads = [
        threading.Thread(target=flips, args=(open_store, "full")),
        threading.Thread(target=flips, args=(open_flag_store, "shadow")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = _dump(store_url)
    assert rows["change_counter"] == [(1, 2 * rounds)]
    assert len(rows["rollout_events"]) == 2 * rounds
    (state,) = rows["rollout_state"]
    assert (state[5], state[8]) == (2 * rounds, 2 * rounds)  # version and change_seq: every write counted
