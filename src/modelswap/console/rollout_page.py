"""The console's rollout page per workload: headline, steps with hold timers, canary-vs-control
figures with intervals, triggers, approvals and the audit trail; approve, pause and resume forms."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from modelswap.config import Migration
from modelswap.rollout.controller import Controller
from modelswap.rollout.flag import FlagError
from modelswap.rollout.history import serving_share
from modelswap.rollout.readiness import canary_blockers
from modelswap.rollout.status import status_json
from modelswap.store import Store, read_evidence


class Console(Protocol):
    """What these handlers use of the console app (``console/app.py``)."""

    migration: Migration
    store: Store

    async def _gate(self, request: Request) -> Response | None: ...
    async def _form(self, request: Request) -> dict[str, str] | Response: ...
    def _html(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response: ...
    @staticmethod
    def _visitor(request: Request) -> Any: ...


ACTIONS = ("approve", "pause", "resume")


@dataclass(frozen=True)
class StepRow:
    """One step of the schedule as the timeline shows it."""

    share: float
    hold_hours: float
    state: str
    """``done``, ``current`` or ``next``."""
    reached_at: datetime | None
    hold_until: datetime | None


def rollout_context(migration: Migration, store: Store, name: str) -> dict[str, Any]:
    """Everything the page shows for one workload (blocking: run it in a thread)."""
    controller = Controller(migration, store, readiness=canary_blockers(migration, store))
    look = controller.look(name)
    schedule = migration.workload(name).rollout
    status = status_json(name, schedule, look.state, look.analysis, look.decision, look.at)
    events = store.rollout_events(name, limit=200)
    reached: dict[float, datetime] = {}
    for e in reversed(events):
        share = serving_share(e.to_state)
        if share > 0 and share not in reached:
            reached[share] = e.ts
    steps = []
    for i, step in enumerate(schedule.schedule):
        state = "done" if i < look.state.step else "current" if i == look.state.step else "next"
        start = look.state.started_at if state == "current" else reached.get(step.share)
        until = start + timedelta(hours=step.hold_hours) if state == "current" and start else None
        steps.append(StepRow(step.share, step.hold_hours, state, reached.get(step.share), until))
    analysis = look.analysis
    return {
        "name": name,
        "status": status,
        "look": look,
        "steps": steps,
        "analysis": analysis,
        "arms": [("control (old)", analysis.control), ("canary (new)", analysis.canary)] if analysis else [],
        "approvals": controller.approvals(name),
        "events": events,
        "approval_rule": schedule.approval,
        "probes": read_evidence(store, "retention_probe", workload=name)[-5:],
    }


async def rollout_page(console: Console, request: Request) -> Response:
    if (denied := await console._gate(request)) is not None:
        return denied
    name = request.path_params["name"]
    if name not in [w.name for w in console.migration.workloads]:
        return console._html(request, "missing.html", {"what": f"workload {name!r}"}, status=404)
    context = await asyncio.to_thread(rollout_context, console.migration, console.store, name)
    return console._html(request, "rollout.html", context)


async def rollout_action(console: Console, request: Request) -> Response:
    if (denied := await console._gate(request)) is not None:
        return denied
    form = await console._form(request)
    if isinstance(form, Response):
        return form
    name = request.path_params["name"]
    action = str(form.get("action") or "")
    if name not in [w.name for w in console.migration.workloads] or action not in ACTIONS:
        return PlainTextResponse(f"unknown workload or action; actions: {', '.join(ACTIONS)}", status_code=400)
    who = str(form.get("by") or "").strip() or console._visitor(request).actor
    reason = str(form.get("reason") or "").strip() or None
    controller = Controller(console.migration, console.store)
    try:
        if action == "approve":
            await asyncio.to_thread(controller.approve, name, who, reason)
        else:
            await asyncio.to_thread(getattr(controller, action), name, who, reason)
    except FlagError as exc:
        return PlainTextResponse(str(exc), status_code=400)
    return RedirectResponse(f"/console/workloads/{name}/rollout", status_code=303)
