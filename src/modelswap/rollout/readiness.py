"""What must hold before traffic moves to the new model, and what a manual move may skip.

``canary_blockers`` says why a workload may not start its canary (its gates not all PASS, too
few days of shadow traffic); ``stage_change_blockers`` says why a manual ``stage set`` goes past
what the evidence supports (the canary not earned, a step skipped, a hold not done).

Judging the gates reads every result of the latest eval run, and the controller (each minute),
the console and Argo's poll (every few seconds) all ask: ``CachedReadiness`` keeps each
workload's answer while the evidence it rests on (the latest eval run of old and new, the
workload's gates and shadow days in the file) is unchanged, for at most ``ttl_s`` (the shadow
days grow with time), so a poll costs one read of the eval runs, not a gate computation.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable

from modelswap.config import Migration
from modelswap.evals.gating import judge_workloads
from modelswap.evals.results import latest_run
from modelswap.rollout.controller import Controller
from modelswap.rollout.history import serving_share
from modelswap.rollout.webhook import slack_webhook
from modelswap.store import Store
from modelswap.store.summaries import shadow_spans

EPS = 1e-9
READINESS_TTL_S = 30.0
"""Longest a workload's readiness is reused while its evidence is unchanged."""


class CachedReadiness:
    """A workload's canary blockers, computed again only when its evidence changes or after ``ttl_s``."""

    def __init__(
        self,
        migration: Migration,
        store: Store,
        compute: Callable[[str], tuple[str, ...]],
        *,
        ttl_s: float = READINESS_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.migration, self.store, self.compute = migration, store, compute
        self.ttl_s, self.clock = ttl_s, clock
        self.computed = 0
        """How many times the blockers were computed (not served from the cache)."""
        self._entries: dict[str, tuple[Hashable, float, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def evidence_key(self, workload: str) -> Hashable:
        """What the answer rests on: the latest eval run of old and new, the workload's gates and shadow days."""
        run = latest_run(self.store, workload)
        wl = self.migration.workload(workload)
        config = (wl.gates.model_dump_json(), wl.rollout.shadow_min_days)
        return (run.id, run.status, run.finished_at) if run else None, config

    def __call__(self, workload: str) -> tuple[str, ...]:
        key, now = self.evidence_key(workload), self.clock()
        with self._lock:
            hit = self._entries.get(workload)
            if hit is not None and hit[0] == key and now - hit[1] < self.ttl_s:
                return hit[2]
        value = self.compute(workload)
        with self._lock:
            self.computed += 1
            self._entries[workload] = (key, now, value)
        return value


_SHARED: weakref.WeakKeyDictionary[Store, CachedReadiness] = weakref.WeakKeyDictionary()
"""One cache per store (for its migration), so the controller, the Argo endpoint and each
console page view of a process share it."""


def canary_blockers(migration: Migration, store: Store) -> CachedReadiness:
    """A readiness check for the controller: gates must all PASS and shadow must have run its days
    (cached per workload while its evidence is unchanged; one cache per store and migration)."""
    shared = _SHARED.get(store)
    if shared is not None and shared.migration is migration:
        return shared

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

    made = CachedReadiness(migration, store, blockers)
    _SHARED[store] = made
    return made


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
