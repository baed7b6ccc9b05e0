"""Endpoint → upstream wiring: the live upstreams behind each endpoint, one per dialect, built once at start-up.

Used by the gateway (its two arms) and by evals (the targets they call), so it lives below both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from modelswap.catalog import Price as CatalogPrice
from modelswap.catalog import lookup
from modelswap.config import Endpoint, Migration
from modelswap.providers import build_upstream
from modelswap.providers.base import Dialect, Upstream
from modelswap.providers.factory import ProviderKind
from modelswap.providers.h1 import Limits, Timeouts
from modelswap.providers.http import ClientKind, HttpPool
from modelswap.providers.passthrough import Vendor
from modelswap.providers.registry import DIALECTS, wire_of_kind
from modelswap.providers.retry_budget import BudgetSpec, RetryBudget


@dataclass(frozen=True, slots=True)
class SimUrls:
    """Where an embedded simulator listens: its OpenAI and Anthropic base URLs."""

    openai: str
    anthropic: str


def speaks_anthropic(model: str) -> bool:
    """Whether a model id is a Claude model (the simulator answers it on /v1/messages)."""
    info = lookup(model)
    return (info.vendor == "anthropic") if info else model.startswith("claude")


def wire_of(endpoint: Endpoint, sim: SimUrls | None) -> tuple[ProviderKind, str]:
    """The wire format and base URL an endpoint is reached at."""
    if endpoint.provider != "sim":
        url = endpoint.resolved_base_url()
        assert url is not None
        return endpoint.provider, url
    kind: ProviderKind = "anthropic" if speaks_anthropic(endpoint.model) else "openai"
    if endpoint.base_url:
        return kind, endpoint.base_url
    if sim is None:
        raise ValueError(f"endpoint uses the embedded simulator but none is running (model {endpoint.model})")
    return kind, sim.anthropic if kind == "anthropic" else sim.openai


def needs_embedded_sim(migration: Migration) -> bool:
    return any(e.provider == "sim" and not e.base_url for e in migration.endpoints.values())


def price_overrides(migration: Migration) -> dict[str, CatalogPrice]:
    """Per-model price overrides from the migration file, in the catalog's terms."""
    out = {}
    for e in migration.endpoints.values():
        if e.price is not None:
            out[e.model] = CatalogPrice(input=e.price.input, output=e.price.output, cached_input=e.price.cached_input)
    return out


def timeouts_of(endpoint: Endpoint, migration: Migration) -> Timeouts:
    """The endpoint's connect, first-byte and idle timeouts (its own, else the ``upstream:`` section's)."""
    connect, first_byte, idle = endpoint.timeouts(migration.upstream)
    return Timeouts(connect_s=connect, first_byte_s=first_byte, idle_s=idle)


def pool_of(migration: Migration, connections: int | None = None, *, client: ClientKind = "h1") -> HttpPool:
    """The shared HTTP pool with the ``upstream:`` section's answer limits and keep-alive, and
    ``connections`` (default: the section's ``max_connections``) open at most. ``client``: ``h1``
    for the serving path, ``aiohttp`` for everything else (evals, judges, red-team runs)."""
    u = migration.upstream
    limits = Limits(max_head_bytes=u.max_head_bytes, max_body_bytes=u.max_body_bytes, max_event_bytes=u.max_event_bytes)
    return HttpPool(limit=connections or u.max_connections, keepalive_s=u.keepalive_s, limits=limits, client=client)


def budget_spec(migration: Migration) -> BudgetSpec:
    b = migration.upstream.retry_budget
    return BudgetSpec(ratio=b.ratio, min_per_s=b.min_per_s, burst=float(b.burst))


class Arms(Protocol):
    """Each endpoint's upstream in the dialect asked for: what the gateway needs of the wiring
    (``PooledArms`` in service; tests pass fakes)."""

    @property
    def vendors(self) -> Mapping[str, Vendor]:
        """Each endpoint's vendor, for requests passed through unchanged."""
        ...

    def get(self, name: str, dialect: Dialect) -> Upstream:
        """The upstream behind endpoint ``name``, spoken to in ``dialect``."""
        ...

    async def aclose(self) -> None:
        """Close whatever the upstreams share (connections)."""
        ...


class PooledArms:
    """Every endpoint's upstream in every dialect, sharing one HTTP pool: the serving path.

    The app's own SDK owns retries of what a vendor answered (told by ``x-should-retry``), so
    these upstreams retry only connections that never carried the request, and each endpoint's
    ``RetryBudget`` (shared by its two dialects) bounds every retry to it, the app's included."""

    def __init__(self, migration: Migration, pool: HttpPool, sim: SimUrls | None = None) -> None:
        self.pool = pool
        self._upstreams: dict[tuple[str, Dialect], Upstream] = {}
        self.endpoints: Mapping[str, Endpoint] = migration.endpoints
        spec = budget_spec(migration)
        self.budgets = {name: RetryBudget(spec) for name in migration.endpoints}
        self.vendors: dict[str, Vendor] = {}
        """Each endpoint's vendor, for requests passed through unchanged."""
        for name, endpoint in migration.endpoints.items():
            kind, url = wire_of(endpoint, sim)
            key = endpoint.api_key() or "modelswap-sim"
            self.vendors[name] = Vendor(
                name,
                wire_of_kind(kind) or "openai",
                url,
                key,
                timeouts_of(endpoint, migration).first_byte_s,
                model=endpoint.model,
            )
            for dialect in DIALECTS:
                self._upstreams[(name, dialect)] = build_upstream(
                    kind,
                    name,
                    endpoint.model,
                    url,
                    key,
                    pool,
                    dialect=dialect,
                    timeout_s=timeouts_of(endpoint, migration),
                    max_retries=endpoint.max_retries,
                    only_unsent=True,
                    budget=self.budgets[name],
                )

    def get(self, name: str, dialect: Dialect) -> Upstream:
        return self._upstreams[(name, dialect)]

    async def aclose(self) -> None:
        await self.pool.aclose()
