"""Rollout history replayed: a rollback ended by a stage change is not a rehearsed drill."""

from __future__ import annotations

from modelswap.plan.stages import drills
from modelswap.store import RolloutEventRow

from .conftest import at


def _event(hours: float, action: str, rollback: bool) -> RolloutEventRow:
    return RolloutEventRow(
        workload="w",
        ts=at(hours),
        actor="ops",
        action=action,
        to_state={"stage": "full", "share": 100, "rollback": rollback},
    )


def test_a_cleared_rollback_is_no_drill_and_does_not_pair_with_a_later_undo() -> None:
    events = [
        _event(0, "rollback", True),
        _event(1, "clear_rollback", False),  # ended by `stage set --clear-rollback`, nothing restored
        _event(5, "rollback", True),
        _event(6, "undo_rollback", False),
    ]
    (drill,) = drills(events)
    assert (drill.rolled_back_at, drill.restored_at) == (at(5), at(6))
    assert drills(events[:2]) == []
