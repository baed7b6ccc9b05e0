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
from modelswap.providers.http import HttpPool


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


DIALECTS: tuple[Dialect, ...] = ("openai", "anthropic")


class Arms(Protocol):
    """Each endpoint's upstream in the dialect asked for: what the gateway needs of the wiring
    (``PooledArms`` in service; tests pass fakes)."""

    def get(self, name: str, dialect: Dialect) -> Upstream:
        """The upstream behind endpoint ``name``, spoken to in ``dialect``."""
        ...

    async def aclose(self) -> None:
        """Close whatever the upstreams share (connections)."""
        ...


class PooledArms:
    """Every endpoint's upstream in both dialects, sharing one HTTP pool."""

    def __init__(self, migration: Migration, pool: HttpPool, sim: SimUrls | None = None) -> None:
        self.pool = pool
        self._upstreams: dict[tuple[str, Dialect], Upstream] = {}
        self.endpoints: Mapping[str, Endpoint] = migration.endpoints
        for name, endpoint in migration.endpoints.items():
            kind, url = wire_of(endpoint, sim)
            for dialect in DIALECTS:
                self._upstreams[(name, dialect)] = build_upstream(
                    kind,
                    name,
                    endpoint.model,
                    url,
                    endpoint.api_key() or "modelswap-sim",
                    pool,
                    dialect=dialect,
                    timeout_s=endpoint.timeout_s,
                    max_retries=endpoint.max_retries,
                    max_retry_after_s=endpoint.max_retry_wait_s,
                )

    def get(self, name: str, dialect: Dialect) -> Upstream:
        return self._upstreams[(name, dialect)]

    async def aclose(self) -> None:
        await self.pool.aclose()
