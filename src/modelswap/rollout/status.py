"""A workload's rollout in one line and one JSON object: for the CLI, the console and Argo Rollouts (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from modelswap.config_rollout import Rollout
from modelswap.rollout.analysis import Analysis
from modelswap.rollout.machine import NOT_STARTED, Decision, RolloutState

Verdict = Literal["healthy", "failing", "rolled_back", "waiting"]
"""What Argo's ``successCondition`` reads: ``healthy`` (no trigger fired), ``failing`` (a trigger fired),
``rolled_back`` (the flag is set), ``waiting`` (no canary yet, so nothing to judge)."""


def verdict(state: RolloutState, analysis: Analysis | None) -> Verdict:
    if state.rolled_back:
        return "rolled_back"
    if analysis is None:
        return "waiting"
    return "failing" if analysis.breaches else "healthy"


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def step_name(schedule: Rollout, step: int) -> str:
    if step == NOT_STARTED:
        return "shadow"
    if step == 0:
        return "canary"
    return "full" if step == len(schedule.schedule) - 1 else "promoting"


def headline(
    schedule: Rollout, state: RolloutState, analysis: Analysis | None, decision: Decision, now: datetime
) -> str:
    """E.g. ``canary 1 % · 31 h of 48 · healthy``."""
    v = verdict(state, analysis)
    if state.step == NOT_STARTED:
        if state.rolled_back:
            return "rolled back · the old model serves"
        return "shadow · " + ("; ".join(decision.reasons) or "ready")
    step = schedule.schedule[state.step]
    parts = [f"{step_name(schedule, state.step)} {_num(step.share)} %"]
    if state.started_at is not None and step.hold_hours > 0 and not state.rolled_back:
        held = (now - state.started_at).total_seconds() / 3600
        parts.append(f"{_num(held)} h of {_num(step.hold_hours)}")
    parts.append(v.replace("_", " "))
    if state.paused:
        parts.append("paused")
    if decision.action == "await_approval":
        parts.append(f"awaiting approval for {_num(decision.share or 0)} %")
    return " · ".join(parts)


def status_json(
    workload: str, schedule: Rollout, state: RolloutState, analysis: Analysis | None, decision: Decision, now: datetime
) -> dict[str, Any]:
    """Everything a poller needs, flat enough for a JSONPath: ``$.verdict``, ``$.share``, ``$.triggers[0].fired``."""
    share = 0.0 if state.step == NOT_STARTED or state.rolled_back else schedule.schedule[state.step].share
    return {
        "workload": workload,
        "verdict": verdict(state, analysis),
        "headline": headline(schedule, state, analysis, decision, now),
        "stage": step_name(schedule, state.step),
        "step": state.step,
        "share": share,
        "paused": state.paused,
        "rolled_back": state.rolled_back,
        "step_started_at": state.started_at.isoformat() if state.started_at else None,
        "decision": {"action": decision.action, "reasons": list(decision.reasons), "share": decision.share},
        "triggers": [t.as_json() for t in analysis.triggers] if analysis else [],
        "analysis": analysis.as_json() if analysis else None,
        "at": now.isoformat(),
    }
