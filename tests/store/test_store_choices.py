"""Schema v9: choice runs (``modelswap choose``), stored per workload and read back; the upgrade from v8."""

from __future__ import annotations

from modelswap.store import SCHEMA_VERSION, Store, open_store
from modelswap.store.choices import ChoiceRow, choices_of, latest_choice, record_choice

from .conftest import at, rewind
from .test_store_migrations import describe


def row(choice: str, workload: str, seconds: float, pick: str | None) -> ChoiceRow:
    figures = {"workload": workload, "pick": pick, "candidates": [{"name": "new", "cost": {"value": 1e-4}}]}
    return ChoiceRow(choice_id=choice, workload=workload, ts=at(seconds), candidates=["new", "gpt-4o-mini"],
                     figures=figures, eval_run_id=f"run-{choice}-{workload}", pick=pick)  # fmt: skip


def test_the_latest_choice_per_workload_and_a_whole_choice_read_back(store: Store) -> None:
    assert latest_choice(store, "triage") is None
    record_choice(store, [row("a", "triage", 1, None), row("a", "extraction", 1, "new")])
    record_choice(store, [row("b", "triage", 5, "gpt-4o-mini")])
    latest = latest_choice(store, "triage")
    assert latest is not None and (latest.choice_id, latest.pick, latest.eval_run_id) == (
        "b",
        "gpt-4o-mini",
        "run-b-triage",
    )
    assert latest.candidates == ["new", "gpt-4o-mini"] and latest.figures["candidates"][0]["cost"]["value"] == 1e-4
    assert [(r.workload, r.pick) for r in choices_of(store, "a")] == [("triage", None), ("extraction", "new")]
    record_choice(store, [])  # nothing to store is not an error
    assert choices_of(store, "nothing") == []


def test_a_v8_store_gains_the_table_and_matches_a_fresh_one(store_url: str) -> None:
    open_store(store_url).close()
    fresh = describe(store_url)
    rewind(store_url, 8)
    with open_store(store_url) as upgraded:
        assert upgraded.schema_status.upgraded_from == 8 and upgraded.schema_status.version == SCHEMA_VERSION
        record_choice(upgraded, [row("c", "triage", 1, "new")])
        assert latest_choice(upgraded, "triage") is not None
    assert describe(store_url) == fresh
