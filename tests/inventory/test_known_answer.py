"""Known answers: logs generated with known volumes, costs and latencies give exactly those figures.

Percentiles are numpy's default (linear interpolation, Hyndman & Fan type 7); DuckDB's
``quantile_cont`` and pandas' default compute the same.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest

from modelswap.config import Migration
from modelswap.inventory import take_inventory

from .conftest import openai_record, spread, write_jsonl

START = datetime(2025, 3, 1, tzinfo=UTC)
REPORTING = "You write the weekly revenue report from the figures given. Use tables."


def _known_log(path: Path) -> dict[str, list[float]]:
    rng = random.Random(5)
    records = []
    support_latency = list(range(1, 701))
    rng.shuffle(support_latency)
    for i, ts in enumerate(spread(START, 7, 700)):
        lat = float(support_latency[i])
        records.append(
            openai_record(
                ts,
                prompt_tokens=1000,
                completion_tokens=200,
                cached_tokens=400,
                latency_ms=lat,
                ttft_ms=lat / 4 if i % 2 == 0 else None,
                metadata={"workload": "support-chat"},
                user=f"cust-{i}",
            )
        )
    triage_latency = []
    for i, ts in enumerate(spread(START, 7, 350)):
        failed = i % 50 == 7
        lat = 100.0 + i % 50
        if not failed:
            triage_latency.append(lat)
        records.append(
            openai_record(
                ts,
                system="Triage this.",
                prompt_tokens=300,
                completion_tokens=10,
                latency_ms=lat,
                status=500 if failed else 200,
                user="triage-batch",
            )
        )
    for ts in spread(START, 7, 140):
        records.append(
            openai_record(ts, system=REPORTING, prompt_tokens=2000, completion_tokens=500, latency_ms=3000.0)
        )
    for ts in spread(START, 7, 70):
        records.append(openai_record(ts, model="gpt-4o-mini", served_model="gpt-4o-mini-2024-07-18"))
    rng.shuffle(records)
    write_jsonl(path, records)
    return {
        "support": [float(x) for x in range(1, 701)],
        "support_ttft": [support_latency[i] / 4 for i in range(0, 700, 2)],
        "triage": triage_latency,
    }


def test_known_volumes_costs_and_latencies(tmp_path: Path, migration: Migration) -> None:
    truth = _known_log(tmp_path / "requests.jsonl")
    inv = take_inventory([str(tmp_path / "requests.jsonl")], migration=migration)

    assert inv.period is not None and inv.period.days == 7
    assert inv.total_requests == 700 + 350 + 140
    assert inv.other_models == {"gpt-4o-mini-2024-07-18": 70}
    assert inv.reports[0].records == 1260 and inv.reports[0].malformed == 0

    support = inv.workload("support-chat")
    assert support.origin == "rule" and support.requests == 700
    assert support.requests_per_day == 100.0
    assert support.share == pytest.approx(700 / 1190, rel=1e-15)
    assert (support.prompt_tokens, support.completion_tokens, support.cached_tokens) == (700_000, 140_000, 280_000)
    # (600 uncached × $2 + 400 cached × $1 + 200 out × $8) per 1M tokens = $0.0032 a request, 100 a day
    assert support.cost_per_request["old"] == pytest.approx(0.0032, rel=1e-12)
    assert support.cost_per_day["old"] == pytest.approx(0.32, rel=1e-12)
    assert support.cost_per_day["new"] == pytest.approx(0.16, rel=1e-12)
    assert support.saving_per_day == pytest.approx(0.16, rel=1e-12)
    assert support.saving_fraction == pytest.approx(0.5, rel=1e-12)
    assert support.error_rate == 0.0
    lat = support.latency_ms
    assert (lat.n, lat.p50, lat.p95, lat.p99) == (700, *np.percentile(truth["support"], [50, 95, 99]))
    assert (lat.p50, lat.p95, lat.p99) == pytest.approx((350.5, 665.05, 693.01), rel=1e-12)
    ttft = support.ttft_ms
    assert (ttft.n, ttft.p50, ttft.p95, ttft.p99) == (350, *np.percentile(truth["support_ttft"], [50, 95, 99]))

    triage = inv.workload("ticket-triage")
    assert triage.origin == "rule" and triage.requests == 350 and triage.requests_per_day == 50.0
    assert triage.errors == 7 and triage.error_rate == pytest.approx(0.02, rel=1e-15)
    assert triage.cost_per_day["old"] == pytest.approx(343 * (300 * 2 + 10 * 8) / 1e6 / 7, rel=1e-12)
    assert triage.latency_ms.n == 343
    assert triage.latency_ms.p95 == np.percentile(truth["triage"], 95)
    assert triage.ttft_ms.n == 0 and triage.ttft_ms.p95 is None

    (reporting,) = [w for w in inv.workloads if w.origin == "proposed"]
    assert reporting.requests == 140 and reporting.requests_per_day == 20.0
    assert reporting.cost_per_day["old"] == pytest.approx(140 * (2000 * 2 + 500 * 8) / 1e6 / 7, rel=1e-12)
    assert reporting.latency_ms.p99 == 3000.0
    assert [w.name for w in inv.workloads][:2] == ["support-chat", "ticket-triage"]


def test_percentiles_match_numpy_across_files_and_slices(tmp_path: Path, migration: Migration) -> None:
    rng = np.random.default_rng(11)
    values = rng.lognormal(mean=6.5, sigma=0.6, size=3001).round(3)
    ttfts = rng.gamma(2.0, 80.0, size=3001).round(3)
    models = ["gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20"]
    halves = np.array_split(np.arange(values.size), 2)
    for n, idx in enumerate(halves):
        times = spread(START, 3, idx.size)
        write_jsonl(
            tmp_path / f"part{n}.jsonl",
            (
                openai_record(
                    t,
                    latency_ms=float(values[i]),
                    ttft_ms=float(ttfts[i]),
                    served_model=models[i % 3],
                    metadata={"workload": "support-chat"},
                )
                for t, i in zip(times, idx, strict=True)
            ),
        )
    inv = take_inventory([str(tmp_path / "part0.jsonl"), str(tmp_path / "part1.jsonl")], migration=migration)
    w = inv.workload("support-chat")
    assert w.models == {m: 1000 + (i == 0) for i, m in enumerate(models)}
    assert [w.latency_ms.p50, w.latency_ms.p95, w.latency_ms.p99] == list(np.percentile(values, [50, 95, 99]))
    assert [w.ttft_ms.p50, w.ttft_ms.p95, w.ttft_ms.p99] == list(np.percentile(ttfts, [50, 95, 99]))


def test_the_stated_method_is_duckdb_quantile_cont_and_numpy_linear() -> None:
    values = np.random.default_rng(3).exponential(300.0, size=997)
    con = duckdb.connect()
    con.register("v", {"x": values})
    (row,) = con.sql("SELECT quantile_cont(x, [0.5, 0.95, 0.99]) FROM v").fetchall()
    assert row[0] == pytest.approx(list(np.percentile(values, [50, 95, 99], method="linear")), rel=1e-12)


def test_without_a_migration_file_every_model_is_priced_at_its_own_price(tmp_path: Path) -> None:
    times = spread(START, 2, 4)
    write_jsonl(
        tmp_path / "r.jsonl",
        [
            openai_record(times[0], prompt_tokens=1_000_000, completion_tokens=0),
            openai_record(times[1], prompt_tokens=0, completion_tokens=1_000_000),
            openai_record(
                times[2],
                model="gpt-4o-mini",
                served_model="gpt-4o-mini",
                prompt_tokens=1_000_000,
                completion_tokens=0,
                system="Other.",
            ),
            openai_record(times[3], model="mystery-model", served_model="mystery-model", system="Other."),
        ],
    )
    inv = take_inventory([str(tmp_path / "r.jsonl")])
    assert inv.scope == "all models" and inv.total_requests == 4
    support = next(w for w in inv.workloads if w.requests == 2)
    assert support.cost_per_day == {"actual": pytest.approx((2.50 + 10.00) / 2, rel=1e-12)}
    mini = next(w for w in inv.workloads if "gpt-4o-mini" in w.models)
    assert mini.cost_per_day == {"actual": pytest.approx(0.15 / 2, rel=1e-12)}
    mystery = next(w for w in inv.workloads if "mystery-model" in w.models)
    assert mystery.cost_per_day == {"actual": None}  # no price: no cost rather than a wrong one
    assert any("mystery-model" in warning for warning in inv.warnings)
