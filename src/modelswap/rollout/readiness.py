"""What must hold before traffic moves to the new model, and what a manual move may skip.

``canary_blockers`` says why a workload may not start its canary (its gates not all PASS, too
few days of shadow traffic); ``stage_change_blockers`` says why a manual ``stage set`` goes past
what the evidence supports (the canary not earned, a step skipped, a hold not done).
"""

from __future__ import annotations

from collections.abc import Callable

from modelswap.config import Migration
from modelswap.evals.gating import judge_workloads
from modelswap.rollout.controller import Controller
from modelswap.rollout.history import serving_share
from modelswap.rollout.webhook import slack_webhook
from modelswap.store import Store
from modelswap.store.summaries import shadow_spans

EPS = 1e-9


def canary_blockers(migration: Migration, store: Store) -> Callable[[str], tuple[str, ...]]:
    """A readiness check for the controller: gates must all PASS and shadow must have run its days."""

    def blockers(workload: str) -> tuple[str, ...]:
        reasons = []
        (gates,) = judge_workloads(migration, store, workloads=[workload])
        if gates.run is None:
            reasons.append(f"{workload}: no golden-set run to judge the gates on (modelswap eval)")
        elif str(gates.verdict) != "PASS":
            failing = [f"{r.gate} {r.verdict}" for r in gates.results if str(r.verdict) != "PASS"]
            reasons.append(f"{workload}: gates not all PASS ({', '.join(failing) or gates.verdict})")
        need = migration.workload(workload).rollout.shadow_min_days
        days = shadow_spans(store, [workload])[workload].days
        if days < need:
            reasons.append(f"{workload}: {days:.1f} of {need:g} shadow days")
        return tuple(reasons)

    return blockers


def live_controller(migration: Migration, store: Store) -> Controller:
    """The controller as ``serve`` and ``rollout run`` drive it: gates and shadow days gate the canary,
    the webhook (if ``rollout.webhook_url_env`` names one) hears of every move."""
    url = migration.webhook_url()
    return Controller(
        migration, store, readiness=canary_blockers(migration, store), notify=slack_webhook(url) if url else None
    )


def stage_change_blockers(controller: Controller, workload: str, stage: str, share: float | None) -> tuple[str, ...]:
    """Why moving ``workload`` to ``stage`` (at ``share`` percent) goes past the evidence; empty: it does not.

    Moving traffic back to the old model is always allowed; moving it forward is allowed to the
    next step of the schedule once the controller itself would promote (or only awaits approval).
    Ending a rollback is the flag's own rule (undo it, or clear it with a reason, audited).
    """
    target = serving_share({"stage": stage, "share": share or 0.0, "rollback": stage == "rolled_back"})
    routing, state = controller.state(workload)
    current = serving_share({"stage": routing.stage, "share": routing.share, "rollback": routing.rollback})
    if target <= current + EPS or routing.rollback:
        return ()
    schedule = controller.migration.workload(workload).rollout.schedule
    look = controller.look(workload)
    reasons: list[str] = []
    if look.decision.action not in ("promote", "await_approval"):
        reasons.extend(look.decision.reasons)
    nxt = state.step + 1
    if nxt < len(schedule) and target > schedule[nxt].share + EPS:
        reasons.append(f"{target:g} % skips steps: the next step of the schedule is {schedule[nxt].share:g} %")
    return tuple(reasons)
