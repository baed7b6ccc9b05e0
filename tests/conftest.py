"""Suite-wide guards and shared fixtures.

No test may reach a non-loopback host. PostgreSQL fixtures give each test a fresh schema
(``search_path`` set through the URL's ``options``), dropped afterwards; if PostgreSQL cannot
be reached they fail with the reason, unless ``MODELSWAP_SKIP_PG=1`` is set (then they skip).
``MODELSWAP_TEST_PG_URL`` points them at another server (default postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import signal
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
import uvloop
from aiohttp import web

PG_URL = os.environ.get("MODELSWAP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    """An engine on the test PostgreSQL database, or a clear failure/skip if there is none."""
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        engine.dispose()
        reason = (
            f"PostgreSQL tests need a server at {sa.make_url(PG_URL).render_as_string()}: {exc.orig}. "
            "Start it (pg_ctlcluster --skip-systemctl-redirect <version> main start), set "
            "MODELSWAP_TEST_PG_URL, or set MODELSWAP_SKIP_PG=1 to skip these tests"
        )
        if os.environ.get("MODELSWAP_SKIP_PG") == "1":
            pytest.skip(reason)
        pytest.fail(reason, pytrace=False)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_schema_url(pg_admin: sa.Engine) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL schema, dropped after the test."""
    schema = f"modelswap_test_{uuid.uuid4().hex[:12]}"
    with pg_admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with pg_admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def serve_vendor() -> AsyncIterator[Callable[[web.Application], Awaitable[str]]]:
    """Start an aiohttp app standing in for a vendor on 127.0.0.1; returns ``http://host:port``."""
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


_BOTH_LOOPS = ("tests/providers/h1/", "tests/gateway/test_http_protocol.py", "tests/gateway/test_http_limits.py")


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Any]:
    """The wire-level tests (the HTTP/1.1 client and server protocols) run on asyncio's own loop
    and on uvloop, the loop ``modelswap serve`` runs on; the rest on asyncio's."""
    if any(part in item.nodeid for part in _BOTH_LOOPS):
        return {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
    return {"asyncio": asyncio.new_event_loop}


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host: Any) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        raise RuntimeError(f"test tried to reach non-loopback host {address[0]!r}; tests stay on 127.0.0.1")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(host, bytes):
        host = host.decode()
    if not _is_loopback(host):
        raise RuntimeError(f"test tried to resolve non-loopback host {host!r}; tests stay on 127.0.0.1")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = _real_getaddrinfo


class TimeLimitExceeded(AssertionError):
    """A block under ``time_limit`` ran past its bound."""


@pytest.fixture
def time_limit() -> Callable[[float], contextlib.AbstractContextManager[None]]:
    """``with time_limit(s):`` fails the test once the block has run ``s`` seconds, instead of hanging
    (SIGALRM interrupts pure-Python loops; main thread only)."""

    @contextlib.contextmanager
    def limit(seconds: float) -> Iterator[None]:
        def expired(signum: int, frame: Any) -> None:
            raise TimeLimitExceeded(f"still running after {seconds} s")

        previous = signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return limit
