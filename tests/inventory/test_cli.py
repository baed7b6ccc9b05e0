"""``modelswap inventory`` and ``modelswap spend`` from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import load_migration
from modelswap.inventory import fingerprint
from modelswap.store import open_store
from modelswap.store.evidence import read_evidence

from .conftest import FIXTURES, openai_record, spread, write_jsonl

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _flat(text: str) -> str:
    """Output with line wrapping undone (consoles wrap at the terminal's width)."""
    return " ".join(text.split())


def test_inventory_json_markdown_and_table(migration_path: Path) -> None:
    log = str(FIXTURES / "openai_requests.jsonl")
    code, output = _run("inventory", log, "-c", str(migration_path), "--out", "json", "--no-save")
    assert code == 0, output
    data = json.loads(output)
    assert [w["name"] for w in data["workloads"]] == ["support-chat", "ticket-triage"]
    assert data["workloads"][0]["latency_ms"]["p50"] == 1200.0 and data["period"]["days"] == 2
    code, output = _run("inventory", log, "-c", str(migration_path), "--out", "md", "--no-save")
    assert code == 0 and "| workload | req/day | share |" in output and "| support-chat | 1.5 | 60.0% |" in output
    code, output = _run("inventory", log, "-c", str(migration_path), "--no-save")
    assert code == 0 and "support-chat" in output and "Read:" in output


def test_inventory_saves_evidence_accepts_workloads_and_tracks_spend(tmp_path: Path, migration_path: Path) -> None:
    times = spread(datetime(2025, 3, 1, tzinfo=UTC), 2, 8)
    write_jsonl(
        tmp_path / "log.jsonl",
        [openai_record(t, metadata={"workload": "support-chat"}) for t in times[:4]]
        + [openai_record(t, system="You write the weekly revenue report.") for t in times[4:]],
    )
    weekly = fingerprint("You write the weekly revenue report.", None, "gpt-4o")
    code, output = _run(
        "inventory",
        str(tmp_path / "log.jsonl"),
        "-c",
        str(migration_path),
        "--name",
        f"{weekly[:8]}=weekly-report",
        "--accept-workloads",
        "--yes",
        "--baseline",
    )
    assert code == 0, output
    assert "added 1 workload(s)" in _flat(output) and "weekly-report" in output
    migration = load_migration(migration_path)
    assert [w.name for w in migration.workloads] == ["support-chat", "ticket-triage", "weekly-report"]
    with open_store(migration.store) as store:
        kinds = {(e.kind, e.workload) for e in read_evidence(store, "inventory")}
        assert {("inventory", "support-chat"), ("inventory", "weekly-report"), ("inventory", None)} <= kinds
        baseline = store.baselines.latest("support-chat")
        assert baseline is not None and "pass_rate" not in baseline.figures and baseline.figures["eval"] is None
    code, output = _run("spend", "-c", str(migration_path), "--out", "json")
    assert code == 0, output
    assert [w["workload"] for w in json.loads(output)["workloads"]] == [
        "support-chat",
        "ticket-triage",
        "weekly-report",
    ]


def test_errors_are_for_people(tmp_path: Path, migration_path: Path) -> None:
    code, output = _run("inventory", str(FIXTURES / "openai_requests.jsonl"), "--format", "litellm")
    assert code == 1 and "not a LiteLLM SpendLogs export" in _flat(output) and "Traceback" not in output
    code, output = _run("inventory")
    assert code == 1 and "name the logs to read" in _flat(output)
    code, output = _run("inventory", str(FIXTURES / "home_grown.csv"), "--column", "timestamp")
    assert code == 1 and "--column expects KEY=VALUE" in _flat(output)
    code, output = _run(
        "inventory", str(FIXTURES / "openai_requests.jsonl"), "-c", str(migration_path), "--name", "P7=x", "--no-save"
    )
    assert code == 1 and "P7, which is not a proposal" in _flat(output)
    code, output = _run(
        "inventory", str(FIXTURES / "openai_requests.jsonl"), "-c", str(migration_path), "--name", "abc=x", "--no-save"
    )
    assert code == 1 and "expected a fingerprint (6 to 12 hex digits" in _flat(output)
    code, output = _run("spend", "-c", str(migration_path))
    assert code == 1 and "no such store" in _flat(output)


def test_report_flags_mean_what_they_mean_in_gate_and_old_spellings_still_work(
    tmp_path: Path, migration_path: Path
) -> None:
    log, c = str(FIXTURES / "openai_requests.jsonl"), str(migration_path)
    target = tmp_path / "inventory.json"
    code, output = _run("inventory", log, "-c", c, "--no-save", "-f", "json", "-o", str(target))
    assert code == 0, output
    assert [w["name"] for w in json.loads(target.read_text())["workloads"]] == ["support-chat", "ticket-triage"]
    new = _run("inventory", log, "-c", c, "--no-save", "--log-format", "openai", "-f", "md")
    old = _run("inventory", log, "-c", c, "--no-save", "--format", "openai", "-o", "md")
    assert new[0] == old[0] == 0 and "| workload | req/day | share |" in new[1]
    untimed = [[line for line in out.splitlines() if "Taken 20" not in line] for _, out in (new, old)]
    assert untimed[0] == untimed[1]  # the same report, but for the time it was taken
    code, output = _run("inventory", log, "-c", c, "--no-save", "-o", str(tmp_path / "x.txt"))
    assert code == 1 and "add -f md or -f json" in _flat(output)
    code, output = _run("spend", "-c", c, "-f", "litellm")
    assert code == 1 and "-f takes table, md or json" in _flat(output)
