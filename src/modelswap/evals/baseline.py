"""Baselines: per workload, the old model's figures that later stages are compared against.

Pass rate (Wilson interval) comes from the latest finished eval run that scored the old model.
Cost per request and latency percentiles (p50/p95/p99) come from real traffic — the gateway's
records of requests the old model served — when it holds at least ``min_sample`` of them, else
from that eval run's answered cases when they are that many, else from whichever of the two
has more (and the baseline warns). Every figure states its source and sample size
(``cost_source``/``cost_sample``, ``latency_source``/``latency_sample``, ``cases``), and
``warnings`` lists each one resting on fewer than ``min_sample``: four gateway requests do not
outweigh a 120-case eval.

The figures are a ``BaselineFigures`` (``evals.baseline_figures``), the one shape
``modelswap inventory --baseline`` stores too; the pass rate counts a failed call as a failed case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from modelswap.evals.baseline_figures import (
    MIN_SAMPLE,
    BaselineFigures,
    eval_part,
    pass_rate_part,
    sample_warnings,
    store_baseline,
)
from modelswap.evals.results import latest_run, outcomes, run_figures
from modelswap.stats import percentile
from modelswap.store import BaselineRow, EvalResultRow, EvalRunRow, Store

Json = dict[str, Any]

__all__ = ["MIN_SAMPLE", "BaselineOutcome", "Traffic", "baseline_figures", "read_traffic", "take_baseline"]


@dataclass(frozen=True, slots=True)
class Traffic:
    """The old model's served requests for one workload: latency and cost per request."""

    latencies_ms: Sequence[float]
    costs_usd: Sequence[float]
    """Costs of the requests that have one (an unpriced model has none)."""
    first: datetime | None = None
    last: datetime | None = None

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)


@dataclass(frozen=True, slots=True)
class BaselineOutcome:
    """What ``take_baselines`` did for one workload: the stored row, or why there is none."""

    workload: str
    baseline: BaselineRow | None
    reason: str = ""

    @property
    def warnings(self) -> list[str]:
        """Figures of the stored baseline resting on too small a sample."""
        return list(self.baseline.figures.get("warnings") or []) if self.baseline is not None else []


def _latency(values: Sequence[float]) -> Json | None:
    if not values:
        return None
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "p99": percentile(values, 99)}


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(UTC).isoformat()


def eval_samples(rows: Iterable[EvalResultRow], arm: str) -> tuple[int, int]:
    """How many answered cases of ``arm`` logged a cost, and how many a latency (the samples behind its means)."""
    cases = outcomes(rows).get(arm, {}).values()
    answered = [o for o in cases if o.error is None]

    def finite(v: float | None) -> bool:
        return v is not None and bool(np.isfinite(v))

    return sum(finite(o.cost_usd) for o in answered), sum(finite(o.latency_ms) for o in answered)


def traffic_part(traffic: Traffic) -> Json:
    """What a baseline takes from the gateway's records."""
    return {
        "requests": traffic.requests,
        "priced_requests": len(traffic.costs_usd),
        "first": _iso(traffic.first),
        "last": _iso(traffic.last),
        "cost_per_request_usd": _mean(traffic.costs_usd),
        "latency_ms": _latency(traffic.latencies_ms),
    }


def _pick(traffic_n: int, eval_n: int, min_sample: int) -> str | None:
    """Where a figure comes from: traffic if it has enough, else the eval if it has, else the larger (or None)."""
    if traffic_n >= min_sample:
        return "traffic"
    if eval_n >= min_sample:
        return "eval"
    if not traffic_n and not eval_n:
        return None
    return "traffic" if traffic_n >= eval_n else "eval"


def baseline_figures(
    run: EvalRunRow | None,
    rows: Iterable[EvalResultRow],
    traffic: Traffic | None = None,
    *,
    arm: str = "old",
    confidence: float = 0.95,
    min_sample: int = MIN_SAMPLE,
) -> BaselineFigures:
    """A baseline's figures from an eval run's rows and/or traffic (pure).

    Cost and latency each come from traffic when it has at least ``min_sample`` values, else
    from the eval run when it has, else from the larger sample; ``cost_source``/``cost_sample``
    and ``latency_source``/``latency_sample`` say which and how many, ``warnings`` what is thin.
    """
    rows = list(rows)
    figures: Json = {"arm": arm, "min_sample": min_sample}
    evals = None
    eval_cost_n = eval_latency_n = 0
    arm_figures = run_figures(rows, confidence).get(arm) if run is not None else None
    if run is not None and arm_figures is not None:
        evals = eval_part(run, arm_figures, confidence)
        eval_cost_n, eval_latency_n = eval_samples(rows, arm)
        evals |= {"cost_sample": eval_cost_n, "latency_sample": eval_latency_n}
        figures |= {"model": arm_figures.model, **pass_rate_part(arm_figures, confidence)}
    traffic_json = traffic_part(traffic) if traffic is not None and traffic.requests else None
    traffic_n = (traffic_json["priced_requests"], len(traffic.latencies_ms)) if traffic_json and traffic else (0, 0)
    cost_from = _pick(traffic_n[0], eval_cost_n, min_sample)
    latency_from = _pick(traffic_n[1], eval_latency_n, min_sample)
    cost_source = traffic_json if cost_from == "traffic" else evals if cost_from == "eval" else None
    latency_source = traffic_json if latency_from == "traffic" else evals if latency_from == "eval" else None
    if cost_source is not None and cost_source["cost_per_request_usd"] is not None:
        figures |= {
            "cost_per_request_usd": cost_source["cost_per_request_usd"],
            "cost_source": cost_from,
            "cost_sample": traffic_n[0] if cost_from == "traffic" else eval_cost_n,
        }
    if latency_source is not None and latency_source["latency_ms"] is not None:
        lat = latency_source["latency_ms"]
        figures |= {
            "latency_p50_ms": lat["p50"],
            "latency_p95_ms": lat["p95"],
            "latency_p99_ms": lat["p99"],
            "latency_source": latency_from,
            "latency_sample": traffic_n[1] if latency_from == "traffic" else eval_latency_n,
        }
    built = BaselineFigures(**figures, eval=evals, traffic=traffic_json)
    return replace(built, warnings=sample_warnings(built))


def read_traffic(store: Store, workload: str, *, arm: str = "old", since: datetime | None = None) -> Traffic:
    """The successful requests ``arm`` served for ``workload`` (since ``since``), from the gateway's records."""
    samples = store.requests.served(workload, arm, since=since)
    times = [x.ts for x in samples]
    return Traffic(
        [x.latency_ms for x in samples if x.latency_ms is not None],
        [x.cost_usd for x in samples if x.cost_usd is not None],
        min(times, default=None),
        max(times, default=None),
    )


def _source(run: EvalRunRow | None, traffic: Traffic | None, figures: BaselineFigures) -> str:
    """Where the baseline's figures come from, with their sample sizes: ``eval run X (120 cases) + …``."""
    parts = []
    if run is not None:
        cases = figures.cases
        parts.append(f"eval run {run.id}" + (f" ({cases} cases)" if isinstance(cases, int) else ""))
    if traffic is not None and traffic.requests:
        used = "traffic" in (figures.cost_source, figures.latency_source)
        parts.append(f"{traffic.requests} gateway requests" + ("" if used else " (not used: too few)"))
    return " + ".join(parts)


def take_baseline(
    store: Store,
    workload: str,
    *,
    arm: str = "old",
    since: datetime | None = None,
    confidence: float = 0.95,
    now: datetime | None = None,
    min_sample: int = MIN_SAMPLE,
) -> BaselineOutcome:
    """Compute and store ``workload``'s baseline; nothing is stored when there is no data at all.

    A baseline on fewer than ``min_sample`` cases or requests is stored with its ``warnings``.
    """
    run = latest_run(store, workload, arms=(arm,))
    rows = store.evals.results(run.id) if run is not None else []
    traffic = read_traffic(store, workload, arm=arm, since=since)
    if run is None and not traffic.requests:
        return BaselineOutcome(
            workload, None, f"no finished eval run of {arm!r} and no gateway records: run `modelswap eval` first"
        )
    figures = baseline_figures(run, rows, traffic, arm=arm, confidence=confidence, min_sample=min_sample)
    stored = store_baseline(store, workload, figures, _source(run, traffic, figures), now or datetime.now(UTC))
    return BaselineOutcome(workload, stored)
