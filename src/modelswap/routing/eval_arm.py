"""A routed workload's new arm in an eval: the cascade of its cheap and strong endpoints, as served.

``routed_arms`` swaps a routed workload's ``new`` endpoint for one that asks the cheap endpoint,
rates the answer with the workload's signal and escalates below the threshold (the same
``Cascade`` the gateway serves). Each answer carries what it cost (the cheap try plus the strong
answer when escalated) and whether it escalated, under the body's ``modelswap`` key, so the eval
stores them and the cost and escalation-rate gates judge the cascade, not the cheap model alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from modelswap.catalog import Price
from modelswap.config import Migration, Routing
from modelswap.evals.cache import cache_key, from_entry, to_entry
from modelswap.evals.endpoint import EvalEndpoint
from modelswap.evals.run_session import ROUTED_KEY, price_or_none, usage_cost
from modelswap.providers.base import Json
from modelswap.providers.cascade import Cascade, Escalation
from modelswap.providers.retry import RetryPolicy
from modelswap.providers.wiring import price_overrides
from modelswap.routing.decide import Decider
from modelswap.routing.signal import Signal, build_signal
from modelswap.store import Store

__all__ = ["CachedEndpoint", "RoutedArm", "RoutedArms"]


class CachedEndpoint:
    """One endpoint as the cascade calls it, adding each call's time on the wire to ``spent``
    (the routed arm's latency: what the app would wait, without the eval's queueing for a rate limit).

    With a ``store``, an answer the eval already paid for (the same request to the same model, e.g.
    by ``modelswap route calibrate``) is read from the response cache, and a new one is cached."""

    def __init__(self, endpoint: EvalEndpoint, spent: list[float], store: Store | None) -> None:
        self.endpoint, self.spent, self.store = endpoint, spent, store
        self.name, self.model, self.dialect = endpoint.name, endpoint.model, endpoint.dialect
        self.called = 0
        """Calls made (answers not found in the cache)."""

    async def complete(self, body: Json) -> Json:
        key = cache_key(self.model, body)
        entry = None if self.store is None else await asyncio.to_thread(self.store.cache.get, key)
        if entry is not None:
            answer = from_entry(entry)
        else:
            answer = await self.endpoint.answer(body)
            self.called += 1
            if self.store is not None:
                stored = to_entry(key, self.model, answer, datetime.now(UTC))
                await asyncio.to_thread(self.store.cache.put, stored)
        self.spent.append(answer.latency_ms)
        return answer.body

    def stream(self, body: Json) -> Any:
        raise NotImplementedError("a routed eval arm answers whole requests only")

    async def aclose(self) -> None:
        """The endpoint is closed by whoever opened it."""


class RoutedArm:
    """An ``Upstream`` answering as the cascade would, its body annotated with cost and escalation."""

    reports_cost = True
    """The eval takes each answer's cost from the body (cheap try + strong answer), not from its usage."""

    def __init__(
        self, cheap: EvalEndpoint, strong: EvalEndpoint, signal: Signal, routing: Routing,
        prices: Mapping[str, Price] | None = None, store: Store | None = None,
    ) -> None:  # fmt: skip
        spec = orjson.dumps(routing.signal, option=orjson.OPT_SORT_KEYS)
        self.cheap, self.strong = cheap, strong
        self.name = cheap.name
        self.model = (
            f"cascade:{cheap.model}>{strong.model}@{routing.threshold:g}/{hashlib.sha256(spec).hexdigest()[:8]}"
        )
        """A label of its own: the response cache never mixes routed answers with the cheap model's."""
        self.dialect = cheap.dialect
        self._decider = Decider(signal, routing.threshold, "openai", ask=cheap.complete)
        self._prices = {m: price_or_none(m, prices) for m in (cheap.model, strong.model)}
        self._store = store

    def _cost(self, model: str, body: Json | None) -> float:
        price = self._prices.get(model)
        return (usage_cost(body, price) or 0.0) if body is not None and price is not None else 0.0

    async def complete(self, body: Json) -> Json:
        """The cascade's answer with ``modelswap: {escalated, answered_by, cost_usd, latency_ms, deciding_ms,
        calls}`` added: ``latency_ms`` is the models' time on the wire (both when escalated); ``deciding_ms``
        the rest, which includes the signal's work and any wait for a rate-limit slot; ``calls`` the model
        calls made (answers not read from the cache)."""
        escalations: list[Escalation] = []
        spent: list[float] = []
        cheap, strong = CachedEndpoint(self.cheap, spent, self._store), CachedEndpoint(self.strong, spent, self._store)
        cascade = Cascade(cheap, strong, self._decider, up_front=self._decider.up_front,
                          on_escalate=escalations.append, prepare=self._decider.prepare)  # fmt: skip
        started = time.perf_counter()
        answer = await cascade.complete(body)
        deciding = (time.perf_counter() - started) * 1000.0 - sum(spent)
        if not escalations:
            cost, by = self._cost(self.cheap.model, answer), self.cheap.model
        else:
            tried = escalations[0].answer
            cheap_cost = self._cost(self.cheap.model, tried.body if tried is not None else None)
            cost, by = cheap_cost + self._cost(self.strong.model, answer), self.strong.model
        routed: dict[str, Any] = {"escalated": bool(escalations), "answered_by": by, "cost_usd": cost,
                                  "latency_ms": sum(spent), "deciding_ms": max(deciding, 0.0),
                                  "calls": cheap.called + strong.called}  # fmt: skip
        return {**answer, ROUTED_KEY: routed}

    def stream(self, body: Json) -> Any:
        """Evals do not stream."""
        raise NotImplementedError("a routed eval arm answers whole requests only")

    async def aclose(self) -> None:
        """The cheap and strong endpoints are closed by whoever opened them."""


class RoutedArms:
    """The hook ``evals.batch.run_workloads`` calls per workload: its endpoints, with ``new`` answering
    as the cascade when the workload has a ``routing:`` section."""

    def __init__(
        self, migration: Migration, prices: Mapping[str, Price] | None = None, *, store: Store | None = None
    ) -> None:
        self._routings = {w.name: w.routing for w in migration.workloads if w.routing is not None}
        self._prices = prices
        self._store = store
        """Reuse (and keep) the cheap and strong answers the eval already paid for; None asks afresh."""
        self.needs: tuple[str, ...] = tuple(
            dict.fromkeys(n for r in self._routings.values() for n in (r.cheap, r.strong))
        )
        """Endpoints the cascades call, opened with the arms."""

    @classmethod
    def of(cls, migration: Migration, *, store: Store | None = None) -> RoutedArms:
        """The hook every eval entry point passes (eval, nightly, demo): the migration's prices,
        its catalog overrides included; ``store`` as for the constructor."""
        return cls(migration, price_overrides(migration), store=store)

    def __call__(
        self, workload: str, arms: Mapping[str, EvalEndpoint], pool: Mapping[str, EvalEndpoint]
    ) -> dict[str, EvalEndpoint]:
        routing = self._routings.get(workload)
        out = dict(arms)
        if routing is None or "new" not in out:
            return out
        cheap, strong = pool[routing.cheap], pool[routing.strong]
        arm = RoutedArm(cheap, strong, build_signal(routing.signal), routing, self._prices, self._store)
        out["new"] = EvalEndpoint(arm, policy=RetryPolicy(max_retries=0), name="new")
        return out
