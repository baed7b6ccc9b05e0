"""The export: a timestamped Markdown task list grouped by phase, and JSON with the same content."""

from __future__ import annotations

import json
import re

from modelswap.config import Migration
from modelswap.plan import (
    ITEMS,
    PHASES,
    Checklist,
    build_checklist,
    load_checklist,
    tick,
    ticks_from,
    to_dict,
    to_json,
    to_markdown,
)
from modelswap.plan.facts import PlanFacts
from modelswap.store import PlanTickRow, Store

from .conftest import at


def empty_plan(migration: Migration) -> Checklist:
    return build_checklist(migration, PlanFacts(now=at()), ticks_from([]))


def test_the_export_of_an_empty_project_lists_12_unticked_items_by_phase(make_migration) -> None:  # type: ignore[no-untyped-def]
    plan = empty_plan(make_migration(written=False))
    text = to_markdown(plan)
    boxes = re.findall(r"^- \[(.)\] \*\*(\d+)\. ", text, flags=re.M)
    assert boxes == [(" ", str(i.number)) for i in ITEMS]
    headings = re.findall(r"^## (.+) \((week.*)\) — 0/4$", text, flags=re.M)
    assert headings == [(p.title, p.weeks) for p in PHASES]
    sections = re.split(r"^## ", text, flags=re.M)[1:4]
    for phase, section in zip(PHASES, sections, strict=True):
        numbers = [int(n) for n in re.findall(r"^- \[ \] \*\*(\d+)\.", section, flags=re.M)]
        assert numbers == [i.number for i in ITEMS if i.phase == phase.key]
    assert "- **Generated:** 2025-03-01T12:00:00Z" in text
    assert "- **Progress:** 0 of 12 items done (0 %)" in text
    assert text.startswith("# Migration plan: demo-migration\n")
    assert "manual: tick by hand" in text  # inventory, red-team, retention say so

    data = to_dict(plan)
    assert [len(p["items"]) for p in data["phases"]] == [4, 4, 4]
    assert not any(i["done"] for p in data["phases"] for i in p["items"])
    assert data["generated_at"] == "2025-03-01T12:00:00Z" and data["progress"]["done"] == 0


def test_the_export_holds_a_tick_with_its_timestamp_and_author(store: Store, migration: Migration) -> None:
    tick(store, "red-team", by="alice", note="pen-test <report> #12", now=at(hours=2))
    plan = load_checklist(store, migration, now=at(hours=3))
    text = to_markdown(plan)
    line = next(x for x in text.splitlines() if x.startswith("- [x] **8."))
    assert line.endswith("— done · ticked by hand by alice on 2025-03-01 14:00 UTC")
    assert "  - ticked by hand by alice on 2025-03-01 14:00 UTC: pen-test &lt;report&gt; #12" in text
    assert "- 2025-03-01 14:00 UTC — alice ticked red-team: pen-test &lt;report&gt; #12" in text
    assert "- **Progress:** 2 of 12 items done (17 %)" in text  # go/no-go (written in the file) and red-team

    data = json.loads(to_json(plan))
    red = next(i for p in data["phases"] for i in p["items"] if i["key"] == "red-team")
    assert red["done"] and red["done_by"] == "alice" and red["done_at"] == "2025-03-01T14:00:00Z"
    assert red["tick"] == {
        "item": "red-team",
        "state": "ticked",
        "actor": "alice",
        "ts": "2025-03-01T14:00:00Z",
        "note": "pen-test <report> #12",
    }
    assert red["evidence"]["state"] == "manual" and red["manual_only"]


def test_scenario_adjustments_appear_in_both_exports(make_migration) -> None:  # type: ignore[no-untyped-def]
    plan = empty_plan(make_migration(scenario="gpt-5-to-sonnet"))
    text = to_markdown(plan)
    assert "- **Scenario:** GPT-5 → current Claude Sonnet (cross-vendor) (risk high)" in text
    assert "  - note: longer shadow: at least 21 days (scenario gpt-5-to-sonnet (high risk))" in text
    assert "  - ✗ tool-use eval run for every workload: 0 of 3 workloads" in text
    assert "  - note: review 400 pairs instead of 200" in text
    assert "## Scenario notes" in text and "Test tool round trips explicitly" in text
    data = to_dict(plan)
    nightly = data["phases"][1]["items"][1]
    assert [c["label"] for c in nightly["evidence"]["checks"]][:1] == ["tool-use eval run for every workload"]
    assert data["scenario"] == {"slug": "gpt-5-to-sonnet", "title": plan.scenario.title, "risk": "high"}  # type: ignore[union-attr]

    routing = to_markdown(empty_plan(make_migration(scenario="sonnet-to-haiku-routing")))
    assert "calibrated confidence gate: routing-calibration eval run for every workload" in routing
    assert "about 80% of requests expected on the new model" in routing


def test_typed_text_cannot_break_the_task_list() -> None:
    from modelswap.plan.export import _tick_line

    row = PlanTickRow(item_key="shadow", state="ticked", actor="eve\n- [x] fake", ts=at(), note="a\n\nb")
    assert _tick_line(row) == "- 2025-03-01 12:00 UTC — eve - [x] fake ticked shadow: a b"
