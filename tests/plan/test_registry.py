"""A 13th plan item registered from one module is shown, evaluated, ticked and exported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.plan import ITEMS, UnknownItem, item
from modelswap.plan.registry import RULES, plan_item, remove_item
from modelswap.plan.status import Context, Evidence

from .conftest import migration_text

runner = CliRunner()


def load_test(ctx: Context) -> Evidence:
    return Evidence("in_progress", f"load test run for 0 of {len(ctx.names)} workloads", progress=0.25)


@pytest.fixture
def thirteenth() -> Iterator[None]:
    plan_item(13, "load-test", "cutover", "Load test the new model at peak traffic", "a load-test run")(load_test)
    try:
        yield
    finally:
        remove_item("load-test")


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


def test_a_registered_item_is_part_of_the_plan_end_to_end(thirteenth: None, tmp_path: Path) -> None:
    config = tmp_path / "migration.yaml"
    config.write_text(migration_text(scenario="gpt-5-to-sonnet"), encoding="utf-8")
    assert len(ITEMS) == 13 and ITEMS[-1].key == "load-test" and item("13").title.startswith("Load test")
    code, out = run("plan", "-c", str(config))
    assert code == 0, out
    assert "load-test" in out and "load test run for 0 of" in out and "/13" in out
    code, out = run("plan", "tick", "13", "-c", str(config), "--by", "alice", "--note", "k6 at 2x peak")
    assert code == 0 and "13. Load test the new model at peak traffic: ticked by alice" in out
    code, out = run("plan", "export", "-c", str(config), "-o", str(tmp_path / "plan.md"))
    assert code == 0, out
    assert "Load test the new model at peak traffic" in (tmp_path / "plan.md").read_text(encoding="utf-8")


def test_removing_it_restores_the_twelve(thirteenth: None) -> None:
    remove_item("load-test")
    assert len(ITEMS) == 12 and "load-test" not in RULES
    with pytest.raises(UnknownItem, match="use a number 1–12"):
        item("13")


def test_numbers_keys_and_phases_are_checked(thirteenth: None) -> None:
    with pytest.raises(ValueError, match="number 13 is already 'load-test'"):
        plan_item(13, "other", "cutover", "t", "n")(load_test)
    with pytest.raises(ValueError, match="unknown phase 'later'"):
        plan_item(14, "later-one", "later", "t", "n")(load_test)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=20))
@example("²")  # a digit to str.isdigit() that int() refuses
def test_any_reference_names_one_item_or_lists_them(ref: str) -> None:
    try:
        found = item(ref)
    except UnknownItem as exc:
        assert "use a number 1–" in str(exc)
        return
    assert found in ITEMS
