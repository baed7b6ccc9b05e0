"""Week 4 of the demo: the rollout controller on a stepped clock against the live gateway.

Each round sends a burst of traffic through the gateway, plays the app's users rating the
answers (``POST /v1/modelswap/feedback``: 1 when the answer is what the user expected, 0 when
not), moves the clock on three hours and lets the controller decide. Weeks of canary and
promotions pass in seconds; the decisions, their figures and the audit trail are the real ones.
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
from modelswap.rollout.clock import SteppedClock
from modelswap.rollout.controller import Controller, Look
from modelswap.sim.engine import WORKLOAD_HEADER
from modelswap.sim.workloads import make_case
from modelswap.store import Store

HOURS_PER_ROUND = 3
MAX_ROUNDS = 60
CONCURRENCY = 32


@dataclass
class CutoverResult:
    """What the controller did to each workload, in order, and where each ended."""

    decisions: list[str] = field(default_factory=list)
    """``<fake time> <workload>: <decision headline>`` for every promotion and rollback."""
    final: dict[str, str] = field(default_factory=dict)
    """Workload → its status headline at the end."""
    requests: int = 0
    feedback: int = 0


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


async def run_cutover(
    migration: Migration,
    store: Store,
    base_url: str,
    mix: dict[str, float],
    *,
    per_round: int = 120,
    seed: int = 4,
    start: datetime | None = None,
    settle_s: float = 0.3,
    progress: Callable[[str], None] = lambda _: None,
) -> CutoverResult:
    """Canary, promotions and rollbacks for every workload until each is at 100 % or rolled back."""
    clock = SteppedClock(start or datetime.now(UTC) - timedelta(days=6))
    result = CutoverResult()
    told: list[tuple[str, str, str]] = []
    # the demo starts every canary, even where a gate failed, to show a live trigger at work
    controller = Controller(migration, store, clock=clock, readiness=lambda _: (), notify=lambda *m: told.append(m))
    rng = random.Random(seed)
    for _ in range(MAX_ROUNDS):
        looks = await asyncio.to_thread(controller.tick_all)
        for look in looks:
            if look.decision.action in ("promote", "rollback"):
                line = f"{look.at:%a %H:%M} {look.workload}: {look.decision.headline}"
                result.decisions.append(line)
                progress(line)
        if _finished(looks):
            break
        await asyncio.sleep(settle_s)  # every replica picks up the flips (≤ 1 s; one replica here)
        result.feedback += await send_round(base_url, mix, per_round, rng)
        result.requests += per_round
        clock.advance(timedelta(hours=HOURS_PER_ROUND))
    await asyncio.sleep(settle_s + 0.25)  # the gateway's recorder flushes every 0.25 s
    for name in controller.names:
        status = await asyncio.to_thread(controller.status, name)
        result.final[name] = str(status["headline"])
    return result
