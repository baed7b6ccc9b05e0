"""Counting, pricing and recording each upstream attempt of a chat request, and each shadow copy."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from modelswap.catalog import Usage, cost
from modelswap.config import Migration
from modelswap.gateway.call import Call, Outcome, Sink, error_outcome
from modelswap.gateway.ids import new_id
from modelswap.gateway.metrics import GatewayMetrics
from modelswap.gateway.records import log_failure
from modelswap.gateway.streaming import usage_of
from modelswap.providers.shadowed import ShadowResult
from modelswap.providers.wiring import Arms, price_overrides
from modelswap.store.rows import RequestRow, ShadowPairRow

log = logging.getLogger("modelswap.gateway")


class AttemptLog:
    """Turns attempts into metrics and records (priced, bodies kept or not) for the sink."""

    def __init__(self, migration: Migration, arms: Arms, sink: Sink, metrics: GatewayMetrics, replica_id: str) -> None:
        self.arms = arms
        self.sink = sink
        self.metrics = metrics
        self.replica_id = replica_id
        self.overrides = price_overrides(migration)
        self._unpriced: set[str] = set()
        self.keep_bodies = migration.gateway.record_bodies != "none"

    def finish(self, call: Call, arm: str, out: Outcome, *, fallback: bool = False, retried: bool = False) -> None:
        """Count and record one upstream attempt. A failed attempt that was ``retried`` on the
        old model gets its own record id: the served answer keeps the request's id."""
        name = call.workload.name
        endpoint = call.endpoint if arm == call.served and not retried else arm
        model = self.arms.get(endpoint, call.dialect).model
        self.metrics.observe(name, arm, out.status, out.latency_s, out.ttft_s)
        call.recorded = call.recorded or not retried
        routed = call.routing is not None and arm == call.arm and not retried
        cost_usd = self.cascade_cost(call, self.cost(model, out), out) if routed else self.cost(model, out)
        row = RequestRow(
            id=new_id() if retried else call.id,
            ts=call.ts,
            workload=name,
            arm=arm,
            endpoint=endpoint,
            model=model,
            status=out.status,
            latency_ms=out.latency_s * 1000,
            stream=call.stream,
            error_kind=out.error_kind,
            error=out.error,
            ttft_ms=out.ttft_s * 1000 if out.ttft_s is not None else None,
            prompt_tokens=out.prompt_tokens,
            completion_tokens=out.completion_tokens,
            cached_tokens=out.cached_tokens,
            cost_usd=cost_usd,
            request_body=call.body if self.keep_bodies else None,
            response_body=out.response if self.keep_bodies else None,
            sticky_key_hash=call.sticky_hash,
            fallback=fallback,
            replica_id=self.replica_id,
            tokens_estimated=out.tokens_estimated,
            escalated=(call.escalation is not None) if routed else None,
            escalation=call.escalation.reason if routed and call.escalation is not None else None,
            cheap_cost_usd=call.cheap_cost_usd if routed else None,
        )
        if out.error_kind is not None:
            self.metrics.errors.labels(name, arm, out.error_kind).inc()
            log_failure(row)
        self.sink.add_request(row)

    @staticmethod
    def cascade_cost(call: Call, answered: float | None, out: Outcome) -> float | None:
        """A cascade's whole cost: the answering call plus the cheap calls beyond it (an escalated
        attempt, signal samples), so the arm's cost per request is what the cascade spent."""
        if call.cheap_cost_usd is None:
            return answered
        if answered is None and out.error_kind is not None:
            answered = 0.0  # the answering call failed without usage: what was spent is the cheap part
        return None if answered is None else answered + call.cheap_cost_usd

    def record_pair(self, call: Call, arm: str, result: ShadowResult) -> None:
        """Count and record how a shadow copy went (called from the shadow job)."""
        if result.error is not None:
            out = error_outcome(result.error, result.latency_s)
        else:
            out = Outcome(200, result.latency_s, response=result.answer)
            if result.answer is not None:
                out.prompt_tokens, out.completion_tokens, out.cached_tokens = usage_of(result.answer, call.dialect)
        model = result.upstream.model
        self.metrics.shadow.labels(call.workload.name, arm, "ok" if out.error_kind is None else out.error_kind).inc()
        self.sink.add_pair(
            ShadowPairRow(
                request_id=call.id,
                ts=datetime.now(UTC),
                arm=arm,
                model=model,
                status=out.status,
                error_kind=out.error_kind,
                error=out.error,
                latency_ms=out.latency_s * 1000,
                prompt_tokens=out.prompt_tokens,
                completion_tokens=out.completion_tokens,
                cached_tokens=out.cached_tokens,
                cost_usd=self.cost(model, out),
                response_body=out.response if self.keep_bodies else None,
            )
        )

    def cost(self, model: str, out: Outcome) -> float | None:
        """What the attempt cost at ``model``'s price (``None`` when unpriced or usage is unknown)."""
        if out.prompt_tokens is None or out.completion_tokens is None or model in self._unpriced:
            return None
        usage = Usage(
            prompt_tokens=out.prompt_tokens,
            completion_tokens=out.completion_tokens,
            cached_tokens=out.cached_tokens or 0,
        )
        try:
            return cost(usage, model, self.overrides)
        except (KeyError, ValueError):
            self._unpriced.add(model)
            log.warning("no price for model %r: costs are not recorded (add a price to its endpoint)", model)
            return None
