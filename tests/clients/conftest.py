"""Real client libraries against a real gateway over TCP, in front of the simulator.

``openai_app`` is a gateway an OpenAI-format app talks to, ``anthropic_app`` one an
Anthropic-format app talks to; each is parametrised over a same-vendor migration and a
cross-vendor one (the new model speaks the other dialect, so every request is translated).
Both are at stage ``full``: the new model serves every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.gateway import conftest as gateway_fixtures
from tests.gateway.conftest import (
    CLAUDE_NEW,
    CLAUDE_OLD,
    NEW,
    OLD,
    WORKLOAD,
    Gateway,
    StartGateway,
    anthropic_endpoint,
    migration_of,
    openai_endpoint,
)

from modelswap.rollout import flag
from modelswap.sim import RunningSim
from modelswap.store import RequestRow, Store

# the gateway tests' fixtures: a fast simulator, a SQLite store, key variables, a gateway on a socket
sim = gateway_fixtures.sim
store = gateway_fixtures.store
api_keys = gateway_fixtures.api_keys
start_gateway = gateway_fixtures.start_gateway

APP_KEY = "app-key-on-loopback"


@dataclass
class Stage:
    """A running gateway, the model that serves, and whether requests are translated."""

    gw: Gateway
    app_model: str
    """The model name the app sends (the old model's)."""
    served: str
    """The model that answers (the new one)."""
    translated: bool
    sim: RunningSim

    @property
    def openai_url(self) -> str:
        return self.gw.openai_url

    @property
    def anthropic_url(self) -> str:
        return self.gw.base_url

    async def records(self, n: int) -> list[RequestRow]:
        """The stored request records, once there are ``n``."""
        await self.gw.settle(requests=n)
        return self.gw.requests()


async def _stage(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store, old: dict[str, Any], new: dict[str, Any]
) -> Gateway:
    migration = migration_of(tmp_path, old, new)
    flag.set_stage(store, WORKLOAD, "full", None, "test", "cutover")
    return await start_gateway(migration)


@pytest.fixture(params=["same-vendor", "translated"])
async def openai_app(
    request: pytest.FixtureRequest, start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> Stage:
    """old gpt-4o → new gpt-5 (same vendor) or → claude-haiku-4-5 (translated)."""
    translated = request.param == "translated"
    new = anthropic_endpoint(sim, CLAUDE_NEW, max_retries=0) if translated else openai_endpoint(sim, NEW, max_retries=0)
    gw = await _stage(start_gateway, tmp_path, sim, store, openai_endpoint(sim, OLD, max_retries=0), new)
    return Stage(gw, OLD, CLAUDE_NEW if translated else NEW, translated, sim)


@pytest.fixture(params=["same-vendor", "translated"])
async def anthropic_app(
    request: pytest.FixtureRequest, start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> Stage:
    """old claude-opus-4-7 → new claude-haiku-4-5 (same vendor) or → gpt-5 (translated)."""
    translated = request.param == "translated"
    new = openai_endpoint(sim, NEW, max_retries=0) if translated else anthropic_endpoint(sim, CLAUDE_NEW, max_retries=0)
    gw = await _stage(start_gateway, tmp_path, sim, store, anthropic_endpoint(sim, CLAUDE_OLD, max_retries=0), new)
    return Stage(gw, CLAUDE_OLD, NEW if translated else CLAUDE_NEW, translated, sim)
