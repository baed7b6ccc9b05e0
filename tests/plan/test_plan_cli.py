"""``modelswap plan``, ``plan tick/untick`` and ``plan export`` as an operator uses them from a shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import load_migration
from modelswap.plan import history
from modelswap.store import open_store

from .conftest import migration_text

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> str:
    path = tmp_path / "migration.yaml"
    path.write_text(migration_text(scenario="gpt-5-to-sonnet"), encoding="utf-8")
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


def test_plan_shows_progress_and_every_item(config: str) -> None:
    code, out = run("plan", "-c", config)
    assert code == 0, out
    assert "Scope + baseline (week 1)" in out and "Overall" in out and "1/12 (8 %)" in out
    for key in ("inventory", "baseline", "quality-gate", "go-no-go", "shadow", "nightly-scoring", "retention"):
        assert key in out
    assert "no baseline stored yet" in out
    code, out = run("plan", "-c", config, "--details")
    assert code == 0 and "note: longer shadow: at least 21 days" in out and "✗ tool-use eval run" in out


def test_tick_and_untick_by_key_or_number_are_kept_with_who_and_why(config: str) -> None:
    code, out = run("plan", "tick", "8", "-c", config, "--by", "alice", "--note", "pen-test report SEC-12")
    assert code == 0, out
    assert "8. Red-team the new model: injection, jailbreak, output leak: ticked by alice at" in out
    assert "now done: ticked by hand by alice on" in out and "pen-test report SEC-12" in out
    code, out = run("plan", "-c", config, "untick", "red-team", "--by", "bob", "--note", "scope was too narrow")
    assert code == 0 and "unticked by bob" in out and "now manual: tick by hand" in out

    migration = load_migration(config)
    with open_store(migration.store) as store:
        rows = history(store, "red-team")
    assert [(r.state, r.actor, r.note) for r in rows] == [
        ("ticked", "alice", "pen-test report SEC-12"),
        ("unticked", "bob", "scope was too narrow"),
    ]
    assert rows[0].evidence is not None and rows[0].evidence["state"] == "manual"  # what the records said then


def test_unknown_item_is_a_clear_error_listing_the_keys(config: str) -> None:
    code, out = run("plan", "tick", "canery", "-c", config)
    assert code == 1
    assert "unknown plan item 'canery': did you mean 'canary'?" in out
    assert "1 inventory, 2 baseline, 3 quality-gate" in out and "12 retention" in out
    code, out = run("plan", "untick", "13", "-c", config)
    assert code == 1 and "unknown plan item '13'" in out


def test_export_markdown_and_json(config: str, tmp_path: Path) -> None:
    assert run("plan", "tick", "inventory", "-c", config, "--by", "carol")[0] == 0
    code, out = run("plan", "export", "-c", config)
    assert code == 0 and out.startswith("# Migration plan: demo-migration")
    assert out.count("- [ ]") == 10 and out.count("- [x]") == 2
    target = tmp_path / "plan.json"
    code, out = run("plan", "export", "-c", config, "--format", "json", "-o", str(target))
    assert code == 0 and f"wrote {target}" in out
    data = json.loads(target.read_text(encoding="utf-8"))
    inventory = data["phases"][0]["items"][0]
    assert inventory["done_by"] == "carol" and inventory["tick"]["actor"] == "carol"
    assert data["progress"]["done"] == 2 and data["scenario"]["slug"] == "gpt-5-to-sonnet"


def test_missing_migration_file_is_a_clear_error(tmp_path: Path) -> None:
    code, out = run("plan", "-c", str(tmp_path / "nope.yaml"))
    assert code == 1 and "file not found" in out
