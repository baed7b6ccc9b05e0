"""The headline a person reads first: where each workload stands, and the migration as a whole (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from modelswap.console.data import ArmFigures, WorkloadView


@dataclass(frozen=True, slots=True)
class Status:
    """A one-line verdict with its level: ``bad`` (act now), ``warn``, ``good`` or ``idle`` (nothing yet)."""

    level: str
    text: str


def workload_status(view: WorkloadView) -> Status:
    """Rolled back, blocked by a failing gate, waiting for evidence, or ready: in that order of urgency."""
    if view.state.rollback:
        return Status("bad", "rolled back: the old model serves all of its traffic")
    failed = [g["name"] for g in view.gates if g["verdict"] == "FAIL"]
    if failed:
        return Status("bad", f"blocked: {', '.join(failed)} failed")
    if not view.gates:
        return Status("idle", "no golden-set run yet (modelswap eval)")
    open_gates = [g["name"] for g in view.gates if g["verdict"] != "PASS"]
    if open_gates:
        return Status("warn", f"gathering evidence: {', '.join(open_gates)} not decided yet")
    return Status("good", f"every gate passes · stage {view.state.stage}")


def migration_status(views: Sequence[WorkloadView]) -> Status:
    """The whole migration in one line, led by its most urgent workload state."""
    total = len(views)
    by_level: dict[str, list[str]] = {}
    for v in views:
        s = workload_status(v)
        key = "rolled" if v.state.rollback else s.level
        by_level.setdefault(key, []).append(v.name)
    if rolled := by_level.get("rolled"):
        return Status("bad", f"Rolled back: {', '.join(rolled)} on the old model ({len(rolled)} of {total})")
    if blocked := by_level.get("bad"):
        return Status("bad", f"Blocked: {len(blocked)} of {total} workloads fail a gate ({', '.join(blocked)})")
    if waiting := by_level.get("warn"):
        return Status("warn", f"Gathering evidence: {len(waiting)} of {total} workloads not decided yet")
    if idle := by_level.get("idle"):
        return Status("idle", f"Not started: {len(idle)} of {total} workloads have no golden-set run yet")
    return Status("good", f"On track: every gate passes on all {total} workloads")


def _merged(views: Sequence[WorkloadView], arm: str) -> ArmFigures:
    merged = ArmFigures()
    for v in views:
        f = v.arms.get(arm)
        if f is None:
            continue
        for day, n in f.count_by_day.items():
            merged.count_by_day[day] += n
            merged.errors_by_day[day] += f.errors_by_day.get(day, 0)
            merged.cost_by_day[day] += f.cost_by_day.get(day, 0.0)
            merged.latencies_by_day[day].extend(f.latencies_by_day.get(day, []))
    return merged


@dataclass(frozen=True, slots=True)
class DailySeries:
    """Per day, across workloads: the new model's share of served traffic, and per arm error rate, p95, cost."""

    days: list[str]
    new_share: list[float | None]
    error_rate: dict[str, list[float | None]]
    p95: dict[str, list[float | None]]
    cost: dict[str, list[float | None]]


def daily_series(views: Sequence[WorkloadView]) -> DailySeries:
    """The overview's time series (old and new arms include their shadow calls: both answered)."""
    arms = {arm: _merged(views, arm) for arm in ("old", "new")}
    days = sorted({d for f in arms.values() for d in f.count_by_day} | {d for v in views for d in v.served_by_day})
    served: dict[str, dict[str, int]] = {}
    for v in views:
        for day, by_arm in v.served_by_day.items():
            for arm, n in by_arm.items():
                served.setdefault(day, {}).setdefault(arm, 0)
                served[day][arm] += n
    share = []
    for d in days:
        total = sum(served.get(d, {}).values())
        share.append(served.get(d, {}).get("new", 0) / total * 100 if total else None)

    def rate(f: ArmFigures, d: str) -> float | None:
        n = f.count_by_day.get(d, 0)
        return f.errors_by_day.get(d, 0) / n * 100 if n else None

    def p95(f: ArmFigures, d: str) -> float | None:
        values = f.latencies_by_day.get(d)
        return float(np.percentile(values, 95)) if values else None

    return DailySeries(
        days,
        share,
        {arm: [rate(f, d) for d in days] for arm, f in arms.items()},
        {arm: [p95(f, d) for d in days] for arm, f in arms.items()},
        {arm: [f.cost_by_day.get(d) for d in days] for arm, f in arms.items()},
    )
