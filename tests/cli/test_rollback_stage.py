"""``modelswap rollback`` and ``modelswap stage``: the flag as an operator uses it from a shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import load_migration
from modelswap.store import open_store

runner = CliRunner()
FORCE = ("--force", "--reason", "test set-up: no golden set run")


@pytest.fixture
def migration_file(tmp_path: Path) -> Path:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    return tmp_path / "migration.yaml"


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


def test_rollback_then_undo_restores_the_stage(migration_file: Path) -> None:
    c = str(migration_file)
    assert _run("stage", "set", "ticket-triage", "split", "--share", "10", "-c", c, *FORCE)[0] == 0
    code, out = _run("rollback", "-c", c, "--reason", "p95 doubled", "--by", "alice")
    assert code == 0
    assert "ticket-triage: split 10% → split 10% (rolled back: old model serves)" in out
    assert "extraction: shadow → shadow (rolled back" in out
    code, out = _run("rollback", "-c", c)
    assert code == 0 and "already in that state" in out
    code, out = _run("rollback", "--undo", "-c", c, "--by", "alice")
    assert code == 0 and "ticket-triage: split 10% (rolled back: old model serves) → split 10%" in out

    with open_store(load_migration(migration_file).store) as store:
        events = store.rollout_events("ticket-triage")
    assert [e.action for e in events][:3] == ["undo_rollback", "rollback", "set_stage"]
    assert events[1].actor == "alice" and events[1].reason == "p95 doubled"


def test_rollback_one_workload_only(migration_file: Path) -> None:
    code, out = _run("rollback", "-c", str(migration_file), "--workload", "extraction")
    assert code == 0 and "extraction" in out and "ticket-triage" not in out
    code, out = _run("stage", "show", "-c", str(migration_file))
    assert code == 0
    assert "extraction shadow 0% YES" in out and "ticket-triage shadow 0% no" in out


def test_unknown_workload_and_bad_stage_are_clear_errors(migration_file: Path) -> None:
    c = str(migration_file)
    code, out = _run("rollback", "-c", c, "--workload", "nope")
    assert code == 1 and "unknown workload 'nope'; known: ticket-triage, extraction, order-tools" in out
    code, out = _run("stage", "set", "extraction", "canary", "-c", c)
    assert code == 1 and "unknown stage 'canary'" in out
    code, out = _run("stage", "set", "extraction", "split", "-c", c)
    assert code == 1 and "needs --share" in out
    code, out = _run("stage", "set", "extraction", "split", "--share", "150", "-c", c)
    assert code == 1 and "between 0 and 100" in out


def test_broken_migration_file_is_reported_not_traced(tmp_path: Path) -> None:
    bad = tmp_path / "m.yaml"
    bad.write_text("endpoints: {}\nworkloads: []\n")
    code, out = _run("rollback", "-c", str(bad))
    assert code == 1 and "m.yaml" in out and "Traceback" not in out


def test_stage_set_refuses_to_end_a_rollback_silently(migration_file: Path) -> None:
    c = str(migration_file)
    assert _run("stage", "set", "ticket-triage", "split", "--share", "10", "-c", c, *FORCE)[0] == 0
    assert _run("rollback", "-c", c, "-w", "ticket-triage", "--reason", "p95 doubled")[0] == 0
    code, out = _run("stage", "set", "ticket-triage", "full", "-c", c)
    assert code == 1 and "ticket-triage is rolled back" in out and "rollback --undo -w ticket-triage" in out
    code, out = _run("stage", "set", "ticket-triage", "full", "-c", c, "--clear-rollback")
    assert code == 1 and "needs a reason" in out
    code, out = _run("stage", "show", "-c", c)
    assert "ticket-triage split 10% YES" in out, "the rollback still holds"

    code, out = _run(
        "stage", "set", "ticket-triage", "full", "-c", c, "--clear-rollback", "--reason", "fix deployed", "--by", "bob"
    )
    assert code == 0
    assert "ticket-triage: split 10% (rolled back: old model serves) → full" in out
    assert "rollback of ticket-triage cleared by bob (audited as clear_rollback: fix deployed)" in out
    code, out = _run("stage", "show", "-c", c)
    assert "ticket-triage full 100% no" in out and "ticket-triage: clear_rollback by bob — fix deployed" in out


def test_stage_set_past_the_evidence_is_refused_with_reasons_unless_forced(migration_file: Path) -> None:
    c = str(migration_file)
    code, out = _run("stage", "set", "ticket-triage", "split", "--share", "10", "-c", c)
    assert code == 1 and "the evidence does not support split 10 % yet" in out
    assert "no golden-set run" in out and "shadow days" in out and "--force --reason" in out
    code, out = _run("stage", "set", "ticket-triage", "split", "--share", "10", "-c", c, "--force")
    assert code == 1 and "--force needs --reason" in out
    code, _ = _run(
        "stage",
        "set",
        "ticket-triage",
        "split",
        "--share",
        "10",
        "-c",
        c,
        "--force",
        "--reason",
        "incident 4411",
        "--by",
        "bo",
    )
    assert code == 0
    with open_store(load_migration(migration_file).store) as store:
        (event,) = store.rollout_events("ticket-triage")
    assert event.actor == "bo" and event.reason is not None
    assert event.reason.startswith("FORCED past: ticket-triage: no golden-set run") and event.reason.endswith(
        "incident 4411"
    )
    # back towards the old model is always allowed
    assert _run("stage", "set", "ticket-triage", "shadow", "-c", c)[0] == 0


def test_undo_of_every_workload_keeps_a_rollback_the_controller_made_on_evidence(migration_file: Path) -> None:
    from modelswap.rollout import flag

    c = str(migration_file)
    assert _run("stage", "set", "ticket-triage", "split", "--share", "10", "-c", c, *FORCE)[0] == 0
    with open_store(load_migration(migration_file).store) as store:
        flag.rollback(store, ["ticket-triage"], flag.CONTROLLER, "error_rate fired")
    assert _run("rollback", "-c", c, "--reason", "incident", "--by", "alice")[0] == 0
    code, out = _run("rollback", "--undo", "-c", c, "--by", "alice")
    assert code == 0
    assert "ticket-triage: kept rolled back" in out and "rollback --undo -w ticket-triage" in out
    assert "extraction: shadow (rolled back: old model serves) → shadow" in out
    code, out = _run("rollback", "--undo", "-w", "ticket-triage", "-c", c, "--by", "alice")
    assert code == 0 and "ticket-triage: split 10% (rolled back: old model serves) → split 10%" in out
