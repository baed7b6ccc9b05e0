"""modelswap's own store as a source; the inventory and baseline stored as evidence; the spend tracker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from modelswap.config import Migration
from modelswap.evals.baseline import take_baseline
from modelswap.evals.baseline_figures import BaselineFigures, read_baseline
from modelswap.inventory import record_baseline, record_inventory, spend_report, take_inventory
from modelswap.store import EvalResultRow, EvalRunRow, RequestRow, ShadowPairRow, Store, open_store
from modelswap.store.evidence import read_evidence
from modelswap.store.summaries import eval_runs

DAY0 = datetime(2025, 3, 1, 9, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'modelswap.db'}"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """Four days of support-chat: old serves 10 a day, then a 40 % split on day 4; shadow copies on day 1."""
    opened = open_store(store_url)
    rows, pairs = [], []
    for day in range(4):
        for i in range(10):
            on_new = day == 3 and i < 4
            row = RequestRow(
                ts=DAY0 + timedelta(days=day, minutes=i),
                workload="support-chat",
                arm="new" if on_new else "old",
                endpoint="new" if on_new else "old",
                model="gpt-5" if on_new else "gpt-4o-2024-08-06",
                status=200,
                latency_ms=100.0 * (i + 1),
                ttft_ms=10.0 * (i + 1),
                prompt_tokens=600,
                completion_tokens=100,
                cached_tokens=0,
                cost_usd=0.001 if on_new else 0.002,  # (600 × $2 + 100 × $8) / 1M = $0.002 on the old model
            )
            rows.append(row)
            if day == 0:
                pairs.append(
                    ShadowPairRow(request_id=row.id, ts=row.ts, arm="new", model="gpt-5", status=200, cost_usd=0.001)
                )
    opened.insert_records(rows, pairs)
    run = EvalRunRow(
        started_at=DAY0,
        workload="support-chat",
        golden_set_path="g.jsonl",
        golden_set_sha256="0" * 64,
        endpoints=["old", "new"],
        spec={},
    )
    opened.evals.start(run)
    opened.evals.add_results(
        [
            EvalResultRow(run_id=run.id, case_id="c1", arm="old", scorer="exact", passed=True),
            EvalResultRow(run_id=run.id, case_id="c1", arm="old", scorer="json", passed=True),
            EvalResultRow(run_id=run.id, case_id="c2", arm="old", scorer="exact", passed=True),
            EvalResultRow(run_id=run.id, case_id="c2", arm="old", scorer="json", passed=False),
            EvalResultRow(run_id=run.id, case_id="c3", arm="old", scorer="exact", passed=True),
            EvalResultRow(run_id=run.id, case_id="c4", arm="old", scorer="exact", passed=None),
            EvalResultRow(run_id=run.id, case_id="c2", arm="new", scorer="exact", passed=False),
        ]
    )
    opened.evals.finish(run.id, status="finished", finished_at=DAY0 + timedelta(minutes=5))
    try:
        yield opened
    finally:
        opened.close()


def test_the_store_is_a_source(store: Store, store_url: str, migration: Migration) -> None:
    inv = take_inventory([store_url], migration=migration)
    (report,) = inv.reports
    assert report.format == "store" and report.records == 40
    assert inv.other_models == {"gpt-5": 4}  # the new arm's requests are not the old model's
    w = inv.workload("support-chat")
    assert (w.origin, w.requests, w.requests_per_day) == ("rule", 36, 9.0)  # a workload of the file
    assert w.cost_per_request["old"] == pytest.approx(0.002)
    assert w.logged_cost_per_day == pytest.approx(36 * 0.002 / 4)
    served_by_old = [100.0 * (i + 1) for _ in range(3) for i in range(10)] + [100.0 * (i + 1) for i in range(4, 10)]
    assert w.latency_ms.p50 == np.percentile(served_by_old, 50) and w.ttft_ms.n == 36


def test_inventory_and_baseline_are_stored_as_evidence(store: Store, store_url: str, migration: Migration) -> None:
    now = DAY0 + timedelta(days=5)
    inv = take_inventory([store_url], migration=migration, now=now)
    ids = record_inventory(store, inv)
    assert len(ids) == len(inv.workloads) + 1
    rows = read_evidence(store, "inventory", workload="support-chat")
    (row,) = rows
    assert row.ok and row.source == "modelswap inventory" and row.ts == now
    assert row.figures is not None and row.figures["requests"] == 36
    assert row.figures["summary"].startswith("support-chat: 9.0 requests/day")

    (baseline,) = record_baseline(store, inv, now)
    stored = store.baselines.latest("support-chat")
    assert stored is not None and stored.figures == baseline.figures
    figures = stored.figures
    assert figures["pass_rate"] == pytest.approx(2 / 3)  # c1 and c3 pass every scorer; c4 was not scored
    assert (figures["passed"], figures["cases"]) == (2, 3) and len(figures["pass_rate_ci"]) == 2
    assert figures["cost_per_request_usd"] == pytest.approx(0.002) and figures["cost_source"] == "inventory"
    assert figures["latency_p95_ms"] == inv.workload("support-chat").latency_ms.p95
    assert figures["summary"].startswith("support-chat: pass rate 66.7 % [")
    assert stored.source.startswith("modelswap inventory --baseline + eval run ")


def test_spend_against_the_baseline(store: Store, store_url: str, migration: Migration) -> None:
    inv = take_inventory([store_url], migration=migration)
    record_baseline(store, inv, DAY0 + timedelta(days=5))
    report = spend_report(store, ["support-chat", "ticket-triage"], until=DAY0 + timedelta(days=6))
    support, triage = report.workloads
    assert support.baseline_source == "baseline" and support.baseline_cost_per_request == pytest.approx(0.002)
    assert [d.day.isoformat() for d in support.days] == ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04"]
    last = support.days[-1]
    assert last.requests == {"old": 6, "new": 4}
    assert last.actual_usd == pytest.approx(6 * 0.002 + 4 * 0.001)
    assert last.counterfactual_usd == pytest.approx(4 * 0.002)  # the new arm's 4 requests at the old price
    assert support.realised_saving_usd == pytest.approx(4 * 0.001)
    assert support.baseline_sample == 36 and support.saving_note == ""
    assert support.new_share == pytest.approx(0.1) and support.new_cost_per_request == pytest.approx(0.001)
    assert support.saving_per_day_at_full == pytest.approx(10 * (0.002 - 0.001))
    assert support.shadow_cost_usd == pytest.approx(10 * 0.001) and support.days[0].shadow_cost_usd == pytest.approx(
        0.01
    )
    assert triage.days == [] and triage.baseline_cost_per_request is None


def test_requests_the_gateway_refused_are_not_spend(store: Store) -> None:
    refused = RequestRow(
        ts=DAY0 + timedelta(days=3, minutes=30),
        workload="support-chat",
        arm="gateway",
        endpoint="",
        model="",
        status=400,
        latency_ms=0.1,
        error_kind="body_too_deep",
    )
    store.requests.insert([refused])
    (support,) = spend_report(store, ["support-chat"], until=DAY0 + timedelta(days=6)).workloads
    assert support.days[-1].requests == {"old": 6, "new": 4}
    # the counterfactual covers what the new arm served (4 requests at the old arm's $0.002), not the refusal
    assert support.days[-1].counterfactual_usd == pytest.approx(4 * 0.002), "no model was called for it"


def test_without_a_baseline_the_old_arm_is_the_reference(store: Store) -> None:
    (support,) = spend_report(store, ["support-chat"], until=DAY0 + timedelta(days=6)).workloads
    assert support.baseline_source == "old arm" and support.baseline_cost_per_request == pytest.approx(0.002)


def test_a_missing_sqlite_store_is_not_created(tmp_path: Path) -> None:
    from modelswap.inventory import InventoryError

    url = f"sqlite:///{tmp_path / 'nope.db'}"
    with pytest.raises(InventoryError, match="no such store"):
        take_inventory([url])
    assert not (tmp_path / "nope.db").exists()


def test_both_baseline_commands_store_one_shape_and_count_a_failed_call_as_failed(
    store: Store, store_url: str, migration: Migration
) -> None:
    """``modelswap baseline`` and ``inventory --baseline`` give the same pass rate from the same run."""
    (run,) = eval_runs(store, "support-chat")
    failed = EvalResultRow(run_id=run.id, case_id="c5", arm="old", scorer="exact", passed=None, error="HTTP 503")
    store.evals.add_results([failed])
    now = DAY0 + timedelta(days=5)
    (from_inventory,) = record_baseline(store, take_inventory([store_url], migration=migration, now=now), now)
    from_eval = take_baseline(store, "support-chat", now=now).baseline
    assert from_eval is not None
    a, b = BaselineFigures.from_json(from_inventory.figures), BaselineFigures.from_json(from_eval.figures)
    assert (a.passed, a.cases) == (b.passed, b.cases) == (2, 4), "c5's failed call is a failed case"
    assert a.pass_rate == b.pass_rate == pytest.approx(2 / 4)
    assert a.pass_rate_ci == b.pass_rate_ci and a.eval is not None and a.eval["errors"] == 1
    assert (a.cost_source, b.cost_source) == ("inventory", "traffic")
    assert read_baseline(store, "support-chat") == b, "the latest stored baseline reads back as the same figures"
