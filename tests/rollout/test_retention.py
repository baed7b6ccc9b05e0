"""Retention: a retired target fails `check`, an old model retiring inside the window warns, and
probes of the old model after 100 % are recorded for the plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import Migration, load_migration, parse_migration
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


def starter_migration(directory: Path) -> Migration:
    """The starter migration with an instant simulator."""
    write_starter(directory)
    config = directory / "migration.yaml"
    config.write_text(config.read_text().replace("time_scale: 1.0 ", "time_scale: 0.0 "))
    return load_migration(config)


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
    migration = starter_migration(tmp_path)
    with open_store(migration.store) as store:
        assert await probe_old(migration, store) == [], "nothing at 100 %: nothing to probe"
        flag.set_stage(store, "ticket-triage", "full", None, "ana", "promoted")
        (row,) = await probe_old(migration, store, concurrency=64)
        assert row.workload == "ticket-triage" and row.ok, row.figures
        assert [r.workload for r in read_evidence(store, "retention_probe")] == ["ticket-triage"]
        item = load_checklist(store, migration).item("retention").evidence
        assert "1 probes of the old model, all healthy" in item.figures[0]


async def test_a_probe_asks_a_subset_of_the_golden_set_at_the_clock_it_is_given(tmp_path: Path) -> None:
    migration = starter_migration(tmp_path)
    with open_store(migration.store) as store:
        flag.set_stage(store, "ticket-triage", "full", None, "ana", "promoted", at=datetime(2026, 3, 1, tzinfo=UTC))
        day = datetime(2026, 3, 9, 12, tzinfo=UTC)
        (row,) = await probe_old(migration, store, at=day, cases=7, concurrency=64)
        assert row.ts == day and row.ok
        assert str(row.figures["summary"]).startswith("old model answered 7 of 7 golden cases")
        run = store.evals.run(str(row.figures["run_id"]))
        assert run is not None and run.started_at == day and run.endpoints == ["old"]
        assert len(store.evals.results(run.id)) == 7
        # past the window (30 days after 100 %), nothing is due any more
        assert await probe_old(migration, store, at=day + timedelta(days=30)) == []


async def test_probe_daily_probes_once_then_waits_and_stops_on_request(tmp_path: Path) -> None:
    import asyncio

    from modelswap.rollout.retention import probe_daily

    migration = starter_migration(tmp_path)
    with open_store(migration.store) as store:
        flag.set_stage(store, "order-tools", "full", None, "ana", "promoted")
        stop = asyncio.Event()
        task = asyncio.create_task(probe_daily(migration, store, stop, every_s=3600))
        for _ in range(500):
            if read_evidence(store, "retention_probe"):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        stop.set()
        await asyncio.wait_for(task, 5)
        assert [r.workload for r in read_evidence(store, "retention_probe")] == ["order-tools"]


def test_only_workloads_inside_their_retention_window_are_due(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from modelswap.rollout.retention import due_workloads

    m = parse_migration(migration_text("gpt-4o", "gpt-5") + "rollout: {retain_old_days: 30}\n", "m.yaml", tmp_path)
    with open_store(m.store) as store:
        t0 = datetime(2026, 11, 1, tzinfo=UTC)
        flag.set_stage(store, "support", "full", None, "ana", "promoted", at=t0)
        assert due_workloads(m, store, t0 + timedelta(days=29)) == ["support"]
        assert due_workloads(m, store, t0 + timedelta(days=31)) == []
