"""A baseline's figures: one dataclass, whichever command took it, stored and read in one place.

``modelswap baseline`` (``evals.baseline``: an eval run and the gateway's records) and
``modelswap inventory --baseline`` (``inventory.baseline``: the team's logs and an eval run) both
build a ``BaselineFigures`` and store it with ``store_baseline``; the plan, the gates, the spend
tracker and the console read ``read_baseline`` (or the stored JSON, whose keys are the field
names). Every figure says where it comes from and the sample it rests on.

The pass rate counts a call that failed after its retries as a failed case, as the gates do
(``evals.failures``): an app calling the old model would have got the error, not an answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from modelswap.evals.results import ArmFigures
from modelswap.stats import wilson_interval
from modelswap.store import BaselineRow, EvalRunRow, Store

Json = dict[str, Any]

MIN_SAMPLE = 50
"""Fewest requests (or eval cases) a baseline figure should rest on; below it the baseline says
so (``warnings``) and ``modelswap baseline`` prints it in red."""

_ALWAYS = frozenset({"arm", "min_sample", "eval", "traffic", "warnings"})
"""Keys stored even when None (the others are left out when they have no value)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineFigures:
    """One workload's reference figures for the old model, each with its source and sample size."""

    arm: str = "old"
    min_sample: int = MIN_SAMPLE
    model: str | None = None
    pass_rate: float | None = None
    """Passed / (cases with a verdict + cases whose call failed): a failed call is a failed case."""
    pass_rate_ci: list[float] | None = None
    confidence: float | None = None
    passed: int | None = None
    cases: int | None = None
    """The pass rate's denominator."""
    cost_per_request_usd: float | None = None
    cost_source: str | None = None
    """``traffic`` (gateway records), ``eval`` or ``inventory`` (the team's logs)."""
    cost_sample: int | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    latency_source: str | None = None
    latency_sample: int | None = None
    eval: Json | None = None
    """What the eval run gave (run id, cases, errors …), or None without one."""
    traffic: Json | None = None
    """What the gateway's records gave, or None."""
    inventory: Json | None = None
    """What the inventory gave (requests per day, error rate, period …), or None."""
    warnings: list[str] = field(default_factory=list)
    """A line per figure resting on fewer than ``min_sample`` cases or requests."""
    summary: str | None = None

    def to_json(self) -> Json:
        """The stored form: field names as keys, figures without a value left out."""
        return {k: v for k, v in asdict(self).items() if v is not None or k in _ALWAYS}

    @classmethod
    def from_json(cls, figures: Json) -> BaselineFigures:
        """The figures as stored (unknown keys ignored: a newer modelswap may add some)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in figures.items() if k in names})


def pass_rate_part(figures: ArmFigures, confidence: float) -> Json:
    """Pass rate, interval and counts of one arm, a failed call counting as a failed case."""
    cases = figures.decided + figures.errors
    interval = wilson_interval(figures.passed, cases, confidence) if cases else None
    return {
        "pass_rate": figures.passed / cases if cases else None,
        "pass_rate_ci": None if interval is None else [interval.lower, interval.upper],
        "confidence": confidence,
        "passed": figures.passed,
        "cases": cases,
    }


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(UTC).isoformat()


def eval_part(run: EvalRunRow, figures: ArmFigures, confidence: float) -> Json:
    """What a baseline takes from an eval run's old arm (``eval`` in the figures)."""
    rate = pass_rate_part(figures, confidence)
    latency = None
    if figures.latency_p50_ms is not None:
        latency = {"p50": figures.latency_p50_ms, "p95": figures.latency_p95_ms, "p99": figures.latency_p99_ms}
    return {
        "run_id": run.id,
        "started_at": _iso(run.started_at),
        "nightly": run.nightly,
        "golden_set_sha256": run.golden_set_sha256,
        "model": figures.model,
        "cases": figures.cases,
        "decided": figures.decided,
        "errors": figures.errors,
        **{k: v for k, v in rate.items() if k != "cases"},
        "cases_in_pass_rate": rate["cases"],
        "cost_per_request_usd": figures.cost_per_request_usd,
        "latency_ms": latency,
    }


def sample_warnings(figures: BaselineFigures) -> list[str]:
    """A line per figure resting on fewer than ``min_sample`` cases or requests."""
    out = []
    checks = (
        ("pass rate", figures.cases, "eval"),
        ("cost per request", figures.cost_sample, figures.cost_source),
        ("latency percentiles", figures.latency_sample, figures.latency_source),
    )
    for label, n, source in checks:
        if n is None or n >= figures.min_sample:
            continue
        what = {"traffic": "gateway requests", "inventory": "inventory requests"}.get(source or "", "eval cases")
        out.append(
            f"{label} rests on {n} {what}, fewer than the minimum of {figures.min_sample}: not a reliable baseline"
        )
    return out


def store_baseline(store: Store, workload: str, figures: BaselineFigures, source: str, now: datetime) -> BaselineRow:
    """Store a baseline snapshot; returns it with its id."""
    row = BaselineRow(workload=workload, created_at=now, figures=figures.to_json(), source=source)
    return BaselineRow(
        workload=workload, created_at=now, figures=row.figures, source=source, id=store.baselines.add(row)
    )


def read_baseline(store: Store, workload: str) -> BaselineFigures | None:
    """The workload's latest baseline figures, or None."""
    row = store.baselines.latest(workload)
    return None if row is None else BaselineFigures.from_json(row.figures)
