"""Rollout state: optimistic versioning, the global change sequence, the audit trail."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from modelswap.store import RolloutChange, RolloutEventRow, Store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CANARY = RolloutChange(stage="canary", share=0.01, actor="controller")


def test_first_write_creates_and_a_second_creator_conflicts(store: Store) -> None:
    assert store.get_rollout_state("support-chat") is None
    assert store.set_rollout_state("support-chat", CANARY, expected_version=0, now=T0) is True
    rival = RolloutChange(stage="shadow", share=0.0)
    assert store.set_rollout_state("support-chat", rival, expected_version=0) is False
    state = store.get_rollout_state("support-chat")
    assert state is not None
    assert (state.stage, state.share, state.version, state.updated_by) == ("canary", 0.01, 1, "controller")
    assert state.updated_at == T0


def test_stale_version_conflicts_and_changes_nothing(store: Store) -> None:
    store.set_rollout_state("support-chat", CANARY, expected_version=0)
    promote = RolloutChange(stage="promoting", share=0.10, previous={"stage": "canary", "share": 0.01})
    assert store.set_rollout_state("support-chat", promote, expected_version=1) is True
    rollback = RolloutChange(stage="rolled_back", share=0.0, rollback=True)
    assert store.set_rollout_state("support-chat", rollback, expected_version=1) is False
    state = store.get_rollout_state("support-chat")
    assert state is not None
    assert (state.stage, state.version, state.rollback) == ("promoting", 2, False)
    assert state.previous == {"stage": "canary", "share": 0.01}


def test_change_seq_increases_across_workloads_and_skips_nothing_on_conflict(store: Store) -> None:
    assert store.rollout_change_seq() == 0
    store.set_rollout_state("a", CANARY, 0)
    store.set_rollout_state("b", CANARY, 0)
    assert store.rollout_change_seq() == 2
    assert store.set_rollout_state("a", CANARY, 7) is False  # conflict: its sequence number rolls back
    store.set_rollout_state("a", RolloutChange(stage="full", share=1.0), 1)
    assert store.rollout_change_seq() == 3
    changed = store.rollout_states_since(2)
    assert [(s.workload, s.stage, s.change_seq) for s in changed] == [("a", "full", 3)]
    assert [s.workload for s in store.rollout_states_since(0)] == ["b", "a"]
    assert store.rollout_states_since(3) == []


def test_event_is_written_with_the_state_or_not_at_all(store: Store) -> None:
    event = RolloutEventRow(
        workload="support-chat",
        ts=T0,
        actor="ana",
        action="start_canary",
        reason="gates passed ✓",
        from_state=None,
        to_state={"stage": "canary", "share": 0.01},
    )
    assert store.set_rollout_state("support-chat", CANARY, 0, event=event)
    assert not store.set_rollout_state("support-chat", CANARY, 0, event=event)
    (stored,) = store.rollout_events("support-chat")
    assert stored.to_state == {"stage": "canary", "share": 0.01} and stored.reason == "gates passed ✓"
    drill = RolloutEventRow(workload="support-chat", ts=T0, actor="ops", action="drill", reason=None)
    drill_id = store.rollout.append_event(drill)
    assert store.rollout_events(limit=1)[0].id == drill_id


def test_share_outside_zero_to_one_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="fraction"):
        store.set_rollout_state("w", RolloutChange(stage="canary", share=10), 0)


def test_concurrent_writers_each_win_exactly_once_per_version(store: Store) -> None:
    """Threads race read-modify-write with retries; no update is lost, no sequence repeats."""
    store.set_rollout_state("w", RolloutChange(stage="canary", share=0.0), 0)
    threads, rounds = 4, 8
    conflicts = [0] * threads
    start = threading.Barrier(threads)

    def writer(k: int) -> None:
        start.wait()
        for _ in range(rounds):
            while True:
                state = store.get_rollout_state("w")
                assert state is not None
                bumped = RolloutChange(stage="canary", share=round(state.share + 0.01, 2), actor=f"t{k}")
                if store.set_rollout_state("w", bumped, state.version):
                    break
                conflicts[k] += 1

    workers = [threading.Thread(target=writer, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
    final = store.get_rollout_state("w")
    assert final is not None
    assert final.version == 1 + threads * rounds
    assert final.share == pytest.approx(0.01 * threads * rounds)
    assert final.change_seq == 1 + threads * rounds
    with store.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT seq FROM change_counter")) == final.change_seq
