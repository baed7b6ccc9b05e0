"""``modelswap redteam run|report|gate`` on the demo migration (the simulator over HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.demo import write_demo_migration

runner = CliRunner()


def test_run_report_gate_on_the_demo(tmp_path: Path) -> None:
    config = str(write_demo_migration(tmp_path, 0.005))
    base = ["-c", config]
    ran = runner.invoke(
        app, ["redteam", "run", *base, "-w", "ticket-triage", "--family", "obfuscation", "--family", "jailbreak"]
    )
    assert ran.exit_code == 0, ran.output
    said = " ".join(ran.output.split())
    assert "200 probes × 1 workload(s)" in said and "0 failed calls" in said
    assert "obfuscation" in said and "FAIL" in said

    report = runner.invoke(app, ["redteam", "report", *base, "--format", "json", "--findings", "3"])
    assert report.exit_code == 0, report.output
    data = json.loads(report.output)
    by_family = {f["family"]: f for f in data["families"]}
    assert by_family["obfuscation"]["verdict"] == "FAIL" and by_family["obfuscation"]["delta_points"] > 5
    assert by_family["jailbreak"]["verdict"] == "PASS"
    assert len(data["findings"]) == 3

    gate = runner.invoke(app, ["redteam", "gate", *base])
    assert gate.exit_code == 1, gate.output
    assert "red-team gate: FAIL" in " ".join(gate.output.split())

    plan = runner.invoke(app, ["plan", "export", "-c", config, "-f", "json"])
    item = next(i for p in json.loads(plan.output)["phases"] for i in p["items"] if i["key"] == "red-team")
    assert item["state"] == "in_progress" and "FAIL" in item["summary"]


def test_errors_are_one_line(tmp_path: Path) -> None:
    config = str(write_demo_migration(tmp_path, 0.005))
    nothing = runner.invoke(app, ["redteam", "report", "-c", config])
    assert nothing.exit_code == 1 and "no red-team run is stored yet" in " ".join(nothing.output.split())
    bad = runner.invoke(app, ["redteam", "run", "-c", config, "--family", "nope"])
    assert bad.exit_code == 1 and "unknown probe family nope" in " ".join(bad.output.split())
    bad_w = runner.invoke(app, ["redteam", "run", "-c", config, "-w", "nope"])
    assert bad_w.exit_code == 1 and "unknown workload" in " ".join(bad_w.output.split())
