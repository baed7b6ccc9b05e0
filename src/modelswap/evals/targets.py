"""The endpoints an eval calls, built from the migration file (and the embedded simulator if needed).

Every endpoint speaks the OpenAI dialect to the runner (golden cases are OpenAI requests); an
Anthropic endpoint is translated, as in the gateway. Upstreams are built without retries of
their own: ``EvalEndpoint`` retries, so that each attempt passes the endpoint's rate limiter.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from modelswap.config import Migration
from modelswap.evals.endpoint import EvalEndpoint
from modelswap.evals.ratelimit import Limiter, RateLimit
from modelswap.providers import build_upstream
from modelswap.providers.base import Upstream
from modelswap.providers.retry import RetryPolicy
from modelswap.providers.wiring import SimUrls, pool_of, timeouts_of, wire_of

DEFAULT_CONCURRENCY = 16
MAX_RETRY_WAIT_S = 120.0
"""An eval is a batch job: it waits out a ``Retry-After`` of up to two minutes (the serving path waits far less)."""


class EvalSetupError(ValueError):
    """The eval cannot be set up as asked (unknown endpoint, missing API key, bad limit)."""


def default_arms(migration: Migration) -> list[str]:
    """``old``, ``new``, then every candidate endpoint, in file order."""
    return ["old", "new", *(n for n in migration.endpoints if n not in ("old", "new"))]


def check_arms(migration: Migration, names: Sequence[str]) -> list[str]:
    """The endpoint names, checked: known, unique, and with their API key set."""
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in migration.endpoints]
    if unknown:
        raise EvalSetupError(
            f"unknown endpoint(s) {', '.join(map(repr, unknown))}; known: {', '.join(migration.endpoints)}"
        )
    if not names:
        raise EvalSetupError("no endpoints to evaluate")
    for name in names:
        endpoint = migration.endpoints[name]
        if endpoint.api_key_env and endpoint.api_key() is None:
            raise EvalSetupError(
                f"endpoints.{name}.api_key_env: ${endpoint.api_key_env} is not set; export it before running evals"
            )
    return names


def limited(
    upstreams: Mapping[str, Upstream],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    limits: Mapping[str, RateLimit] | None = None,
    retries: Mapping[str, int] | None = None,
) -> dict[str, EvalEndpoint]:
    """Eval endpoints over ready upstreams: at most ``concurrency`` calls in flight across all of
    them, each within its own ``limits`` entry, retried ``retries[name]`` times (default 2)."""
    if concurrency < 1:
        raise EvalSetupError(f"concurrency must be at least 1, got {concurrency}")
    shared = asyncio.Semaphore(concurrency)
    limits = limits or {}
    retries = retries or {}
    return {
        name: EvalEndpoint(
            upstream,
            Limiter(limits.get(name), shared=shared, shared_size=concurrency),
            RetryPolicy(max_retries=retries.get(name, 2), max_delay_s=MAX_RETRY_WAIT_S),
            name=name,
        )
        for name, upstream in upstreams.items()
    }


@asynccontextmanager
async def migration_endpoints(
    migration: Migration,
    names: Sequence[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    limits: Mapping[str, RateLimit] | None = None,
    judge: str | None = None,
) -> AsyncIterator[dict[str, EvalEndpoint]]:
    """The named endpoints (plus ``judge``, if given) ready to call; closed (and the embedded
    simulator stopped) on exit."""
    wanted = check_arms(migration, [*names, *([judge] if judge else [])])
    sim = None
    urls = None
    if any(migration.endpoints[n].provider == "sim" and not migration.endpoints[n].base_url for n in wanted):
        from modelswap.sim import start_sim

        sim = await start_sim(migration.simulator.sim_config())
        urls = SimUrls(sim.base_url, sim.anthropic_base_url)
    pool = pool_of(migration, connections=max(2 * concurrency, 64), client="aiohttp")  # off the serving path
    try:
        upstreams: dict[str, Upstream] = {}
        for name in wanted:
            endpoint = migration.endpoints[name]
            kind, url = wire_of(endpoint, urls)
            upstreams[name] = build_upstream(
                kind,
                name,
                endpoint.model,
                url,
                endpoint.api_key() or "modelswap-sim",
                pool,
                dialect="openai",
                timeout_s=timeouts_of(endpoint, migration),
                max_retries=0,
            )
        retries = {n: migration.endpoints[n].max_retries for n in wanted}
        yield limited(upstreams, concurrency=concurrency, limits=limits, retries=retries)
    finally:
        await pool.aclose()
        if sim is not None:
            await sim.stop()
