"""The spend tracker reports no saving or loss before the new model has served traffic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import load_migration
from modelswap.inventory import spend_report
from modelswap.store import BaselineRow, RequestRow, Store, open_store

DAY0 = datetime(2025, 3, 1, 9, tzinfo=UTC)


def _served(store: Store, arm: str, n: int, cost: float, day: int = 0) -> None:
    store.requests.insert(
        [
            RequestRow(
                ts=DAY0 + timedelta(days=day, minutes=i),
                workload="support-chat",
                arm=arm,
                endpoint=arm,
                model="gpt-4o" if arm == "old" else "gpt-5",
                status=200,
                latency_ms=100.0,
                cost_usd=cost,
            )
            for i in range(n)
        ]
    )


def _thin_baseline(store: Store, cost_per_request: float) -> None:
    """A baseline taken from 4 gateway requests, cheaper than the requests that followed."""
    figures = {"cost_per_request_usd": cost_per_request, "cost_source": "traffic", "cost_sample": 4}
    store.baselines.add(BaselineRow(workload="support-chat", created_at=DAY0, figures=figures, source="4 requests"))


def test_no_saving_or_loss_before_the_new_model_served(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'm.db'}") as store:
        _thin_baseline(store, 0.0015)
        _served(store, "old", 200, 0.002)
        (w,) = spend_report(store, ["support-chat"], until=DAY0 + timedelta(days=2)).workloads
    assert w.new_share == 0.0 and w.new_requests == 0
    assert w.realised_saving_usd is None  # not 200 × (0.0015 − 0.002) = −$0.10, a "loss" of nothing
    assert w.saving_per_day_at_full is None
    assert w.saving_note == "the new model has served no traffic yet: no saving or loss to report"
    assert (w.baseline_source, w.baseline_sample) == ("baseline", 4)


def test_the_saving_counts_only_the_requests_the_new_model_served(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'm.db'}") as store:
        _thin_baseline(store, 0.0015)
        _served(store, "old", 190, 0.002)
        _served(store, "new", 10, 0.0005)
        (w,) = spend_report(store, ["support-chat"], until=DAY0 + timedelta(days=2)).workloads
    assert w.new_requests == 10 and w.new_share == pytest.approx(0.05)
    assert w.realised_saving_usd == pytest.approx(10 * (0.0015 - 0.0005))
    assert w.actual_usd == pytest.approx(190 * 0.002 + 10 * 0.0005)


def test_spend_command_says_why_there_is_no_saving(tmp_path: Path) -> None:
    (tmp_path / "migration.yaml").write_text(
        "version: 1\nname: t\nstore: sqlite:///m.db\n"
        "endpoints:\n  old: {provider: sim, model: gpt-4o}\n  new: {provider: sim, model: gpt-5}\n"
        "workloads:\n  - name: support-chat\n    match: [{header: {x-w: support}}]\n"
    )
    with open_store(load_migration(tmp_path / "migration.yaml").store) as store:
        _thin_baseline(store, 0.0015)
        _served(store, "old", 20, 0.002)
    result = CliRunner().invoke(app, ["spend", "-c", str(tmp_path / "migration.yaml"), "--out", "json"])
    assert result.exit_code == 0, result.output
    (w,) = json.loads(result.output)["workloads"]
    assert w["realised_saving_usd"] is None and w["new_requests"] == 0 and "no traffic yet" in w["saving_note"]
    result = CliRunner().invoke(app, ["spend", "-c", str(tmp_path / "migration.yaml")])
    assert result.exit_code == 0 and "no saving or loss to report" in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["spend", "-c", str(tmp_path / "migration.yaml"), "--out", "md"])
    row = next(line for line in result.output.splitlines() if line.startswith("| support-chat"))
    assert "— (no new traffic)" in row and "(baseline, n=4)" in row
