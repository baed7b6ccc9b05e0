"""The cascade serving a routed workload's new arm: built per request, its escalations booked.

A workload with ``routing:`` serves its new arm as ``providers.cascade.Cascade`` over the
``cheap`` and ``strong`` endpoints, deciding with the workload's router signal. Each escalation
is counted (``modelswap_cascade_escalations_total``) and priced: what the cheap model cost
beyond the answer served (the escalated attempt, and any samples the signal drew) goes on the
request's record, so the arm's cost per request is what the cascade really cost.
"""

from __future__ import annotations

import dataclasses
from functools import partial

from modelswap.config import Routing
from modelswap.gateway.attempt_log import AttemptLog
from modelswap.gateway.call import Call, Outcome
from modelswap.gateway.metrics import GatewayMetrics
from modelswap.gateway.streaming import StreamTally, usage_of
from modelswap.providers.base import Dialect, Json
from modelswap.providers.cascade import Cascade, CheapAnswer, Escalation
from modelswap.providers.wiring import Arms
from modelswap.routing.decide import Decider, build_decider

__all__ = ["CascadeArms"]


class CascadeArms:
    """Builds each routed request's cascade and books what it decided."""

    def __init__(self, arms: Arms, metrics: GatewayMetrics, attempts: AttemptLog) -> None:
        self.arms = arms
        self.metrics = metrics
        self.attempts = attempts
        self._deciders: dict[tuple[str, Dialect], Decider] = {}

    def decider(self, workload: str, routing: Routing, dialect: Dialect) -> Decider:
        """The workload's decider for ``dialect`` (its signal built once)."""
        key = (workload, dialect)
        found = self._deciders.get(key)
        if found is None:
            found = self._deciders[key] = build_decider(routing, dialect)
        return found

    def upstream(self, call: Call, routing: Routing) -> Cascade:
        """The cascade that answers ``call`` (its arm: new)."""
        base = self.decider(call.workload.name, routing, call.dialect)
        decider = dataclasses.replace(base, ask=partial(self._ask, call, routing)) if not base.up_front else base
        call.routing = routing
        return Cascade(
            self.arms.get(routing.cheap, call.dialect),
            self.arms.get(routing.strong, call.dialect),
            decider,
            up_front=decider.up_front,
            buffer_max_bytes=routing.buffer_max_bytes,
            on_escalate=partial(self._escalated, call),
            on_kept=partial(self._kept, call),
            prepare=decider.prepare,
            tidy=decider.tidy,
        )

    def shadow_upstream(self, call: Call, routing: Routing) -> Cascade:
        """The cascade answering a shadow copy of ``call``: it decides as the served one would,
        but its escalations are not the served request's (the shadow pair records its answer)."""
        decider = self.decider(call.workload.name, routing, call.dialect)
        return Cascade(
            self.arms.get(routing.cheap, call.dialect),
            self.arms.get(routing.strong, call.dialect),
            decider,
            up_front=decider.up_front,
            buffer_max_bytes=routing.buffer_max_bytes,
            prepare=decider.prepare,
            tidy=decider.tidy,
        )

    async def _ask(self, call: Call, routing: Routing, body: Json) -> Json:
        """Ask the cheap model again (Chat Completions form), its cost added to the request's."""
        upstream = self.arms.get(routing.cheap, "openai")
        answer = await upstream.complete(body)
        self._add_cheap_cost(call, self._priced(upstream.model, answer, "openai", body))
        return answer

    def _kept(self, call: Call) -> None:
        self.metrics.cascade_kept.labels(call.workload.name).inc()

    def _escalated(self, call: Call, escalation: Escalation) -> None:
        call.escalation = escalation
        self.metrics.escalations.labels(call.workload.name, escalation.reason).inc()
        answer = escalation.answer
        if answer is not None and (answer.body is not None or answer.events):
            self._add_cheap_cost(call, self._priced(escalation.cheap.model, answer, call.dialect, call.body))

    def _priced(self, model: str, answer: Json | CheapAnswer, dialect: Dialect, request: Json) -> float | None:
        out = Outcome(200, 0.0)
        if isinstance(answer, CheapAnswer) and answer.body is None:
            tally = StreamTally(assemble=False)
            take = getattr(tally, dialect)
            for event in answer.events:
                take(event)
            out.prompt_tokens, out.completion_tokens = tally.prompt_tokens, tally.completion_tokens
            if out.completion_tokens is None:  # a stream cut at the bound: what it read
                out.prompt_tokens, out.completion_tokens = tally.estimate(request)
        else:
            body = answer.body if isinstance(answer, CheapAnswer) else answer
            out.prompt_tokens, out.completion_tokens, out.cached_tokens = usage_of(body or {}, dialect)
        return self.attempts.cost(model, out)

    @staticmethod
    def _add_cheap_cost(call: Call, cost: float | None) -> None:
        if cost is not None:
            call.cheap_cost_usd = (call.cheap_cost_usd or 0.0) + cost
