"""A gate judges a run over the workload's whole golden set: a newer ``--limit`` run (a quick choice, a
health probe) is passed over and named; ``gate --run`` on a partial run judges it with a warning."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import Migration, load_migration
from modelswap.evals.batch import run_workloads
from modelswap.evals.case import subset_digest
from modelswap.evals.gating import judge_workloads
from modelswap.evals.results import latest_run, subset_size
from modelswap.starter import write_starter
from modelswap.store import EvalRunRow, open_store

W = "ticket-triage"


def starter(directory: Path) -> tuple[Path, Migration]:
    write_starter(directory)
    config = directory / "migration.yaml"
    config.write_text(config.read_text().replace("time_scale: 1.0 ", "time_scale: 0.0 "))
    return config, load_migration(config)


async def test_the_gate_passes_over_a_newer_limited_run_and_names_it(tmp_path: Path) -> None:
    config, migration = starter(tmp_path)
    with open_store(migration.store) as store:
        whole = (await run_workloads(migration, store, workloads=[W], arms=["old", "new"])).summaries[0].run_id
        part = (await run_workloads(migration, store, workloads=[W], arms=["old", "new"], limit=10)).summaries[0]
        assert part.answered == 20, "10 cases on each of the two arms"
        (item,) = judge_workloads(migration, store, workloads=[W])
        assert item.run is not None and item.run.id == whole
        assert item.skipped == ((part.run_id, f"run {part.run_id} asked only the first 10 cases of the golden set "
                                 "(a --limit run)"),)  # fmt: skip
        assert f"skipped newer run {part.run_id}" in item.note and not item.warning
        assert max(r.n for r in item.results) > 10, "the gates count the whole set's cases"
        await run_workloads(migration, store, workloads=[W], arms=["old"], limit=5, fresh=True)  # a health probe
        old = latest_run(store, W, arms=("old",))
        assert old is not None and old.id == whole, "a health probe's subset is no baseline of the old model"

    runner = CliRunner()
    table = " ".join(runner.invoke(app, ["gate", "-c", str(config), "-w", W]).stdout.split())
    assert f"{W} (judged run {whole})" in table and f"skipped newer run {part.run_id} asked only" in table
    shown = runner.invoke(app, ["gate", "-c", str(config), "-w", W, "--format", "json"])
    report = json.loads(shown.stdout)["workloads"][0]
    assert report["run_id"] == whole and report["warning"] is None
    assert [s["run_id"] for s in report["skipped_runs"]] == [part.run_id]

    named = runner.invoke(app, ["gate", "-c", str(config), "--run", part.run_id])
    assert f"{W} (judged run {part.run_id} over part of the golden set)" in " ".join(named.stdout.split())
    warning = " ".join(named.stderr.split())
    assert f"warning: {W}: run {part.run_id} asked only the first 10 cases" in warning
    assert "not the workload's whole golden set" in warning


async def test_without_a_whole_run_the_gate_is_inconclusive_and_says_what_it_skipped(tmp_path: Path) -> None:
    _, migration = starter(tmp_path)
    with open_store(migration.store) as store:
        part = (await run_workloads(migration, store, workloads=[W], arms=["old", "new"], limit=10)).summaries[0]
        (item,) = judge_workloads(migration, store, workloads=[W])
    assert item.run is None and str(item.verdict) == "INCONCLUSIVE"
    assert "over the whole golden set" in item.note and f"skipped run {part.run_id}" in item.note


def _run(sha: str, spec_golden: dict[str, object]) -> EvalRunRow:
    return EvalRunRow(started_at=datetime.now(UTC), workload=W, golden_set_path="g.jsonl", golden_set_sha256=sha,
                      endpoints=["old", "new"], spec={"golden_set": spec_golden})  # fmt: skip


def test_a_partial_run_is_known_by_its_spec_or_by_its_digest() -> None:
    whole = "a" * 64
    assert subset_size(_run("b" * 64, {"cases": 10, "first_of": whole})) == 10
    legacy = _run(subset_digest(whole, 10), {"cases": 10})  # stored before the spec said so
    assert subset_size(legacy) is None and subset_size(legacy, whole) == 10
    assert subset_size(_run(whole, {"cases": 120}), whole) is None
    assert subset_size(_run("c" * 64, {"cases": 10}), whole) is None, "another file's run is not a subset of this one"
