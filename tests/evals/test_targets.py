"""The endpoints an eval calls go through the maintained HTTP client (aiohttp), not the serving path's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelswap.config import load_migration
from modelswap.demo import write_demo_migration
from modelswap.evals.targets import migration_endpoints
from modelswap.providers.aiohttp_client import AiohttpClient


def _pool_of(upstream: Any) -> Any:
    """The pool under an upstream, through its translators."""
    while not hasattr(upstream, "_pool"):
        upstream = upstream.inner
    return upstream._pool


async def test_eval_endpoints_call_the_models_through_aiohttp(tmp_path: Path) -> None:
    migration = load_migration(write_demo_migration(tmp_path, 0.005))
    ask = {"messages": [{"role": "user", "content": "Where is my order 1234?"}], "max_tokens": 50}
    async with migration_endpoints(migration, ["old", "new"], concurrency=4) as endpoints:
        for endpoint in endpoints.values():
            answer = await endpoint.answer(ask)
            assert answer.body["choices"][0]["message"]["content"]
            pool = _pool_of(endpoint.upstream)
            assert pool.kind == "aiohttp" and isinstance(pool.client(), AiohttpClient)
