"""The rollback flag and stage changes: audited, restorable, safe under concurrent writers."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelswap.rollout import flag
from modelswap.rollout.routing import RoutingState
from modelswap.store import Store, open_store

W = "support"
OTHER = "triage"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'flag.db'}")
    try:
        yield s
    finally:
        s.close()


def state(store: Store, workload: str = W) -> tuple[str, float, bool]:
    s = flag.states(store, [workload])[workload]
    return s.stage, s.share, s.rollback


def test_a_workload_without_state_is_in_shadow(store: Store) -> None:
    assert flag.states(store, [W]) == {W: RoutingState(stage="shadow", share=0.0, rollback=False)}


def test_rollback_flips_and_records_before_and_after(store: Store) -> None:
    flag.set_stage(store, W, "split", 10, "alice", "canary")
    (flip,) = flag.rollback(store, [W], "bob", "error rate up")
    assert flip.workload == W
    assert (flip.before.stage, flip.before.share, flip.before.rollback) == ("split", 10.0, False)
    assert (flip.after.stage, flip.after.share, flip.after.rollback) == ("split", 10.0, True)
    assert state(store) == ("split", 10.0, True)


def test_rollback_of_several_workloads_and_again_is_a_no_op(store: Store) -> None:
    assert [f.workload for f in flag.rollback(store, [W, OTHER], "bob")] == [W, OTHER]
    assert flag.rollback(store, [W, OTHER], "bob") == []
    assert len(store.rollout_events()) == 2


@pytest.mark.parametrize(("stage", "share"), [("split", 25.0), ("full", 100.0), ("shadow", 0.0)])
def test_undo_restores_the_previous_stage_and_share(store: Store, stage: str, share: float) -> None:
    flag.set_stage(store, W, stage, share if stage == "split" else None, "alice")
    flag.rollback(store, [W], "bob", "drill")
    (flip,) = flag.undo_rollback(store, [W], "bob", "drill over")
    assert (flip.after.stage, flip.after.share, flip.after.rollback) == (stage, share, False)
    assert state(store) == (stage, share, False)
    assert flag.undo_rollback(store, [W], "bob") == [], "nothing to undo any more"


def test_undo_without_a_rollback_changes_nothing(store: Store) -> None:
    flag.set_stage(store, W, "split", 5, "alice")
    assert flag.undo_rollback(store, [W], "bob") == []
    assert state(store) == ("split", 5.0, False)


def test_set_stage_refuses_to_end_an_active_rollback_silently(store: Store) -> None:
    flag.set_stage(store, W, "split", 10, "alice", "canary")
    flag.rollback(store, [W], "bob", "p95 doubled")
    with pytest.raises(flag.FlagError) as caught:
        flag.set_stage(store, W, "full", None, "alice", "promote")
    assert f"{W} is rolled back" in str(caught.value) and "rollback --undo" in str(caught.value)
    assert "--clear-rollback --reason" in str(caught.value)
    assert state(store) == ("split", 10.0, True), "the rollback still holds"
    assert [e.action for e in store.rollout_events(W)] == ["rollback", "set_stage"], "nothing written"


def test_clearing_a_rollback_needs_a_reason(store: Store) -> None:
    flag.rollback(store, [W], "bob")
    for reason in (None, "", "   "):
        with pytest.raises(flag.FlagError, match="needs a reason"):
            flag.set_stage(store, W, "full", None, "alice", reason, clear_rollback=True)
    assert state(store) == ("shadow", 0.0, True)


def test_clearing_a_rollback_on_purpose_is_audited_as_such(store: Store) -> None:
    flag.set_stage(store, W, "split", 10, "alice", "canary")
    flag.rollback(store, [W], "bob", "p95 doubled")
    (flip,) = [flag.set_stage(store, W, "full", None, "carol", "root cause fixed", clear_rollback=True)]
    assert flip.before.rollback and not flip.after.rollback
    assert state(store) == ("full", 100.0, False)
    cleared = store.rollout_events(W)[0]
    assert (cleared.action, cleared.actor, cleared.reason) == ("clear_rollback", "carol", "root cause fixed")
    assert cleared.from_state == {"stage": "split", "share": 10.0, "rollback": True}
    assert cleared.to_state == {"stage": "full", "share": 100.0, "rollback": False}
    assert flag.undo_rollback(store, [W], "bob") == [], "nothing left to undo"


def test_after_an_undo_set_stage_works_as_usual(store: Store) -> None:
    flag.rollback(store, [W], "bob")
    flag.undo_rollback(store, [W], "bob")
    flag.set_stage(store, W, "full", None, "alice", "promote")
    assert state(store) == ("full", 100.0, False)
    assert store.rollout_events(W)[0].action == "set_stage"
    flag.set_stage(store, W, "split", 5, "alice", "again", clear_rollback=True)  # no rollback: a plain change
    assert store.rollout_events(W)[0].action == "set_stage"


def test_a_rollback_landing_mid_change_is_never_cleared(store: Store) -> None:
    """Stage changes racing rollbacks: each either lands before the rollback or is refused."""
    barrier = threading.Barrier(2)
    refused: list[flag.FlagError] = []

    def stages() -> None:
        barrier.wait()
        for i in range(15):
            try:
                flag.set_stage(store, W, "split", float(i), "stager")
            except flag.FlagError as exc:
                refused.append(exc)

    def flags() -> None:
        barrier.wait()
        for _ in range(15):
            flag.rollback(store, [W], "flagger")
            flag.undo_rollback(store, [W], "flagger")

    threads = [threading.Thread(target=stages), threading.Thread(target=flags)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = store.rollout_events(W, limit=1000)
    assert all("rolled back" in str(e) for e in refused)
    assert sum(e.action == "set_stage" for e in events) + len(refused) == 15
    assert all(e.from_state is not None and not e.from_state["rollback"] for e in events if e.action == "set_stage")


@pytest.mark.parametrize(
    ("stage", "share", "words"),
    [
        ("canary", None, "unknown stage 'canary'; expected one of: full, rolled_back, shadow, split"),
        ("split", None, "stage split needs --share"),
        ("split", -1, "share is a percent between 0 and 100, got -1"),
        ("split", 100.5, "share is a percent between 0 and 100, got 100.5"),
        ("split", "10", "share must be a number"),
    ],
)
def test_set_stage_refuses_bad_values_and_writes_nothing(store: Store, stage: str, share: object, words: str) -> None:
    with pytest.raises(flag.FlagError) as caught:
        flag.set_stage(store, W, stage, share, "alice")  # type: ignore[arg-type]
    assert words in str(caught.value)
    assert store.get_rollout_state(W) is None and store.rollout_events() == []


def test_split_at_the_edges_is_allowed(store: Store) -> None:
    flag.set_stage(store, W, "split", 0, "alice")
    assert state(store) == ("split", 0.0, False)
    flag.set_stage(store, W, "split", 100, "alice")
    assert state(store) == ("split", 100.0, False)


def test_every_change_is_an_audited_event(store: Store) -> None:
    flag.set_stage(store, W, "split", 1, "alice", "canary 1 %")
    flag.rollback(store, [W], "bob", "p95 doubled")
    flag.undo_rollback(store, [W], "carol", "false alarm")
    events = store.rollout_events(W)
    assert [(e.action, e.actor, e.reason) for e in events] == [
        ("undo_rollback", "carol", "false alarm"),
        ("rollback", "bob", "p95 doubled"),
        ("set_stage", "alice", "canary 1 %"),
    ]
    undo, back, canary = events
    assert canary.from_state == {"stage": "shadow", "share": 0.0, "rollback": False}
    assert canary.to_state == {"stage": "split", "share": 1.0, "rollback": False}
    assert back.from_state == canary.to_state and back.to_state == {**canary.to_state, "rollback": True}
    assert undo.from_state == back.to_state and undo.to_state == canary.to_state
    assert all(e.ts.tzinfo is not None for e in events)


def test_concurrent_rollbacks_flip_once_and_undo_still_restores(store: Store) -> None:
    flag.set_stage(store, W, "split", 50, "alice")
    flips: list[flag.Flip] = []
    barrier = threading.Barrier(2)

    def roll_back(actor: str) -> None:
        barrier.wait()
        flips.extend(flag.rollback(store, [W], actor, "alarm"))

    threads = [threading.Thread(target=roll_back, args=(a,)) for a in ("replica-1", "replica-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(flips) == 1, "exactly one writer flips; the other sees the flag already set"
    flag.undo_rollback(store, [W], "alice")
    assert state(store) == ("split", 50.0, False), "the second rollback did not overwrite what undo restores"


def test_concurrent_writers_lose_no_update(store: Store) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def stages() -> None:
        barrier.wait()
        try:
            for i in range(15):
                flag.set_stage(store, W, "split", float(i), "stager", f"step {i}", clear_rollback=True)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def flags() -> None:
        barrier.wait()
        try:
            for _ in range(15):
                flag.rollback(store, [W], "flagger")
                flag.undo_rollback(store, [W], "flagger")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=stages), threading.Thread(target=flags)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

    events = list(reversed(store.rollout_events(W, limit=1000)))
    assert sum(e.action in ("set_stage", "clear_rollback") for e in events) == 15
    # each change starts from the state the previous one left: no write was based on a stale read
    for earlier, later in itertools.pairwise(events):
        assert later.from_state == earlier.to_state
    row = store.get_rollout_state(W)
    assert row is not None and row.version == len(events)
    final = events[-1].to_state
    assert final is not None and state(store) == (final["stage"], final["share"], final["rollback"])


def test_each_flip_reports_the_version_it_stored(store: Store) -> None:
    (first,) = flag.rollback(store, [W], "alice", "p95 doubled")
    assert first.after.version == 1 == flag.states(store, [W])[W].version  # not 0: the reply names the real version
    (undone,) = flag.undo_rollback(store, [W], "alice", "fixed")
    assert undone.before.version == 1 and undone.after.version == 2 == flag.states(store, [W])[W].version


def test_a_blanket_undo_keeps_what_the_controller_rolled_back_on_evidence(store: Store) -> None:
    flag.set_stage(store, W, "split", 10, "alice", "canary")
    flag.set_stage(store, OTHER, "split", 10, "alice", "canary")
    flag.rollback(store, [W], flag.CONTROLLER, "error_rate: new 9 % vs old 1 %")  # a fired trigger
    flag.rollback(store, [OTHER], "bob", "incident")  # a person, during an incident
    flag.rollback(store, [W, OTHER], "bob", "incident")  # W already rolled back: unchanged
    assert flag.evidence_rollbacks(store, [W, OTHER]) == [W]

    undone = flag.undo_rollback(store, [W, OTHER], "bob", "incident over", spare_evidence=True)
    assert [f.workload for f in undone] == [OTHER]
    assert state(store, W) == ("split", 10.0, True), "the model the evidence rejected stays off"
    assert state(store, OTHER) == ("split", 10.0, False)

    (named,) = flag.undo_rollback(store, [W], "bob", "reviewed the trigger: a false alarm")
    assert named.workload == W and state(store, W) == ("split", 10.0, False)
