"""One chat request on its way through the proxy, and how each upstream attempt of it ended."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from modelswap.config import Routing, Workload
from modelswap.gateway.errors import SHUTDOWN_MESSAGE, upstream_status
from modelswap.gateway.records import error_text
from modelswap.providers.base import Dialect, Json, UpstreamError
from modelswap.providers.cascade import Escalation
from modelswap.providers.forwarding import Exchange
from modelswap.store.rows import RequestRow, ShadowPairRow


class Sink(Protocol):
    """Where finished records go (the recorder); an interface so tests can collect them."""

    def add_request(self, row: RequestRow) -> None: ...

    def add_pair(self, row: ShadowPairRow) -> None: ...


@dataclass(slots=True)
class Call:
    """One request on its way through: what was asked and what has been decided."""

    id: str
    workload: Workload
    dialect: Dialect
    body: Json
    stream: bool
    sticky_hash: str | None
    started: float
    ts: datetime
    arm: str
    """The arm routing chose to serve."""
    attempt_started: float
    """When the current upstream attempt began (the fallback's, once it falls back)."""
    exchange: Exchange
    """The app's headers forwarded to the vendor, and the vendor's passed back."""
    recorded: bool = False
    """Whether the record under ``id`` has been handed to the sink."""
    fell_back: bool = False
    """Whether the chosen arm failed and the old model was asked instead."""
    routing: Routing | None = None
    """Set when a cascade serves the arm (the workload's ``routing``)."""
    escalation: Escalation | None = None
    """Set when the cascade sent the request on to its strong endpoint."""
    cheap_cost_usd: float | None = None
    """What the escalated cheap attempt cost."""

    @property
    def served(self) -> str:
        """The arm asked last: the one that answered, or whose failure the app is told."""
        return "old" if self.fell_back else self.arm

    @property
    def endpoint(self) -> str:
        """The endpoint asked last: the served arm's own, or the cascade's cheap or strong one."""
        if self.routing is None or self.fell_back:
            return self.served
        return self.routing.strong if self.escalation is not None else self.routing.cheap


@dataclass(slots=True)
class Outcome:
    """How one upstream call ended, for the record and the metrics."""

    status: int
    latency_s: float
    ttft_s: float | None = None
    error_kind: str | None = None
    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    response: Json | None = None
    tokens_estimated: bool = False


def error_outcome(exc: UpstreamError, latency_s: float) -> Outcome:
    """The outcome of an attempt the upstream refused or failed."""
    return Outcome(upstream_status(exc), latency_s, error_kind=exc.kind, error=error_text(exc, exc.message))


def cut(call: Call) -> Outcome:
    """The record of a request the server's graceful stop cut (uvicorn cancels it at the grace's end;
    nothing else cancels a request but the client-leaving watch, which records its own)."""
    return Outcome(503, time.perf_counter() - call.started, error_kind="shutdown", error=SHUTDOWN_MESSAGE)
