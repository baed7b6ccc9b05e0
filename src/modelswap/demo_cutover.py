"""Week 4 of the demo: the rollout controller on a stepped clock against the live gateway.

A simulated owner approves each canary (the default ``approval: first``). Each round then sends
a burst of traffic through the gateway, plays the app's users rating the answers
(``POST /v1/modelswap/feedback``: 1 when the answer is what the user expected, 0 when not),
moves the clock on four hours and lets the controller decide. A workload a trigger rolls back
is then kept on the old model by the owner (stage ``rolled_back``, audited with the reason).
Once every other workload is at 100 %, the clock moves a day at a time and the old model is
health-probed daily through the retention window. Weeks pass in seconds; the decisions, their
figures, the probes and the audit trail are the real ones, stamped with the stepped clock,
which starts far enough back that the whole run has passed by today.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from modelswap.config import Migration
from modelswap.rollout import flag
from modelswap.rollout.clock import SteppedClock
from modelswap.rollout.controller import Controller, Look
from modelswap.rollout.machine import needs_approval
from modelswap.rollout.retention import probe_old
from modelswap.sim.engine import WORKLOAD_HEADER
from modelswap.sim.workloads import make_case
from modelswap.store import EvidenceRow, Store

HOURS_PER_ROUND = 4
"""Each round is four hours of the app's traffic (``per_round`` requests: 160 by default, 40 an hour,
enough for extraction's feedback trigger to fire within the 50 % step's 24 h)."""
MAX_ROUNDS = 60
CONCURRENCY = 32
USERS = 5000
"""Distinct app users: many, so that a 1 % canary's sticky buckets hold about 1 % of the requests."""
OWNER = "demo owner (simulated)"
"""Who approves the canaries and decides that a rolled-back workload stays on the old model."""
PROBE_CONCURRENCY = 64


@dataclass
class CutoverResult:
    """What the controller did to each workload, in order, and where each ended."""

    decisions: list[str] = field(default_factory=list)
    """``<fake time> <workload>: <decision headline>`` for every approval, promotion, rollback and
    decision to stay on the old model."""
    final: dict[str, str] = field(default_factory=dict)
    """Workload → its status headline at the end."""
    requests: int = 0
    feedback: int = 0
    probes: list[EvidenceRow] = field(default_factory=list)
    """The daily health probes of the old model through the retention window."""


def cutover_start(migration: Migration, now: datetime | None = None) -> datetime:
    """Where the stepped clock starts: far enough back that the longest cutover the demo allows and
    the retention window after it have both passed by ``now`` (the plan judges them against now)."""
    retain = max((w.rollout.retain_old_days for w in migration.workloads), default=0)
    cutover = MAX_ROUNDS * HOURS_PER_ROUND / 24
    return (now or datetime.now(UTC)) - timedelta(days=retain + cutover + 1)


def _answer(body: Any) -> str:
    try:
        return str(body["choices"][0]["message"]["content"] or "")
    except (KeyError, IndexError, TypeError):
        return ""


def user_score(case: dict[str, Any], body: Any) -> float:
    """How a user rates an answer: 1 when it is what they expected, 0 when not (no expectation: 1)."""
    expected = case.get("expected")
    text = _answer(body)
    if isinstance(expected, dict) and set(expected) == {"label"}:
        return 1.0 if text.strip().lower() == str(expected["label"]).lower() else 0.0
    if isinstance(expected, dict):
        try:
            return 1.0 if json.loads(text) == expected else 0.0
        except ValueError:
            return 0.0
    return 1.0


async def _one(client: httpx.AsyncClient, base_url: str, workload: str, rng: random.Random, users: int) -> bool:
    case = make_case(workload, rng)
    body: dict[str, Any] = {"model": "gpt-4o", "messages": case["messages"], "user": f"user-{rng.randrange(users)}"}
    if case.get("tools"):
        body["tools"] = case["tools"]
    r = await client.post(f"{base_url}/chat/completions", json=body, headers={WORKLOAD_HEADER: workload})
    request_id = r.headers.get("x-request-id")
    if r.status_code != 200 or not request_id:
        return False
    score = user_score(case, r.json())
    await client.post(f"{base_url}/modelswap/feedback", json={"request_id": request_id, "score": score})
    return True


async def send_round(base_url: str, mix: dict[str, float], count: int, rng: random.Random, users: int = 500) -> int:
    """``count`` requests in the mix, each followed by its user's rating; returns the feedback sent."""
    names, weights = list(mix), list(mix.values())
    plan = [rng.choices(names, weights)[0] for _ in range(count)]
    seeds = [rng.randrange(2**32) for _ in plan]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def go(workload: str, seed: int) -> bool:
        async with gate:
            return await _one(client, base_url, workload, random.Random(seed), users)

    async with httpx.AsyncClient(timeout=30) as client:
        rated = await asyncio.gather(*(go(w, s) for w, s in zip(plan, seeds, strict=True)))
    return sum(rated)


def _finished(looks: list[Look]) -> bool:
    return all(
        look.state.rolled_back or (look.decision.action == "hold" and look.routing.stage == "full") for look in looks
    )


def _approve_canaries(controller: Controller) -> list[str]:
    """The owner approves each canary the schedule asks a person for (``approval: first`` and the like)."""
    lines = []
    for name in controller.names:
        if needs_approval(controller.migration.workload(name).rollout, 0):
            share = controller.approve(name, OWNER, "shadow evidence reviewed; start the canary")
            lines.append(f"{controller.clock.now():%a %H:%M} {name}: {OWNER} approved the {share:g} % canary")
    return lines


def _keep_rolled_back(controller: Controller, looks: list[Look]) -> list[str]:
    """A workload a trigger rolled back stays on the old model: the owner ends its cutover (audited)."""
    lines = []
    for look in looks:
        if look.routing.rollback and look.routing.stage != "rolled_back":
            reason = "a rollback trigger fired on its canary: the new model is worse here, the old one keeps it"
            flag.set_stage(
                controller.store, look.workload, "rolled_back", None, OWNER, reason, clear_rollback=True, at=look.at
            )
            lines.append(f"{look.at:%a %H:%M} {look.workload}: kept on the old model by {OWNER} ({reason})")
    return lines


async def _rounds(
    controller: Controller,
    clock: SteppedClock,
    base_url: str,
    mix: dict[str, float],
    per_round: int,
    seed: int,
    settle_s: float,
    result: CutoverResult,
    progress: Callable[[str], None],
) -> None:
    """Traffic, ratings and a controller look every four hours until each workload is done."""
    rng = random.Random(seed)
    for _ in range(MAX_ROUNDS):
        looks = await asyncio.to_thread(controller.tick_all)
        lines = [
            f"{look.at:%a %H:%M} {look.workload}: {look.decision.headline}"
            for look in looks
            if look.decision.action in ("promote", "rollback")
        ]
        lines += await asyncio.to_thread(_keep_rolled_back, controller, looks)
        for line in lines:
            result.decisions.append(line)
            progress(line)
        if _finished(looks):
            return
        if lines:
            await asyncio.sleep(settle_s)  # every replica picks up the flips (≤ 1 s; one replica here)
        result.feedback += await send_round(base_url, mix, per_round, rng, USERS)
        result.requests += per_round
        await asyncio.sleep(settle_s)  # the gateway's recorder flushes every 0.25 s: the next look sees it all
        clock.advance(timedelta(hours=HOURS_PER_ROUND))


async def _retain(migration: Migration, store: Store, clock: SteppedClock) -> list[EvidenceRow]:
    """Probe the old model once a day until every workload at 100 % has passed its retention window."""
    found: list[EvidenceRow] = []
    longest = max((w.rollout.retain_old_days for w in migration.workloads), default=0)
    for _ in range(int(longest) + 2):
        rows = await probe_old(migration, store, at=clock.now(), concurrency=PROBE_CONCURRENCY)
        if not rows:
            break
        found += rows
        clock.advance(timedelta(days=1))
    return found


async def run_cutover(
    migration: Migration,
    store: Store,
    base_url: str,
    mix: dict[str, float],
    *,
    per_round: int = 160,
    seed: int = 4,
    start: datetime | None = None,
    settle_s: float = 0.3,
    progress: Callable[[str], None] = lambda _: None,
) -> CutoverResult:
    """Canary, promotions and rollbacks for every workload until each is at 100 % or kept on the old
    model, then the retention window: the old model probed daily for ``retain_old_days``."""
    clock = SteppedClock(start or cutover_start(migration))
    result = CutoverResult()
    # the demo starts every canary, even where a gate failed, to show a live trigger at work
    controller = Controller(migration, store, clock=clock, readiness=lambda _: ())
    for line in await asyncio.to_thread(_approve_canaries, controller):
        result.decisions.append(line)
        progress(line)
    await _rounds(controller, clock, base_url, mix, per_round, seed, settle_s, result, progress)
    for name in controller.names:
        status = await asyncio.to_thread(controller.status, name)
        result.final[name] = str(status["headline"])
    result.probes = await _retain(migration, store, clock)
    return result
