"""An in-process gateway whose console the access tests drive, with a client per address."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import yaml

from modelswap.config import Migration, parse_migration
from modelswap.gateway.app import GatewayApp
from modelswap.serving import build_gateway
from modelswap.store import Store, open_store

if TYPE_CHECKING:
    from playwright.async_api import Page

TOKEN = "console-Fj4Kp8Wn2Zr6Yt9Bx3Qm7Ld5"
"""A strong admin token for these tests."""

Client = Callable[..., httpx.AsyncClient]


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def console_migration(tmp_path: Path, **gateway: Any) -> Migration:
    """Two OpenAI endpoints nothing serves (the console does not call them), one workload; the
    file is written too, for the CLI."""
    endpoint = {"provider": "openai", "base_url": _dead_url(), "api_key_env": "MS_CONSOLE_TEST_KEY"}
    doc = {
        "store": "sqlite:///console.db",
        "endpoints": {"old": {**endpoint, "model": "gpt-4o"}, "new": {**endpoint, "model": "gpt-5"}},
        "workloads": [{"name": "support"}],
        "gateway": {"default_workload": "support", **gateway},
    }
    text = yaml.safe_dump(doc)
    (tmp_path / "migration.yaml").write_text(text)
    return parse_migration(text, str(tmp_path / "migration.yaml"), tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'console.db'}")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Migration:
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("MS_CONSOLE_TEST_KEY", "sk-unused")
    return console_migration(tmp_path)


@pytest.fixture
async def gateway(migration: Migration, store: Store) -> AsyncIterator[GatewayApp]:
    app = build_gateway(migration, store=store)
    await app.startup()
    try:
        yield app
    finally:
        await app.shutdown()


@pytest.fixture
async def client(gateway: GatewayApp) -> AsyncIterator[Client]:
    """``client(ip)``: an httpx client that reaches the gateway from address ``ip``."""
    opened: list[httpx.AsyncClient] = []

    def make(ip: str = "198.51.100.7", scheme: str = "http") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=gateway, client=(ip, 50000))
        c = httpx.AsyncClient(transport=transport, base_url=f"{scheme}://gateway", timeout=10)
        opened.append(c)
        return c

    yield make
    for c in opened:
        await c.aclose()


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port for the block; yields its base URL."""
    import uvicorn

    from modelswap.gateway.server import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def open_login_link(page: Page, base: str, link: str) -> None:
    """Sign a browser in with a one-time login link: open it, then press the confirm page's button."""
    await page.goto(f"{base}/console/login?link={link}")
    async with page.expect_navigation():
        await page.click("#use-link")
