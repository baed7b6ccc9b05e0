"""Retention: a retired target fails `check`, an old model retiring inside the window warns, and
probes of the old model after 100 % are recorded for the plan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import load_migration, parse_migration
from modelswap.plan import load_checklist
from modelswap.rollout import flag
from modelswap.rollout.retention import lifecycle_issues, probe_old
from modelswap.starter import write_starter
from modelswap.store import open_store, read_evidence


def migration_text(old: str, new: str) -> str:
    return f"""
endpoints:
  old: {{provider: sim, model: {old}}}
  new: {{provider: sim, model: {new}}}
workloads:
  - name: support
"""


def test_a_retired_target_is_a_problem_and_an_old_model_retiring_in_the_window_a_warning() -> None:
    m = parse_migration(migration_text("gpt-4o", "claude-opus-4"), "m.yaml")
    problems, warnings = lifecycle_issues(m, date(2026, 12, 20))
    (problem,) = problems
    assert problem.startswith("endpoints.new.model: the migration's target is retired:") and "2026-06-15" in problem
    (warning,) = warnings
    assert "'gpt-4o' retires on 2027-01-14, before the 30-day retention window ends" in warning
    assert lifecycle_issues(m, date(2026, 1, 10)) == ([], [])


def test_check_fails_when_the_target_is_retired(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    path.write_text(migration_text("gpt-4o", "claude-opus-4"))
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "target is retired" in result.output and "✓" not in result.output


async def test_probes_of_the_old_model_after_full_are_recorded_and_read_by_the_plan(tmp_path: Path) -> None:
    write_starter(tmp_path)
    config = tmp_path / "migration.yaml"
    config.write_text(config.read_text().replace("time_scale: 1.0 ", "time_scale: 0.0 "))
    migration = load_migration(config)
    with open_store(migration.store) as store:
        assert await probe_old(migration, store) == [], "nothing at 100 %: nothing to probe"
        flag.set_stage(store, "ticket-triage", "full", None, "ana", "promoted")
        (row,) = await probe_old(migration, store, concurrency=64)
        assert row.workload == "ticket-triage" and row.ok, row.figures
        assert [r.workload for r in read_evidence(store, "retention_probe")] == ["ticket-triage"]
        item = load_checklist(store, migration).item("retention").evidence
        assert "1 probes of the old model, all healthy" in item.figures[0]
