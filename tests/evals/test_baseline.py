"""``take_baseline``: the old model's figures from a known eval run and gateway records, by hand."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelswap.evals.baseline import take_baseline
from modelswap.plan.figures import baseline_figures as plan_summary
from modelswap.store import EvalResultRow, EvalRunRow, RequestRow, Store, open_store

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
Z95 = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson's score interval, written out (Newcombe 1998, method 3)."""
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return centre - half, centre + half


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'evals.db'}") as s:
        yield s


def row(
    run_id: str, case: str, arm: str, passed: bool | None, latency: float | None, cost: float | None, **kw: object
) -> EvalResultRow:
    return EvalResultRow(
        run_id=run_id,
        case_id=case,
        arm=arm,
        scorer=str(kw.get("scorer", "equals")),
        model="gpt-4o" if arm == "old" else "gpt-5",
        passed=passed,
        latency_ms=latency,
        cost_usd=cost,
        error=kw.get("error"),  # type: ignore[arg-type]
        output={"cached": False},
    )


def known_run(store: Store, started: datetime = T0, status: str = "finished") -> str:
    run = EvalRunRow(
        started_at=started,
        workload="triage",
        golden_set_path="golden/triage.jsonl",
        golden_set_sha256="ab" * 32,
        endpoints=["old", "new"],
        spec={"suite": "golden"},
    )
    store.evals.start(run)
    rows = [row(run.id, f"c{i}", "old", True, 100.0 * (i + 1), 0.001 * (i + 1)) for i in range(7)]
    rows += [
        row(run.id, "c7", "old", False, 800.0, 0.008),
        row(run.id, "c8", "old", False, None, None, error="old: HTTP 503 overloaded"),  # a failed call: a failed case
        row(run.id, "c9", "old", True, 900.0, 0.009),
        row(run.id, "c9", "old", None, 900.0, 0.009, scorer="llm_judge"),  # undecided: left out of the rate
        *(row(run.id, f"c{i}", "new", False, 5.0, 1.0) for i in range(10)),
    ]
    store.evals.add_results(rows)
    store.evals.finish(run.id, status=status, finished_at=started + timedelta(minutes=5))
    return run.id


def test_figures_from_a_known_eval_run_equal_the_hand_computed_ones(store: Store) -> None:
    run_id = known_run(store)
    outcome = take_baseline(store, "triage", now=T0 + timedelta(hours=1))
    assert outcome.baseline is not None and outcome.baseline.id is not None
    f = outcome.baseline.figures
    lo, hi = wilson(7, 9)  # 8 cases with a verdict + 1 whose call failed (counted failed, as the gates do)
    assert (f["passed"], f["cases"], f["arm"], f["model"]) == (7, 9, "old", "gpt-4o")
    assert f["pass_rate"] == pytest.approx(7 / 9)
    assert f["pass_rate_ci"] == pytest.approx([lo, hi])
    # latencies of the nine answered cases: 100, 200, ..., 900 ms (numpy's linear percentiles)
    assert f["latency_p50_ms"] == pytest.approx(500.0)
    assert f["latency_p95_ms"] == pytest.approx(800 + 0.6 * 100)
    assert f["latency_p99_ms"] == pytest.approx(800 + 0.92 * 100)
    assert f["cost_per_request_usd"] == pytest.approx(0.045 / 9)
    assert (f["cost_source"], f["latency_source"], f["traffic"]) == ("eval", "eval", None)
    assert f["eval"]["run_id"] == run_id and f["eval"]["errors"] == 1 and f["eval"]["cases"] == 10
    assert outcome.baseline.source == f"eval run {run_id} (9 cases)"
    assert (f["cost_sample"], f["latency_sample"], f["min_sample"]) == (9, 9, 50)
    assert outcome.warnings == f["warnings"] and len(f["warnings"]) == 3  # 9 cases, 9 costs, 9 latencies: thin
    stored = store.baselines.latest("triage")
    assert stored is not None and stored.figures == f
    assert plan_summary(f) == f"pass rate 77.8 % [{lo * 100:.1f}, {hi * 100:.1f}], p95 860 ms, $0.0050/request"


def test_gateway_records_give_cost_and_latency_when_present(store: Store) -> None:
    known_run(store)

    def request(ms: float, cost: float | None, **kw: object) -> RequestRow:
        fields: dict[str, object] = {"workload": "triage", "arm": "old", "status": 200, **kw}
        return RequestRow(ts=T0, endpoint="old", model="gpt-4o", latency_ms=ms, cost_usd=cost, **fields)  # type: ignore[arg-type]

    store.requests.insert(
        [
            request(10, 0.1),
            request(20, 0.2),
            request(30, None),  # unpriced: counts for latency, not for cost
            request(40, 0.4),
            request(5000, 9.9, status=503),  # failed: not a served answer
            request(1, 9.9, arm="new"),
            request(1, 9.9, workload="other"),
        ]
    )
    f = take_baseline(store, "triage", min_sample=3).baseline.figures  # type: ignore[union-attr]
    assert f["pass_rate"] == pytest.approx(7 / 9)  # still from the eval run
    assert (f["cost_source"], f["latency_source"]) == ("traffic", "traffic")
    assert f["cost_per_request_usd"] == pytest.approx(0.7 / 3)
    assert [f["latency_p50_ms"], f["latency_p95_ms"], f["latency_p99_ms"]] == pytest.approx([25.0, 38.5, 39.7])
    assert f["traffic"]["requests"] == 4 and f["traffic"]["priced_requests"] == 3
    assert (f["cost_sample"], f["latency_sample"]) == (3, 4)
    assert f["eval"]["cost_per_request_usd"] == pytest.approx(0.005)  # the eval's own figures are kept
    # with the default minimum (50) neither sample is enough: the larger one (the eval's 9) is used
    f = take_baseline(store, "triage").baseline.figures  # type: ignore[union-attr]
    assert (f["cost_source"], f["cost_sample"], f["latency_source"], f["latency_sample"]) == ("eval", 9, "eval", 9)


def test_the_latest_finished_run_is_the_one_used(store: Store) -> None:
    known_run(store, T0)
    newest = known_run(store, T0 + timedelta(days=1))
    known_run(store, T0 + timedelta(days=2), status="cancelled")
    f = take_baseline(store, "triage").baseline.figures  # type: ignore[union-attr]
    assert f["eval"]["run_id"] == newest


def test_nothing_is_stored_without_data(store: Store) -> None:
    outcome = take_baseline(store, "triage")
    assert outcome.baseline is None and "run `modelswap eval` first" in outcome.reason
    assert store.baselines.latest("triage") is None


def _eval_run(store: Store, workload: str, cases: int, *, cost: float, latency: float) -> str:
    run = EvalRunRow(
        started_at=T0,
        workload=workload,
        golden_set_path=f"golden/{workload}.jsonl",
        golden_set_sha256="cd" * 32,
        endpoints=["old"],
        spec={"suite": "golden"},
    )
    store.evals.start(run)
    store.evals.add_results([row(run.id, f"c{i}", "old", i % 10 != 0, latency, cost) for i in range(cases)])
    store.evals.finish(run.id, status="finished", finished_at=T0 + timedelta(minutes=5))
    return run.id


def _gateway_requests(store: Store, workload: str, n: int, *, cost: float, latency: float) -> None:
    store.requests.insert(
        [
            RequestRow(
                ts=T0,
                workload=workload,
                arm="old",
                endpoint="old",
                model="gpt-4o",
                status=200,
                latency_ms=latency,
                cost_usd=cost,
            )
            for _ in range(n)
        ]
    )


def test_four_gateway_requests_do_not_outweigh_a_120_case_eval(store: Store) -> None:
    run_id = _eval_run(store, "triage", 120, cost=0.002, latency=800.0)
    _gateway_requests(store, "triage", 4, cost=0.05, latency=90.0)  # a few odd requests
    outcome = take_baseline(store, "triage")
    assert outcome.baseline is not None
    f = outcome.baseline.figures
    assert (f["cost_source"], f["cost_sample"], f["cost_per_request_usd"]) == ("eval", 120, pytest.approx(0.002))
    assert (f["latency_source"], f["latency_sample"], f["latency_p95_ms"]) == ("eval", 120, 800.0)
    assert (f["passed"], f["cases"]) == (108, 120) and f["warnings"] == []
    assert outcome.baseline.source == f"eval run {run_id} (120 cases) + 4 gateway requests (not used: too few)"
    assert f["traffic"]["requests"] == 4  # still recorded, for whoever wants to look


def test_enough_gateway_traffic_is_preferred_to_the_eval(store: Store) -> None:
    _eval_run(store, "triage", 120, cost=0.002, latency=800.0)
    _gateway_requests(store, "triage", 60, cost=0.003, latency=500.0)
    f = take_baseline(store, "triage").baseline.figures  # type: ignore[union-attr]
    assert (f["cost_source"], f["cost_sample"], f["cost_per_request_usd"]) == ("traffic", 60, pytest.approx(0.003))
    assert (f["latency_source"], f["latency_sample"]) == ("traffic", 60) and f["warnings"] == []


def test_a_baseline_on_too_few_requests_warns_loudly(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from modelswap.cli.app import app

    (tmp_path / "migration.yaml").write_text(
        "version: 1\nname: t\nstore: sqlite:///evals.db\n"
        "endpoints:\n  old: {provider: sim, model: gpt-4o}\n  new: {provider: sim, model: gpt-5}\n"
        "workloads:\n  - name: triage\n    match: [{header: {x-w: triage}}]\n"
    )
    with open_store(f"sqlite:///{tmp_path / 'evals.db'}") as s:
        _gateway_requests(s, "triage", 4, cost=0.05, latency=90.0)
    result = CliRunner().invoke(app, ["baseline", "-c", str(tmp_path / "migration.yaml")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "4 gateway requests (cost from traffic, n=4; latency from traffic, n=4)" in text
    assert "! triage: cost per request rests on 4 gateway requests, fewer than the minimum of 50" in text
    with open_store(f"sqlite:///{tmp_path / 'evals.db'}") as s:
        stored = s.baselines.latest("triage")
    assert stored is not None and len(stored.figures["warnings"]) == 2  # cost and latency; no pass rate at all
