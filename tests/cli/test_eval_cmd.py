"""``modelswap eval``, ``gate``, ``baseline`` and ``trend`` from a shell, against the simulator."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import load_migration
from modelswap.store import open_store
from modelswap.store.locks import StoreLock

runner = CliRunner()

MIGRATION = """\
name: calc-upgrade
store: sqlite:///modelswap.db
endpoints:
  old: {{provider: sim, model: gpt-4o}}
  new: {{provider: sim, model: gpt-5}}
workloads:
  - name: arithmetic
    golden_set: golden/arithmetic.jsonl
    gates:
      pass_rate: {{max_drop_points: 10, confidence: 0.95}}
      cost_per_request: {{max_ratio: 2.0}}
  - name: no-golden-set
simulator:
  seed: 7
  time_scale: 0
  error_scale: 0
  models:
    gpt-4o: {{quality: 1.0}}
    gpt-5: {{quality: {new_quality}}}
"""


def make_migration(tmp_path: Path, new_quality: float) -> Path:
    (tmp_path / "golden").mkdir(exist_ok=True)
    data = resources.files("modelswap.sim").joinpath("data/arithmetic.jsonl").read_text(encoding="utf-8")
    (tmp_path / "golden" / "arithmetic.jsonl").write_text(data, encoding="utf-8")
    path = tmp_path / "migration.yaml"
    path.write_text(MIGRATION.format(new_quality=new_quality), encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """A migration whose new model is as good as the old one."""
    return make_migration(tmp_path, 1.0)


@pytest.fixture
def worse(tmp_path: Path) -> Path:
    """A migration whose new model gets about half of the cases wrong."""
    return make_migration(tmp_path, 0.5)


def test_eval_then_gate_passes_and_exits_0(good: Path) -> None:
    code, out = run("eval", "-c", str(good))
    assert code == 0, out
    assert "arithmetic" in out and "100.0 %" in out and "100/100" in out
    assert "200 model calls, 0 answers from the cache, 0 failed calls" in out
    assert "skipped no-golden-set: no golden_set in the migration file" in out
    code, out = run("gate", "-c", str(good), "-w", "arithmetic")
    assert code == 0, out
    assert "pass_rate" in out and "PASS" in out and "overall: PASS" in out
    code, out = run("eval", "-c", str(good))  # scored again: every answer comes from the cache
    assert code == 0 and "0 model calls, 200 answers from the cache" in out


def test_gate_fails_with_exit_1_and_every_report_is_well_formed(worse: Path, tmp_path: Path) -> None:
    assert run("eval", "-c", str(worse))[0] == 0
    code, out = run("gate", "-c", str(worse), "-w", "arithmetic")
    assert code == 1 and "overall: FAIL" in out and "it lies entirely below" in out

    code, md = run("gate", "-c", str(worse), "-w", "arithmetic", "--format", "md")
    assert code == 1
    assert md.startswith("# Quality gates: calc-upgrade: FAIL\n")
    assert "## arithmetic (run `" in md and "| pass_rate | ❌ FAIL |" in md and "| gate | verdict |" in md

    code, text = run("gate", "-c", str(worse), "-w", "arithmetic", "--format", "json")
    assert code == 1
    report = json.loads(text)
    assert report["overall"] == "FAIL" and report["migration"] == "calc-upgrade"
    (workload,) = report["workloads"]
    assert workload["workload"] == "arithmetic" and workload["run_id"]
    gates = {g["gate"]: g for g in workload["gates"]}
    assert gates["pass_rate"]["verdict"] == "FAIL" and gates["pass_rate"]["interval"][1] < -10

    junit = tmp_path / "gates.xml"
    code, out = run("gate", "-c", str(worse), "-w", "arithmetic", "--format", "junit", "-o", str(junit))
    assert code == 1 and f"wrote junit report to {junit}" in out
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "1" and root.get("tests") == "2"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "modelswap.gates.arithmetic"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"pass_rate", "cost_per_request"}
    failure = cases["pass_rate"].find("failure")
    assert failure is not None and "lies entirely below" in (failure.get("message") or "")


def test_gate_without_an_eval_run_is_inconclusive_and_ci_stops_unless_allowed(good: Path) -> None:
    # Not enough evidence is not a green build: INCONCLUSIVE exits 2 and is a JUnit failure.
    code, out = run("gate", "-c", str(good))
    assert code == 2 and "INCONCLUSIVE" in out and "no finished eval run of both old and new" in out
    assert "overall: INCONCLUSIVE (not enough evidence: exit 2)" in out
    code, text = run("gate", "-c", str(good), "-f", "junit")
    assert code == 2
    root = ET.fromstring(text)
    assert root.get("failures") == root.get("tests") == "3" and root.get("skipped") == "0"
    assert {f.get("type") for f in root.iter("failure")} == {"inconclusive"}
    assert len(root.findall("testsuite")) == 2
    code, out = run("gate", "-c", str(good), "--allow-inconclusive")
    assert code == 0 and "exit 0: --allow-inconclusive" in out
    code, text = run("gate", "-c", str(good), "-f", "junit", "--allow-inconclusive")
    assert code == 0 and ET.fromstring(text).get("skipped") == "3"
    assert run("gate", "-c", str(good), "--strict")[0] == 2  # the old flag still works: it is the default now


def test_bad_arguments_are_clear_errors(good: Path) -> None:
    code, out = run("gate", "-c", str(good), "--run", "nope")
    assert code == 1 and "no eval run 'nope'" in out
    code, out = run("gate", "-c", str(good), "-f", "pdf")
    assert code == 1 and "--format must be one of table, md, json, junit" in out
    code, out = run("eval", "-c", str(good), "-e", "old,newer")
    assert code == 1 and "unknown endpoint(s) 'newer'; known: old, new" in out
    code, out = run("eval", "-c", str(good), "-w", "no-golden-set")
    assert code == 1 and "workload 'no-golden-set' has no golden_set" in out
    code, out = run("eval", "-c", str(good), "--rate-limit", "new:speed=3")
    assert code == 1 and "--rate-limit 'new:speed=3'" in out
    code, out = run("eval", "-c", str(good), "--resume", "nope")
    assert code == 1 and "no eval run 'nope'" in out


def test_nightly_is_plain_and_cron_ready_and_the_trend_shows_it(good: Path) -> None:
    code, out = run("eval", "-c", str(good), "--nightly")
    assert code == 0, out
    started, finished = out.splitlines()[:2]
    assert started == "arithmetic: started, calls to make: old 100, new 100"  # cron shows progress as it goes
    assert finished.startswith("nightly arithmetic finished run ")
    assert "old 100.0 % [96.3, 100.0] (100/100) · new 100.0 % [96.3, 100.0] (100/100); 200 calls, 0 failed" in out
    code, out = run("eval", "-c", str(good), "--nightly")
    assert code == 0 and "200 calls" in out  # each night asks the models afresh

    migration = load_migration(good)
    with open_store(migration.store) as store:
        nightly = [r for r in store.engine.connect().exec_driver_sql("SELECT nightly FROM eval_runs")]
    assert len(nightly) == 2 and all(row[0] for row in nightly)

    code, out = run("trend", "-c", str(good), "-w", "arithmetic")
    assert code == 0 and "Nightly trend: arithmetic" in out and "100.0 %" in out
    assert " 0.0 " in out and "+0.0" not in out  # zero prints one way everywhere
    code, text = run("trend", "-c", str(good), "-w", "arithmetic", "-f", "json")
    points = json.loads(text)["arithmetic"]
    assert len(points) == 1  # two runs on the same night: the later one counts
    assert points[0]["arms"]["new"]["passed"] == 100 and points[0]["difference_points"]["n"] == 100


def test_nightly_leaves_the_night_to_a_replica_that_is_running_it(good: Path) -> None:
    migration = load_migration(good)
    with open_store(migration.store) as store, StoreLock(store, "nightly") as held:
        assert held  # a gateway replica's schedule is running tonight's eval
        code, out = run("eval", "-c", str(good), "--nightly")
        assert code == 0 and "another process sharing the store is running the nightly eval" in out
        code, out = run("eval", "-c", str(good), "-w", "arithmetic")  # a manual eval does not wait for it
        assert code == 0, out
        runs = store.engine.connect().exec_driver_sql("SELECT nightly FROM eval_runs").all()
    assert [bool(r[0]) for r in runs] == [False]


def test_baseline_stores_the_old_models_figures(good: Path) -> None:
    code, out = run("baseline", "-c", str(good), "-w", "arithmetic")
    assert code == 1 and "no baseline for arithmetic" in out
    assert run("eval", "-c", str(good), "-e", "old")[0] == 0
    code, out = run("baseline", "-c", str(good), "-w", "arithmetic")
    assert code == 0, out
    assert "100.0 %" in out and "[96.3, 100.0]" in out and "100/100" in out
    with open_store(load_migration(good).store) as store:
        baseline = store.baselines.latest("arithmetic")
    assert baseline is not None
    assert baseline.figures["pass_rate"] == 1.0 and baseline.figures["cases"] == 100
    assert baseline.figures["latency_p95_ms"] is not None and baseline.figures["cost_per_request_usd"] > 0
