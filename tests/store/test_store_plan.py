"""Plan ticks: an append-only history whose latest row per item is the item's state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelswap.store import PlanTickRow, Store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_ticks_keep_history_and_report_latest_per_item(store: Store) -> None:
    ticks = [
        PlanTickRow(item_key="baseline", state="ticked", actor="ana", ts=T0, evidence={"baseline_id": 1}),
        PlanTickRow(item_key="shadow", state="ticked", actor="bo", ts=T0 + timedelta(hours=1)),
        PlanTickRow(
            item_key="baseline",
            state="unticked",
            actor="cy",
            ts=T0 + timedelta(hours=2),
            note="golden set changed — redo",
        ),
    ]
    ids = [store.plan.add_tick(t) for t in ticks]
    assert ids == sorted(ids)
    plan = store.plan.ticks()
    assert [(t.item_key, t.state, t.actor) for t in plan.history] == [
        ("baseline", "ticked", "ana"),
        ("shadow", "ticked", "bo"),
        ("baseline", "unticked", "cy"),
    ]
    assert plan.history[0].evidence == {"baseline_id": 1}
    assert plan.latest["baseline"].state == "unticked"
    assert plan.latest["baseline"].note == "golden set changed — redo"
    assert plan.latest["shadow"].actor == "bo"
    only = store.plan.ticks("baseline")
    assert [t.id for t in only.history] == [ids[0], ids[2]]


def test_empty_plan(store: Store) -> None:
    plan = store.plan.ticks()
    assert plan.latest == {} and list(plan.history) == []


def test_unknown_tick_state_is_refused(store: Store) -> None:
    bad = PlanTickRow(item_key="x", state="done", actor="a", ts=T0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ticked"):
        store.plan.add_tick(bad)
