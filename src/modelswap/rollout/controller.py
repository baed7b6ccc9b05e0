"""The rollout controller: reads each workload's state and evidence, asks the stage machine, acts.

``look`` reads and decides without writing; ``tick`` also carries the decision out: a promotion
moves the routing state (an audited ``set_stage``), a fired trigger sets the rollback flag (every
replica obeys within a second), and each is recorded with its figures as ``rollout_decision``
evidence and announced to the webhook. Holds write nothing. ``run`` repeats ``tick_all`` while
holding the store-wide ``rollout-controller`` lock, so among replicas sharing a store one leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from modelswap.config import Migration
from modelswap.rollout import flag
from modelswap.rollout.analysis import Analysis, ArmSample, analyse
from modelswap.rollout.clock import Clock, SystemClock
from modelswap.rollout.history import APPROVE, PAUSE, RESUME, Approval, rollout_state
from modelswap.rollout.machine import NOT_STARTED, Decision, Evidence, RolloutState, next_step
from modelswap.rollout.quality import live_check
from modelswap.rollout.routing import RoutingState
from modelswap.rollout.status import status_json
from modelswap.rollout.webhook import Notify
from modelswap.store import EvidenceRow, RolloutEventRow, Store, read_evidence, record_evidence
from modelswap.store.canary_repo import ArmWindow
from modelswap.store.locks import StoreLock

log = logging.getLogger("modelswap.rollout")

ACTOR = flag.CONTROLLER
LOCK_NAME = "rollout-controller"
DECISION_KIND = "rollout_decision"
APPROVAL_KIND = "rollout_approval"
QUALITY_SAMPLE = 500
"""Latest answers per arm scored by the live checks at each look."""

Readiness = Callable[[str], tuple[str, ...]]
"""Why a workload may not start its canary yet (empty: it may)."""


@dataclass(frozen=True)
class Look:
    """One workload at one moment: where it stands, what the evidence says, what to do."""

    workload: str
    at: datetime
    routing: RoutingState
    state: RolloutState
    decision: Decision
    analysis: Analysis | None

    def as_json(self) -> dict[str, object]:
        d = self.decision
        return {
            "workload": self.workload,
            "at": self.at.isoformat(),
            "step": self.state.step,
            "started_at": self.state.started_at.isoformat() if self.state.started_at else None,
            "paused": self.state.paused,
            "rolled_back": self.state.rolled_back,
            "decision": {"action": d.action, "reasons": list(d.reasons), "share": d.share, "to_step": d.to_step},
            "analysis": self.analysis.as_json() if self.analysis else None,
        }


def arm_sample(window: ArmWindow) -> ArmSample:
    """The analysis' view of an arm's window: live checks scored, feedback below 0.5 negative."""
    checks = [c for req, resp in window.bodies if (c := live_check(req, resp)) is not None]
    return ArmSample.of(
        failed=window.failed,
        latency_ms=window.latency_ms,
        ttft_ms=window.ttft_ms,
        cost_usd=window.cost_usd,
        quality_failed=[not c for c in checks],
        feedback_negative=np.asarray(window.feedback, dtype=np.float64) < 0.5,
    )


class Controller:
    """Drives every workload of a migration through its schedule on evidence."""

    def __init__(
        self,
        migration: Migration,
        store: Store,
        *,
        clock: Clock | None = None,
        readiness: Readiness | None = None,
        notify: Notify | None = None,
        actor: str = ACTOR,
    ) -> None:
        self.migration = migration
        self.store = store
        self.clock = clock or SystemClock()
        self.readiness = readiness or (lambda _: ())
        self.notify = notify
        self.actor = actor

    @property
    def names(self) -> list[str]:
        return [w.name for w in self.migration.workloads]

    def approvals(self, workload: str) -> list[Approval]:
        rows = read_evidence(self.store, APPROVAL_KIND, workload=workload)
        return [
            Approval(float(r.figures["share"]), r.ts, str(r.figures.get("actor", "")))
            for r in rows
            if isinstance(r.figures, dict) and isinstance(r.figures.get("share"), int | float)
        ]

    def state(self, workload: str) -> tuple[RoutingState, RolloutState]:
        """The routing state and the machine's view of one workload."""
        schedule = self.migration.workload(workload).rollout
        routing = flag.state_of(self.store.get_rollout_state(workload))
        events = list(reversed(self.store.rollout_events(workload, limit=100_000)))
        return routing, rollout_state(schedule, routing, events, self.approvals(workload))

    def analysis(self, workload: str, state: RolloutState) -> Analysis | None:
        """Canary vs control since the current step began: None before the canary and at 100 %,
        where no control serves beside the canary (old records from another time are no control;
        a rollback then is a person's call, told by the retention probes and the console)."""
        wl = self.migration.workload(workload)
        if state.step == NOT_STARTED or state.started_at is None or wl.rollout.schedule[state.step].share >= 100:
            return None
        since = self.clock.wall_of(state.started_at)
        windows = self.store.canary
        canary = arm_sample(windows.window(workload, "new", since, bodies=QUALITY_SAMPLE))
        control = arm_sample(windows.window(workload, "old", since, bodies=QUALITY_SAMPLE))
        return analyse(control, canary, wl.rollback_triggers, wl.rollout.alpha)

    def look(self, workload: str) -> Look:
        """Read and decide, writing nothing."""
        now = self.clock.now()
        routing, state = self.state(workload)
        found = self.analysis(workload, state)
        if found is None:
            blockers = self.readiness(workload) if state.step == NOT_STARTED and not state.rolled_back else ()
            evidence = Evidence(blockers=blockers)
        else:
            evidence = Evidence(
                canary_requests=found.canary.requests,
                control_requests=found.control.requests,
                breaches=found.breaches,
            )
        decision = next_step(self.migration.workload(workload).rollout, state, evidence, now)
        return Look(workload, now, routing, state, decision, found)

    def status(self, workload: str) -> dict[str, object]:
        """The workload's rollout as JSON (headline, verdict, share, decision, trigger figures)."""
        look = self.look(workload)
        schedule = self.migration.workload(workload).rollout
        return status_json(workload, schedule, look.state, look.analysis, look.decision, look.at)

    def tick(self, workload: str) -> Look:
        """Look, then carry the decision out."""
        look = self.look(workload)
        d = look.decision
        if d.action == "promote" and d.share is not None:
            stage = "full" if d.share >= 100 else "split"
            flag.set_stage(self.store, workload, stage, d.share, self.actor, d.headline, at=look.at)
            self._record(look, ok=True)
            self._tell("promote", workload, d.headline)
        elif d.action == "rollback":
            flag.rollback(self.store, [workload], self.actor, "; ".join(d.reasons), at=look.at)
            self._record(look, ok=False)
            self._tell("rollback", workload, "; ".join(d.reasons))
        elif d.action == "await_approval" and not self._asked(look):
            self._record(look, ok=True)
            self._tell("approval_needed", workload, d.headline)
        return look

    def tick_all(self) -> list[Look]:
        """One round over every workload; one failing workload never stops the others."""
        looks = []
        for name in self.names:
            try:
                looks.append(self.tick(name))
            except Exception:
                log.exception("rollout controller: %s failed this round", name)
        return looks

    async def run(self, stop: asyncio.Event, *, interval_s: float | None = None) -> None:
        """Tick every ``check_every_minutes`` while leading (holding the store lock), until ``stop``."""
        wait = interval_s if interval_s is not None else self.migration.rollout.check_every_minutes * 60
        lock = StoreLock(self.store, LOCK_NAME)
        try:
            while not stop.is_set():
                try:
                    if await asyncio.to_thread(lock.try_acquire):
                        await asyncio.to_thread(self.tick_all)
                except Exception:
                    log.exception("rollout controller round failed; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
        finally:
            await asyncio.to_thread(lock.release)

    # ---- people's actions ---------------------------------------------------------------

    def approve(self, workload: str, actor: str, reason: str | None = None, share: float | None = None) -> float:
        """Approve the workload's next promotion (or the one to ``share``); returns the share approved."""
        schedule = self.migration.workload(workload).rollout.schedule
        _, state = self.state(workload)
        if share is None:
            if state.step >= len(schedule) - 1:
                raise flag.FlagError(f"{workload} is at 100 %: there is no promotion left to approve")
            share = schedule[state.step + 1].share
        if all(abs(s.share - share) > 1e-9 for s in schedule):
            raise flag.FlagError(f"{share:g} % is not a step of {workload}'s schedule")
        now = self.clock.now()
        figures = {"share": share, "actor": actor, "reason": reason, "summary": f"{actor} approved {share:g} %"}
        record_evidence(
            self.store, EvidenceRow(kind=APPROVAL_KIND, ts=now, source=actor, workload=workload, figures=figures)
        )
        self._event(workload, APPROVE, actor, f"approved promotion to {share:g} %" + (f": {reason}" if reason else ""))
        return share

    def pause(self, workload: str, actor: str, reason: str | None = None) -> None:
        """Stop automatic promotions of a workload (triggers still roll it back)."""
        self._event(workload, PAUSE, actor, reason)

    def resume(self, workload: str, actor: str, reason: str | None = None) -> None:
        """Let the controller promote a paused workload again."""
        self._event(workload, RESUME, actor, reason)

    # ---- records --------------------------------------------------------------------------

    def _event(self, workload: str, action: str, actor: str, reason: str | None) -> None:
        self.migration.workload(workload)  # an unknown name raises KeyError with the known ones
        row = RolloutEventRow(workload=workload, ts=self.clock.now(), actor=actor, action=action, reason=reason)
        self.store.rollout.append_event(row)

    def _record(self, look: Look, *, ok: bool) -> None:
        figures = {**look.as_json(), "summary": look.decision.headline}
        row = EvidenceRow(
            kind=DECISION_KIND, ts=look.at, source=self.actor, ok=ok, workload=look.workload, figures=figures
        )
        record_evidence(self.store, row)

    def _asked(self, look: Look) -> bool:
        """Whether approval for this very promotion was already asked for in this step."""
        started = look.state.started_at
        for row in reversed(read_evidence(self.store, DECISION_KIND, workload=look.workload)):
            if started is not None and row.ts < started:
                return False
            figures = row.figures if isinstance(row.figures, dict) else {}
            decision = figures.get("decision")
            if isinstance(decision, dict) and decision.get("action") == "await_approval":
                return decision.get("to_step") == look.decision.to_step
        return False

    def _tell(self, event: str, workload: str, text: str) -> None:
        if self.notify is not None:
            try:
                self.notify(event, workload, text)
            except Exception:
                log.exception("rollout notification failed")
