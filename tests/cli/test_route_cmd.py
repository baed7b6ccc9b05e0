"""``modelswap route calibrate`` end to end on the simulator, as the README runs it: init the routing
preset, calibrate and write the threshold, eval, gate → PASS with a cost cut of at least 60 %."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.conftest import modelswap

from modelswap.config import load_migration
from modelswap.store import open_store
from modelswap.store.summaries import eval_runs

ROUTED = re.compile(
    r"extraction: routed arm escalated (?P<escalated>\d+)/(?P<of>\d+) .*?; "
    r"cost cut vs old (?P<cut>\d+\.\d) % \[(?P<low>\d+\.\d), (?P<high>\d+\.\d)\]"
)
CUT = re.compile(r"cost cut (\d+\.\d) % \[(\d+\.\d) %, (\d+\.\d) %\]")


def _init(directory: Path) -> Path:
    done = modelswap("init", str(directory), "--scenario", "sonnet-to-haiku-routing", cwd=directory.parent)
    assert done.returncode == 0, done.stderr
    migration = directory / "migration.yaml"
    text = migration.read_text()
    # Same answers, 5× faster: latencies keep their shape (the p95 gate stays meaningful), the test waits less.
    migration.write_text(text.replace("time_scale: 1.0 ", "time_scale: 0.2 "))
    return migration


def test_the_routing_preset_calibrates_evals_and_passes_its_gates_with_a_60_percent_cut(tmp_path: Path) -> None:
    directory = tmp_path / "routing-demo"
    migration = _init(directory)
    calibrate = ("route", "calibrate", "-c", "migration.yaml", "--chart", "curve.svg", "--write", "--concurrency", "64")
    done = modelswap(*calibrate, cwd=directory)
    assert done.returncode == 0, done.stdout + done.stderr
    printed = " ".join(done.stdout.split())
    cut = CUT.search(printed)
    assert cut is not None, printed
    saving, low, high = (float(g) for g in cut.groups())
    assert low >= 60.0 and low <= saving <= high, printed
    routing = load_migration(migration).workload("extraction").routing
    assert routing is not None and f"wrote threshold {routing.threshold:g} to migration.yaml:" in printed
    assert "calibrated by modelswap route calibrate" in migration.read_text()
    svg = (directory / "curve.svg").read_text()
    assert svg.startswith("<svg xmlns=") and "Kept cheap vs pass rate" in svg and svg.count("<polyline") == 3

    before = modelswap("gate", "-c", "migration.yaml", cwd=directory)
    assert before.returncode == 2, "the calibration's replay (cheap and strong, raw) is never judged as new vs old"
    with open_store(load_migration(migration).store) as store:
        (run,) = eval_runs(store, "extraction")
        assert run.spec["suite"] == "routing_calibration" and run.endpoints == ["routing-cheap", "routing-strong"]
        assert store.routing.latest("extraction") is not None

    evaluated = modelswap("eval", "-c", "migration.yaml", "--concurrency", "64", cwd=directory)
    assert evaluated.returncode == 0, evaluated.stdout + evaluated.stderr
    routed = ROUTED.search(" ".join(evaluated.stdout.split()))
    assert routed is not None, evaluated.stdout
    assert 0 < int(routed["escalated"]) < int(routed["of"]) and float(routed["low"]) >= 60.0
    gate = modelswap("gate", "-c", "migration.yaml", "--format", "json", cwd=directory)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    report = json.loads(gate.stdout)
    results = {r["gate"]: r for w in report["workloads"] for r in w["gates"]}
    assert {name: r["verdict"] for name, r in results.items()} == {
        "pass_rate": "PASS",
        "p95_latency": "PASS",
        "cost_per_request": "PASS",
        "escalation_rate": "PASS",
    }
    _, hi = results["cost_per_request"]["interval"]
    assert hi <= 0.4, "the whole interval of routed / strong cost lies at or below 0.4: a cut of at least 60 %"
    assert 0 < results["escalation_rate"]["estimate"] < 35


def test_a_workload_without_routing_is_refused_by_name(tmp_path: Path) -> None:
    directory = tmp_path / "plain"
    done = modelswap("init", str(directory), cwd=tmp_path)
    assert done.returncode == 0
    done = modelswap("route", "calibrate", "-c", "migration.yaml", "--workload", "ticket-triage", cwd=directory)
    assert done.returncode == 1
    assert "workload 'ticket-triage' has no routing: section" in " ".join(done.stderr.split())


def test_train_writes_a_classifier_the_signal_loads(tmp_path: Path) -> None:
    directory = tmp_path / "train"
    _init(directory)
    done = modelswap("route", "train", "-c", "migration.yaml", "--concurrency", "64", cwd=directory)
    assert done.returncode == 0, done.stdout + done.stderr
    printed = " ".join(done.stdout.split())
    assert "trained on 200 cases" in printed and "AUC" in printed
    artefact = directory / "extraction-router.json"
    from modelswap.routing.signal import build_signal

    signal = build_signal({"type": "classifier", "path": str(artefact)})
    assert signal.needs_answer is False
    doc = json.loads(artefact.read_text())
    assert doc["trained_on"] == 200 and len(doc["split"]["case_ids"]) == 200, "the cases of split A, recorded"
    assert "`modelswap route calibrate` verifies on the other 200" in printed


def test_a_threshold_that_does_not_hold_on_the_other_half_is_not_written(tmp_path: Path) -> None:
    """The trained classifier ranks Haiku's hard cases well (AUC ≈ 0.8) but not well enough: the threshold
    picked on one half lets the routed pass rate fall more than 2 points below Sonnet's on the other."""
    directory = tmp_path / "classify"
    migration = _init(directory)
    assert modelswap("route", "train", "-c", "migration.yaml", "--concurrency", "64", cwd=directory).returncode == 0
    text = migration.read_text()
    start, end = text.index("      signal:"), text.index("      threshold:")
    migration.write_text(text[:start] + "      signal: {type: classifier, path: extraction-router.json}\n" + text[end:])
    before = migration.read_text()
    done = modelswap("route", "calibrate", "-c", "migration.yaml", "--write", "--concurrency", "64", cwd=directory)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "did not hold on the held-out split: not written" in " ".join(done.stdout.split())
    assert migration.read_text() == before

    artefact = json.loads((directory / "extraction-router.json").read_text())
    with open_store(load_migration(migration).store) as store:
        stored = store.routing.latest("extraction")
    assert stored is not None and stored.settings["seed"] == artefact["split"]["seed"] == 0
    leaky = modelswap("route", "calibrate", "-c", "migration.yaml", "--seed", "1", "--concurrency", "64", cwd=directory)
    assert leaky.returncode == 1, leaky.stdout + leaky.stderr
    refused = " ".join(leaky.stderr.split())
    assert "refusing to calibrate:" in refused and "trained the classifier in" in refused
    assert "(trained with --seed 0 --split 0.5)" in refused
