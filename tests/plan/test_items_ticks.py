"""The 12 items in 3 phases, how an item is named, and how a tick by hand meets the evidence."""

from __future__ import annotations

import pytest

from modelswap.plan import ITEMS, PHASES, Evidence, UnknownItem, item, items_of, resolve
from modelswap.store import PlanTickRow

from .conftest import at


def test_twelve_items_in_three_phases_of_four() -> None:
    assert [i.number for i in ITEMS] == list(range(1, 13))
    assert [p.key for p in PHASES] == ["scope", "shadow", "cutover"]
    assert [[i.key for i in items_of(p.key)] for p in PHASES] == [
        ["inventory", "baseline", "quality-gate", "go-no-go"],
        ["shadow", "nightly-scoring", "diff-review", "red-team"],
        ["canary", "promote", "rollback-drill", "retention"],
    ]
    assert {i.key for i in ITEMS if i.manual_note} == {"inventory", "red-team", "retention"}


@pytest.mark.parametrize("ref", ["baseline", "2", 2, " Baseline ", "BASELINE"])
def test_an_item_is_named_by_key_or_number(ref: str | int) -> None:
    assert item(ref).key == "baseline"


@pytest.mark.parametrize("ref", ["0", "13", "nope", ""])
def test_an_unknown_item_lists_the_keys(ref: str) -> None:
    with pytest.raises(UnknownItem) as caught:
        item(ref)
    assert "use a number 1–12 or a key: 1 inventory, 2 baseline" in str(caught.value)


PROVEN = Evidence("done", "baselines stored for all 3 workloads", done_at=at(1), source="baselines")
PARTIAL = Evidence("in_progress", "baselines for 1 of 3 workloads", progress=1 / 3)


def tick_row(state: str, hours: float, note: str | None = None) -> PlanTickRow:
    return PlanTickRow(item_key="baseline", state=state, actor="bob", ts=at(hours), note=note)  # type: ignore[arg-type]


def test_a_tick_completes_an_item_the_evidence_has_not_proven() -> None:
    r = resolve(PARTIAL, tick_row("ticked", 2, "measured in the old dashboard"))
    assert (r.state, r.done_by, r.done_at) == ("done", "bob", at(2))
    assert r.summary == "ticked by hand by bob on 2025-03-01 14:00 UTC: measured in the old dashboard"
    both = resolve(PROVEN, tick_row("ticked", 2))
    assert both.done_by == "evidence" and both.summary.endswith("; also ticked by hand by bob on 2025-03-01 14:00 UTC")


def test_an_untick_reopens_older_evidence_but_not_newer() -> None:
    reopened = resolve(PROVEN, tick_row("unticked", 2, "golden set changed"))
    assert reopened.state == "in_progress" and reopened.done_by is None
    assert reopened.summary.startswith("unticked by hand by bob on 2025-03-01 14:00 UTC: golden set changed")
    assert resolve(PROVEN, tick_row("unticked", 0)).state == "done"  # the evidence came after the untick
    withdrawn = resolve(PARTIAL, tick_row("unticked", 2))
    assert withdrawn.state == "in_progress" and withdrawn.summary.startswith("baselines for 1 of 3 workloads (unticked")
