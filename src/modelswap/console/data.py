"""What the console shows, read from the store into plain view models (no HTML here)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from modelswap.config import Migration, Workload
from modelswap.evals.gating import judge_workloads
from modelswap.evals.results import latest_run, run_figures
from modelswap.evals.trend import nightly_trend
from modelswap.rollout.routing import RoutingState
from modelswap.stats.proportions import wilson_interval
from modelswap.store import RecordedPair, RequestRow, Store

RECORD_LIMIT = 50_000


@dataclass(slots=True)
class ArmFigures:
    """One arm's served (or shadowed) traffic: latency, cost, errors."""

    latencies: list[float] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    errors: int = 0
    count: int = 0
    cost_by_day: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    count_by_day: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors_by_day: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    latencies_by_day: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, ts: datetime, latency_ms: float | None, cost: float | None, ok: bool) -> None:
        day = ts.date().isoformat()
        self.count += 1
        self.errors += not ok
        self.count_by_day[day] += 1
        self.errors_by_day[day] += not ok
        if latency_ms is not None and ok:
            self.latencies.append(latency_ms)
            self.latencies_by_day[day].append(latency_ms)
        if cost is not None:
            self.costs.append(cost)
            self.cost_by_day[day] += cost

    @property
    def p95(self) -> float | None:
        return float(np.percentile(self.latencies, 95)) if self.latencies else None

    @property
    def cost_per_request(self) -> float | None:
        return sum(self.costs) / len(self.costs) if self.costs else None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.count if self.count else None


def client_caused(status: int | None) -> bool:
    """A 4xx the app caused (bad request, auth, not found, too large): not the model's error.

    408 (timeout) and 429 (rate limit) are the vendor's doing and stay errors."""
    return status is not None and 400 <= status < 500 and status not in (408, 429)


@dataclass(slots=True)
class PassRate:
    """A pass rate with its Wilson interval, as fractions."""

    passed: int
    total: int
    low: float
    high: float

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


@dataclass(slots=True)
class WorkloadView:
    """Everything the overview row and the workload page need for one workload."""

    name: str
    state: RoutingState
    requests: int = 0
    share_of_traffic: float = 0.0
    arms: dict[str, ArmFigures] = field(default_factory=lambda: {"old": ArmFigures(), "new": ArmFigures()})
    pass_old: PassRate | None = None
    pass_new: PassRate | None = None
    gates: list[dict[str, Any]] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[RecordedPair] = field(default_factory=list)
    served_by_day: dict[str, dict[str, int]] = field(default_factory=dict)
    """Day → arm → requests that arm served (shadow calls not counted)."""


def pass_rate(passed: int, total: int) -> PassRate | None:
    if not total:
        return None
    low, high = wilson_interval(passed, total, 0.95)
    return PassRate(passed, total, low, high)


def _records(store: Store, workload: Workload) -> tuple[list[RequestRow], list[RecordedPair]]:
    return (
        store.requests.recent(workload.name, limit=RECORD_LIMIT),
        store.requests.shadow_pairs(workload.name, limit=RECORD_LIMIT),
    )


def _pass(figures: Any) -> PassRate | None:
    if figures is None or not figures.decided or figures.interval is None:
        return None
    return PassRate(figures.passed, figures.decided, figures.interval.lower, figures.interval.upper)


def add_evals(view: WorkloadView, store: Store, migration: Migration, *, with_trend: bool) -> None:
    """Pass rates of the latest eval run, gate verdicts on it, and (optionally) the nightly trend."""
    run = latest_run(store, view.name)
    if run is not None:
        figures = run_figures(store.evals.results(run.id))
        view.pass_old, view.pass_new = _pass(figures.get("old")), _pass(figures.get("new"))
    for item in judge_workloads(migration, store, workloads=[view.name]):
        if item.run is not None:
            view.gates = [{"name": r.gate, "verdict": str(r.verdict), "reason": r.reason} for r in item.results]
    if with_trend:
        for night in nightly_trend(store, view.name):
            entry: dict[str, Any] = {"night": night.night.isoformat()}
            for arm in ("old", "new"):
                f = night.arms.get(arm)
                if f is not None and f.pass_rate is not None and f.interval is not None:
                    entry[arm] = {"rate": f.pass_rate, "low": f.interval.lower, "high": f.interval.upper}
            view.trend.append(entry)


def workload_view(
    store: Store, workload: Workload, state: RoutingState, pairs_shown: int = 20, migration: Migration | None = None
) -> WorkloadView:
    """Traffic figures per arm from gateway records and shadow pairs (and evals, given the migration)."""
    view = WorkloadView(workload.name, state)
    rows, pairs = _records(store, workload)
    view.requests = len(rows)
    for r in rows:
        if client_caused(r.status):  # the per-arm figures judge the models, not the apps' mistakes
            continue
        view.arms.setdefault(r.arm, ArmFigures()).add(r.ts, r.latency_ms, r.cost_usd, r.status == 200)
        served = view.served_by_day.setdefault(r.ts.date().isoformat(), {})
        served[r.arm] = served.get(r.arm, 0) + 1
    for p in pairs:
        s = p.shadow
        if client_caused(s.status):
            continue
        view.arms.setdefault(s.arm, ArmFigures()).add(s.ts, s.latency_ms, s.cost_usd, s.status == 200)
    view.pairs = pairs[:pairs_shown]
    if migration is not None:
        add_evals(view, store, migration, with_trend=pairs_shown > 0)
    return view


def overview(store: Store, migration: Migration, states: dict[str, RoutingState]) -> list[WorkloadView]:
    """One view per workload, with each workload's share of all recorded traffic."""
    views = [workload_view(store, w, states[w.name], pairs_shown=0, migration=migration) for w in migration.workloads]
    total = sum(v.requests for v in views)
    for v in views:
        v.share_of_traffic = v.requests / total if total else 0.0
    return views


def answer_text(body: dict[str, Any] | None) -> str:
    """The readable answer inside a stored response body (OpenAI, Anthropic or assembled stream)."""
    if not body:
        return ""
    if "choices" in body:
        message = (body.get("choices") or [{}])[0].get("message") or {}
        calls = [f"{c['function']['name']}({c['function']['arguments']})" for c in message.get("tool_calls") or []]
        return "\n".join(filter(None, [message.get("content") or "", *calls]))
    if "content" in body and isinstance(body["content"], list):
        parts = []
        for block in body["content"]:
            if block.get("type") == "text":
                parts.append(block.get("text", ""))
            elif block.get("type") == "tool_use":
                parts.append(f"{block.get('name')}({block.get('input')})")
        return "\n".join(parts)
    calls = [f"{c.get('name')}({c.get('arguments')})" for c in body.get("tool_calls") or []]
    return "\n".join(filter(None, [str(body.get("content") or ""), *calls]))


def question_text(body: dict[str, Any] | None) -> str:
    """The last user message of a stored request body."""
    if not body:
        return ""
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
            return str(content or "")
    return ""
