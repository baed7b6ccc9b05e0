"""``modelswap rollout``: status, one round of decisions, approve, pause and resume from a shell."""

from __future__ import annotations

from pathlib import Path

from modelswap.config import load_migration
from modelswap.store import open_store

from .test_rollback_stage import _run, migration_file

__all__ = ["migration_file"]  # the fixture: a migration written by `modelswap init`


def test_status_and_a_round_say_why_nothing_moves_yet(migration_file: Path) -> None:
    c = str(migration_file)
    code, out = _run("rollout", "status", "-c", c, "-w", "ticket-triage")
    assert code == 0 and "ticket-triage: shadow" in out
    code, out = _run("rollout", "run", "--once", "-c", c)
    assert code == 0
    assert "ticket-triage: hold" in out and "no golden-set run" in out and "0.0 of 14 shadow days" in out


def test_approve_pause_resume_are_audited(migration_file: Path) -> None:
    c = str(migration_file)
    code, out = _run("rollout", "approve", "ticket-triage", "-c", c, "--by", "ana", "--reason", "looks good")
    assert code == 0 and "promotion to 1 % approved by ana" in out
    assert _run("rollout", "pause", "ticket-triage", "-c", c, "--by", "bo", "--reason", "launch")[0] == 0
    assert _run("rollout", "resume", "ticket-triage", "-c", c, "--by", "bo")[0] == 0
    code, out = _run("rollout", "approve", "ticket-triage", "-c", c, "--share", "20")
    assert code == 1 and "20 % is not a step" in out
    code, out = _run("rollout", "pause", "nope", "-c", c)
    assert code == 1 and "unknown workload 'nope'" in out
    with open_store(load_migration(migration_file).store) as store:
        events = store.rollout_events("ticket-triage")
    assert [(e.action, e.actor) for e in events] == [("resume", "bo"), ("pause", "bo"), ("approve", "ana")]
    assert events[2].reason == "approved promotion to 1 %: looks good"


def test_a_drill_without_a_running_gateway_fails_cleanly(migration_file: Path) -> None:
    code, out = _run("rollout", "drill", "-c", str(migration_file), "--replica", "http://127.0.0.1:9")
    assert code == 1 and "drill not done" in out and "Traceback" not in out
