"""Prometheus metrics of the gateway, on a registry of its own (``GET /metrics``).

Names follow Prometheus conventions so Grafana, Argo Rollouts or Flagger can query
them: per workload and arm, request counts by status, errors by kind, latency and
time-to-first-token histograms, shadow outcomes and drops, recorder queue depth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from modelswap.gateway.recorder_health import DROP_REASONS, RecorderHealth
from modelswap.providers.retry_budget import RetryBudget
from modelswap.rollout.routing import RoutingState

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

__all__ = ["CONTENT_TYPE_LATEST", "GatewayMetrics"]


class GatewayMetrics:
    """The gateway's counters, histograms and gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "modelswap_requests",
            "Upstream attempts by workload, arm and HTTP status (a request that fell back to the old model "
            "counts once for each arm it tried; modelswap_fallbacks_total counts such requests)",
            ["workload", "arm", "status"],
            registry=r,
        )
        self.errors = Counter(
            "modelswap_request_errors",
            "Failed requests by workload, arm and error kind",
            ["workload", "arm", "kind"],
            registry=r,
        )
        self.latency = Histogram(
            "modelswap_request_duration_seconds",
            "Total request latency as the app sees it",
            ["workload", "arm"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "modelswap_time_to_first_token_seconds",
            "Time to the first streamed token",
            ["workload", "arm"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rejected = Counter(
            "modelswap_requests_rejected",
            "Requests the gateway refused before calling any model (bad body, unknown model, no workload), "
            "by workload ('' when none matched) and HTTP status",
            ["workload", "status"],
            registry=r,
        )
        self.fallbacks = Counter("modelswap_fallbacks", "Requests retried on the old model", ["workload"], registry=r)
        self.escalations = Counter(
            "modelswap_cascade_escalations",
            "Requests a routed workload's cascade sent on to its strong model, by workload and reason",
            ["workload", "reason"],
            registry=r,
        )
        self.cascade_kept = Counter(
            "modelswap_cascade_kept", "Requests a routed workload's cheap model answered", ["workload"], registry=r
        )
        self.shadow = Counter(
            "modelswap_shadow_requests", "Shadow calls by outcome", ["workload", "arm", "outcome"], registry=r
        )
        self.shadow_dropped = Counter(
            "modelswap_shadow_dropped", "Shadow copies dropped because the shadow pool was saturated", registry=r
        )
        self.recorder_depth = Gauge("modelswap_recorder_queue_depth", "Records waiting to be written", registry=r)
        self.recorder_dropped = Gauge(
            "modelswap_recorder_dropped", "Records dropped under overload (total)", registry=r
        )
        self.rollback = Gauge(
            "modelswap_rollback_active", "1 when the workload is rolled back", ["workload"], registry=r
        )
        self.share = Gauge(
            "modelswap_new_model_share_percent", "Percent of traffic the new model serves", ["workload"], registry=r
        )
        self._children: dict[tuple[str, str], tuple[Histogram, Histogram]] = {}
        self._counted: dict[tuple[str, str, int], Counter] = {}

    def observe(self, workload: str, arm: str, status: int, latency_s: float, ttft_s: float | None) -> None:
        """Count one finished request."""
        pair = self._children.get((workload, arm))
        if pair is None:
            pair = (self.latency.labels(workload, arm), self.ttft.labels(workload, arm))
            self._children[(workload, arm)] = pair
        counted = self._counted.get((workload, arm, status))
        if counted is None:
            counted = self._counted[(workload, arm, status)] = self.requests.labels(workload, arm, str(status))
        counted.inc()
        pair[0].observe(latency_s)
        if ttft_s is not None:
            pair[1].observe(ttft_s)

    def set_routing(self, states: Mapping[str, RoutingState]) -> None:
        """Set the rollback and new-model-share gauges from each workload's routing state."""
        for workload, state in states.items():
            self.rollback.labels(workload).set(1 if state.rollback else 0)
            if state.rollback or state.stage in ("shadow", "rolled_back"):
                share = 0.0
            else:
                share = 100.0 if state.stage == "full" else state.share
            self.share.labels(workload).set(share)

    def bind_gauges(self, recorder_depth: Callable[[], float], recorder_dropped: Callable[[], float]) -> None:
        self.recorder_depth.set_function(recorder_depth)
        self.recorder_dropped.set_function(recorder_dropped)

    def bind_recorder(self, health: Callable[[], RecorderHealth]) -> None:
        """Export the recorder's counters (written, reduced, dropped by reason, restarts) and health."""
        self.registry.register(_RecorderCollector(health))

    def bind_retry_budgets(self, budgets: Mapping[str, RetryBudget]) -> None:
        """Export each endpoint's retry budget: retries granted, refused, and available now."""
        self.registry.register(_BudgetCollector(budgets))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _BudgetCollector(Collector):
    """The endpoints' retry budgets, read when ``/metrics`` is scraped."""

    def __init__(self, budgets: Mapping[str, RetryBudget]) -> None:
        self._budgets = budgets

    def collect(self) -> Iterator[Metric]:
        spent = CounterMetricFamily(
            "modelswap_retries_granted",
            "Retries of a failed vendor call allowed by the endpoint's retry budget (the gateway's own, "
            "and the app's told x-should-retry: true)",
            labels=["endpoint"],
        )
        denied = CounterMetricFamily(
            "modelswap_retries_denied",
            "Retries refused because the endpoint's retry budget was spent (the app was told x-should-retry: false)",
            labels=["endpoint"],
        )
        available = GaugeMetricFamily(
            "modelswap_retry_budget_available", "Retries the endpoint's budget holds now", labels=["endpoint"]
        )
        for name, budget in self._budgets.items():
            spent.add_metric([name], budget.spent)
            denied.add_metric([name], budget.denied)
            available.add_metric([name], budget.available)
        yield spent
        yield denied
        yield available


class _RecorderCollector(Collector):
    """The recorder's own tallies, read when ``/metrics`` is scraped (the writer thread keeps them)."""

    def __init__(self, health: Callable[[], RecorderHealth]) -> None:
        self._health = health

    def collect(self) -> Iterator[Metric]:
        health = self._health()
        s = health.state
        yield CounterMetricFamily("modelswap_records_written", "Records stored (reduced ones included)", s.written)
        yield CounterMetricFamily(
            "modelswap_records_reduced",
            "Records stored without their bodies because a body could not be redacted or the store refused "
            "the full row (the record's error says why)",
            s.reduced,
        )
        dropped = CounterMetricFamily(
            "modelswap_records_dropped",
            "Records lost, by reason: queue_full (the in-memory bound), unmatched_pair (a shadow answer whose "
            "request never came), unstorable (refused even without bodies), shutdown (store down at stop)",
            labels=["reason"],
        )
        for reason in DROP_REASONS:
            dropped.add_metric([reason], s.dropped.get(reason, 0))
        yield dropped
        yield CounterMetricFamily(
            "modelswap_recorder_restarts", "Times the supervisor restarted the recorder's writer thread", s.restarts
        )
        yield CounterMetricFamily(
            "modelswap_recorder_redaction_failures",
            "Batches the redaction worker process failed to answer (sent again to a new one, then redacted in the "
            "gateway's process: no record lost)",
            s.redaction_failures,
        )
        yield GaugeMetricFamily(
            "modelswap_recorder_degraded",
            "1 while records are not being written as they should (/healthz says why)",
            1 if health.status == "degraded" else 0,
        )
