"""Fixtures for gateway tests: a simulator, a migration, a SQLite store, and the gateway
served either on a real socket (uvicorn, for the SDKs and the wire) or in-process."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
import uvicorn
import yaml
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from modelswap.config import Migration, parse_migration
from modelswap.gateway.app import GatewayApp
from modelswap.gateway.http_protocol import HttpProtocol
from modelswap.serving import build_gateway
from modelswap.sim import ProfileOverride, RunningSim, SimConfig, start_sim
from modelswap.store import RequestRow, ShadowPairRow, Store, open_store, schema

OLD = "gpt-4o"
NEW = "gpt-5"
CLAUDE_OLD = "claude-opus-4-7"
CLAUDE_NEW = "claude-haiku-4-5"
WORKLOAD = "support"
OPENAI_KEY_ENV = "MS_TEST_OPENAI_KEY"
ANTHROPIC_KEY_ENV = "MS_TEST_ANTHROPIC_KEY"
ADMIN_TOKEN = "admin-Qx7vR2mK9pL4sT8wZ1nB5cF3"

PERFECT = {m: ProfileOverride(quality=1.0) for m in (OLD, NEW, CLAUDE_OLD, CLAUDE_NEW)}
FAST = SimConfig(time_scale=0.0, error_scale=0.0, models=PERFECT)


def dead_url() -> str:
    """A loopback URL nothing listens on (connection refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def openai_endpoint(sim_or_url: RunningSim | str, model: str, **extra: Any) -> dict[str, Any]:
    url = sim_or_url if isinstance(sim_or_url, str) else sim_or_url.base_url
    return {"provider": "openai", "model": model, "base_url": url, "api_key_env": OPENAI_KEY_ENV, **extra}


def anthropic_endpoint(sim_or_url: RunningSim | str, model: str, **extra: Any) -> dict[str, Any]:
    url = sim_or_url if isinstance(sim_or_url, str) else sim_or_url.anthropic_base_url
    return {"provider": "anthropic", "model": model, "base_url": url, "api_key_env": ANTHROPIC_KEY_ENV, **extra}


def migration_of(
    tmp_path: Path,
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    workloads: list[dict[str, Any]] | None = None,
    gateway: dict[str, Any] | None = None,
    **top: Any,
) -> Migration:
    """A migration file written as YAML and loaded the way ``modelswap serve`` loads it."""
    doc = {
        "store": "sqlite:///gateway.db",
        "endpoints": {"old": old, "new": new},
        "workloads": workloads or [{"name": WORKLOAD, "match": [{"header": {"x-modelswap-workload": WORKLOAD}}]}],
        "gateway": {"default_workload": WORKLOAD, **(gateway or {})},
        **top,
    }
    text = yaml.safe_dump(doc, sort_keys=False)
    return parse_migration(text, str(tmp_path / "migration.yaml"), tmp_path)


@dataclass
class Gateway:
    """A running gateway and what it writes."""

    app: GatewayApp
    store: Store
    base_url: str
    client: httpx.AsyncClient
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def openai_url(self) -> str:
        return f"{self.base_url}/v1"

    def requests(self, workload: str = WORKLOAD) -> list[RequestRow]:
        """Stored request records, oldest first."""
        return list(reversed(self.store.requests.recent(workload, limit=10_000)))

    def pairs(self) -> list[ShadowPairRow]:
        """Stored shadow pairs, in insertion order."""
        table = schema.shadow_pairs
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings().all()
        return [ShadowPairRow(**dict(r)) for r in rows]

    async def settle(self, requests: int, pairs: int = 0, workload: str = WORKLOAD, timeout: float = 5.0) -> None:
        """Wait until the store holds at least this many records (the recorder writes in the background)."""
        deadline = time.monotonic() + timeout
        while True:
            got_r, got_p = len(self.requests(workload)), len(self.pairs())
            if got_r >= requests and got_p >= pairs:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"store has {got_r} request(s) and {got_p} pair(s); wanted {requests}, {pairs}")
            await asyncio.sleep(0.02)

    async def metrics(self) -> str:
        r = await self.client.get("/metrics")
        assert r.status_code == 200
        return r.text


StartGateway = Callable[..., Awaitable[Gateway]]


def sample(metrics_text: str, name: str, **labels: str) -> float:
    """The sum of the samples named ``name`` whose labels include ``labels`` (0 when none)."""
    return sum(
        float(s.value)
        for family in text_string_to_metric_families(metrics_text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


@pytest.fixture
def api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OPENAI_KEY_ENV, "sk-test-openai-key-000000000000")
    monkeypatch.setenv(ANTHROPIC_KEY_ENV, "sk-ant-test-key-0000000000000000")


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    running = await start_sim(FAST)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'records.db'}")
    try:
        yield s
    finally:
        s.close()


async def _serve_socket(app: GatewayApp) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="on",
        http=HttpProtocol,  # as `modelswap serve` does
        ws="none",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = time.monotonic() + 5
    while not server.started:
        if task.done():
            task.result()
            raise AssertionError("uvicorn stopped before it started")
        if time.monotonic() > deadline:
            raise AssertionError("uvicorn did not start within 5 s")
        await asyncio.sleep(0.005)
    return server, task, f"http://127.0.0.1:{port}"


@pytest.fixture
async def start_gateway(store: Store, api_keys: None) -> AsyncIterator[StartGateway]:
    """Start a gateway for a migration: ``wire=True`` serves it with uvicorn on a real socket,
    ``wire=False`` drives it in-process (``httpx.ASGITransport``, lifespan run by hand)."""
    running: list[Gateway] = []

    async def start(migration: Migration, *, wire: bool = True, app: GatewayApp | None = None, **kw: Any) -> Gateway:
        kw.setdefault("flush_interval_s", 0.02)
        kw.setdefault("poll_interval_s", 0.05)
        app = app or build_gateway(migration, store=store, **kw)
        if wire:
            server, task, url = await _serve_socket(app)
            client = httpx.AsyncClient(base_url=url, timeout=10)
            gw = Gateway(app, store, url, client, server, task)
        else:
            await app.startup()
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway", timeout=10)
            gw = Gateway(app, store, "http://gateway", client)
        running.append(gw)
        return gw

    yield start
    for gw in reversed(running):
        await gw.client.aclose()
        if gw._server is not None and gw._task is not None:
            gw._server.should_exit = True
            await gw._task
        else:
            await gw.app.shutdown()


@pytest.fixture
def migration(tmp_path: Path, sim: RunningSim) -> Migration:
    """old = gpt-4o, new = gpt-5, both OpenAI wire on the simulator; one workload, stage shadow."""
    return migration_of(tmp_path, openai_endpoint(sim, OLD, max_retries=0), openai_endpoint(sim, NEW, max_retries=0))


# -- a scripted vendor, for upstream failures the simulator does not produce ---------------------


@dataclass
class Scripted:
    """What the scripted vendor answers to every POST, and what it received."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""

    @property
    def openai_url(self) -> str:
        return f"{self.base_url}/v1"


ServeVendor = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def scripted(serve_vendor: ServeVendor) -> Callable[..., Awaitable[Scripted]]:

    async def start(
        status: int, body: dict[str, Any], headers: dict[str, str] | None = None, delay_s: float = 0.0
    ) -> Scripted:
        script = Scripted(status, body, headers or {}, delay_s)

        async def answer(request: web.Request) -> web.Response:
            script.received.append(await request.json())
            await asyncio.sleep(script.delay_s)
            return web.Response(
                status=script.status,
                body=orjson.dumps(script.body),
                headers={"content-type": "application/json", **script.headers},
            )

        app = web.Application()
        app.router.add_post("/v1/chat/completions", answer)
        app.router.add_post("/v1/messages", answer)
        script.base_url = await serve_vendor(app)
        return script

    return start
