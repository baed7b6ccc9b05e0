"""Fixtures for provider tests: a shared pool and real aiohttp servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from modelswap.providers import HttpPool

Serve = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def pool() -> AsyncIterator[HttpPool]:
    pool = HttpPool()
    yield pool
    await pool.aclose()


@pytest.fixture
def serve(serve_vendor: Serve) -> Serve:
    """Start an aiohttp app on 127.0.0.1 (port 0); returns its base URL. Stopped at teardown."""
    return serve_vendor
