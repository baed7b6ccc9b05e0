"""The baseline snapshot: each workload's reference figures before anything changes.

It joins the inventory (cost per request at the old model's price, latency percentiles,
time to first token and error rate, from whatever logs the team has) with the old model's
pass rate on the workload's golden set (its latest finished eval run, as ``modelswap.evals``
scores it). The figures are a ``BaselineFigures`` (``evals.baseline_figures``), the one shape
``modelswap baseline`` stores too; ``cost_source`` and ``latency_source`` say ``inventory``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from modelswap.evals.baseline_figures import (
    MIN_SAMPLE,
    BaselineFigures,
    eval_part,
    pass_rate_part,
    sample_warnings,
    store_baseline,
)
from modelswap.evals.results import latest_run, run_figures
from modelswap.inventory.figures import WorkloadFigures
from modelswap.inventory.inventory import Inventory
from modelswap.store import BaselineRow, EvalResultRow, EvalRunRow, Store

SOURCE = "modelswap inventory --baseline"
Json = dict[str, Any]


def _summary(w: WorkloadFigures, figures: BaselineFigures) -> str:
    parts = []
    rate, ci = figures.pass_rate, figures.pass_rate_ci
    if isinstance(rate, float):
        text = f"pass rate {rate * 100:.1f} %"
        if isinstance(ci, list):
            text += f" [{ci[0] * 100:.1f}, {ci[1] * 100:.1f}]"
        parts.append(text + f" on {figures.cases} cases")
    else:
        parts.append("no eval run of the old model yet")
    if w.latency_ms.p95 is not None:
        parts.append(f"p95 {w.latency_ms.p95:,.0f} ms over {w.latency_ms.n:,} requests")
    cost = figures.cost_per_request_usd
    if isinstance(cost, float):
        parts.append(f"${cost:.6f}/request over {figures.cost_sample or 0:,} requests")
    parts.append(f"{w.requests_per_day:,.1f} requests/day")
    return f"{w.name}: " + ", ".join(parts)


def baseline_figures(
    inventory: Inventory,
    w: WorkloadFigures,
    run: EvalRunRow | None = None,
    rows: list[EvalResultRow] | None = None,
    *,
    confidence: float = 0.95,
    min_sample: int = MIN_SAMPLE,
) -> BaselineFigures:
    """One workload's baseline figures from its inventory figures and, if given, an eval run (pure).

    Each figure states its sample (``cases``, ``cost_sample``: requests with known usage,
    ``latency_sample``); ``warnings`` lists those below ``min_sample``.
    """
    figures: Json = {"arm": "old", "model": inventory.endpoints.get("old"), "min_sample": min_sample}
    evals = None
    arm = run_figures(rows or [], confidence).get("old") if run is not None else None
    if run is not None and arm is not None:
        evals = eval_part(run, arm, confidence)
        figures |= pass_rate_part(arm, confidence)
    cost = w.cost_per_request.get("old", w.cost_per_request.get("actual"))
    if cost is not None:
        figures |= {
            "cost_per_request_usd": cost,
            "cost_source": "inventory",
            "cost_sample": w.requests - w.usage_unknown,
        }
    if w.latency_ms.p95 is not None:
        figures |= {
            "latency_p50_ms": w.latency_ms.p50,
            "latency_p95_ms": w.latency_ms.p95,
            "latency_p99_ms": w.latency_ms.p99,
            "latency_source": "inventory",
            "latency_sample": w.latency_ms.n,
        }
    built = BaselineFigures(**figures, eval=evals, inventory=_inventory_part(inventory, w))
    built = replace(built, warnings=sample_warnings(built))
    return replace(built, summary=_summary(w, built))


def _inventory_part(inventory: Inventory, w: WorkloadFigures) -> Json:
    period = inventory.period
    return {
        "requests": w.requests,
        "usage_unknown": w.usage_unknown,
        "requests_per_day": w.requests_per_day,
        "error_rate": w.error_rate,
        "latency_samples": w.latency_ms.n,
        "ttft_p50_ms": w.ttft_ms.p50,
        "ttft_p95_ms": w.ttft_ms.p95,
        "cost_per_day_usd": w.cost_per_day.get("old", w.cost_per_day.get("actual")),
        "period_start": period.start.isoformat() if period else None,
        "period_end": period.end.isoformat() if period else None,
        "scope": inventory.scope,
    }


def record_baseline(
    store: Store, inventory: Inventory, now: datetime, *, confidence: float = 0.95
) -> list[BaselineRow]:
    """Store a baseline per inventoried workload with traffic (inventory × latest old-model eval run)."""
    stored = []
    for w in inventory.workloads:
        if w.requests == 0:
            continue
        run = latest_run(store, w.name, arms=("old",))
        rows = store.evals.results(run.id) if run is not None else []
        figures = baseline_figures(inventory, w, run, rows, confidence=confidence)
        source = SOURCE + (f" + eval run {run.id}" if run is not None else "")
        stored.append(store_baseline(store, w.name, figures, source, now))
    return stored
