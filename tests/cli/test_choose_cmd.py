"""``modelswap choose`` end to end on the simulator: a preset's migration, candidates added, golden sets
run; the ranking, front, pick and chart shown are the figures stored, and the exit code says whether
a candidate passes every gate."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelswap.catalog import lookup
from modelswap.choose.report import workload_from_json
from modelswap.config import load_migration
from modelswap.evals.results import outcomes
from modelswap.store import open_store
from modelswap.store.choices import latest_choice

from .conftest import modelswap

W = "ticket-triage"
NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``modelswap init --scenario gpt-4o-to-gpt-5`` with a candidate endpoint added and fast simulated vendors."""
    directory = tmp_path_factory.mktemp("choose")
    done = modelswap("init", "--scenario", "gpt-4o-to-gpt-5", cwd=directory)
    assert done.returncode == 0, done.stderr
    config = directory / "migration.yaml"
    doc: dict[str, Any] = yaml.safe_load(config.read_text())
    doc["endpoints"]["mini"] = {"provider": "sim", "model": "gpt-4o-mini"}
    doc["simulator"]["time_scale"] = 0.05
    config.write_text(yaml.safe_dump(doc, sort_keys=False))
    return directory


def _retired(directory: Path, arm: str) -> bool:
    """Whether the catalog says the candidate's model is retired today (``choose`` leaves it out)."""
    endpoints = load_migration(directory / "migration.yaml").endpoints
    found = lookup(endpoints[arm].model if arm in endpoints else arm)
    return found is not None and found.retires is not None and found.retires <= date.today()


def _stored(directory: Path) -> tuple[Any, dict[str, Any]]:
    migration = load_migration(directory / "migration.yaml")
    with open_store(migration.store) as store:
        row = latest_choice(store, W)
        assert row is not None and row.eval_run_id is not None
        by_arm = outcomes(store.evals.results(row.eval_run_id))
    return row, by_arm


def test_choose_ranks_the_candidates_and_what_it_shows_is_what_it_stored(project: Path) -> None:
    args = ["choose", "-c", "migration.yaml", "--candidates", "new,mini,claude-haiku-4-5,gpt-4o-2024-05-13", "-w", W,
            "--limit", "40", "--chart", "pareto.svg", "-f", "json", "-o", "choice.json"]  # fmt: skip
    done = modelswap(*args, cwd=project)
    row, by_arm = _stored(project)
    shown = json.loads((project / "choice.json").read_text())
    assert done.returncode == (0 if row.pick else 1), done.stdout + done.stderr
    assert "gpt-4o-2024-05-13 left out" in done.stdout and "retired on" in done.stdout  # retired: not run
    ran = {"old", *(arm for arm in ("new", "mini", "claude-haiku-4-5") if not _retired(project, arm))}
    assert set(by_arm) == ran and all(len(c) == 40 for c in by_arm.values())
    (workload,) = shown["workloads"]
    assert workload == row.figures and workload["pick"] == row.pick and workload["cases"] == 40
    choice = workload_from_json(row.figures)
    for r in choice.ranking.rows:
        cases = by_arm[r.figures.name].values()  # the pass rate is the stored outcomes', a failed call failing
        assert r.figures.passed == sum(1 for o in cases if o.error is None and o.passed)
        assert r.figures.pass_rate.value is not None
        assert f"{r.figures.pass_rate.value * 100:.1f} %" in done.stdout
        assert r.figures.gates and r.figures.verdict in ("PASS", "FAIL", "INCONCLUSIVE")
    assert f"({choice.cases} cases): pick {row.pick or 'none passes every gate'}" in done.stdout
    assert f"Pareto front (pass rate ↑, cost ↓, p95 ↓): {', '.join(choice.ranking.front)}" in done.stdout
    assert all(len(line) <= 80 for line in done.stdout.splitlines() if "│" not in line and "left out" not in line
               and "! " not in line and "Pareto" not in line and "no candidate" not in line)  # fmt: skip
    svg = ET.fromstring((project / "pareto.svg").read_text())
    named = {g.get("data-name"): g.get("class", "").split() for g in svg.iter(f"{NS}g")}
    assert set(named) == ran
    assert {n for n, c in named.items() if "front" in c} == set(choice.ranking.front)
    assert [n for n, c in named.items() if "pick" in c] == ([row.pick] if row.pick else [])


def test_choose_exits_0_with_a_pick_when_a_candidate_passes_every_gate(project: Path) -> None:
    config = project / "migration.yaml"
    doc: dict[str, Any] = yaml.safe_load(config.read_text())
    for w in doc["workloads"]:  # a lenient gate only: a candidate must pass it on 40 cases
        w["gates"] = {"pass_rate": {"max_drop_points": 60, "confidence": 0.9}}
    config.write_text(yaml.safe_dump(doc, sort_keys=False))
    done = modelswap("choose", "-c", "migration.yaml", "--candidates", "new,mini", "-w", W, "--limit", "40",
                     "-f", "md", cwd=project)  # fmt: skip
    row, _ = _stored(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert row.pick in ("new", "mini") and f"## {W}: **{row.pick}**" in done.stdout
    passing = [c for c in row.figures["candidates"] if c["verdict"] == "PASS"]
    assert row.pick == min(passing, key=lambda c: c["cost"]["value"])["name"]


def test_an_unknown_candidate_is_refused_with_a_suggestion(project: Path) -> None:
    done = modelswap("choose", "-c", "migration.yaml", "--candidates", "gpt-4o-mni", cwd=project)
    assert done.returncode == 1
    assert "unknown candidate 'gpt-4o-mni'" in done.stderr and "did you mean" in done.stderr
