from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from modelswap.providers.base import UpstreamError
from modelswap.providers.http import HttpPool, read_json, stream_timeout

from .conftest import Serve


def test_session_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        HttpPool().session()


async def test_session_is_lazy_shared_and_reopens_after_close() -> None:
    pool = HttpPool(limit=8, dns_ttl_s=60)
    first = pool.session()
    assert pool.session() is first
    assert first.connector is not None and first.connector.limit == 8
    await pool.aclose()
    assert first.closed
    second = pool.session()
    assert second is not first and not second.closed
    await pool.aclose()
    await pool.aclose()  # idempotent


async def test_connections_are_reused(serve: Serve, pool: HttpPool) -> None:
    peers: set[object] = set()

    async def handler(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.add(request.transport.get_extra_info("peername"))
        return web.json_response({"ok": await request.json()})

    app = web.Application()
    app.router.add_post("/x", handler)
    url = await serve(app) + "/x"
    for i in range(3):
        async with pool.post(url, {"i": i}, {}, timeout_s=5, streaming=False, provider="t") as resp:
            assert await read_json(resp, provider="t") == {"ok": {"i": i}}
    assert len(peers) == 1


async def test_read_timeout_applies_between_stream_chunks(serve: Serve, pool: HttpPool) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for _ in range(4):  # total time 0.6 s > timeout, but each gap is short
            await resp.write(b": keep-alive\n\n")
            await asyncio.sleep(0.15)
        await resp.write(b"data: done\n\n")
        return resp

    app = web.Application()
    app.router.add_post("/s", handler)
    url = await serve(app) + "/s"
    async with pool.post(url, {}, {}, timeout_s=0.4, streaming=True, provider="t") as resp:
        body = await resp.read()
    assert body.endswith(b"data: done\n\n")


def test_stream_timeout_has_no_total() -> None:
    timeout = stream_timeout(30)
    assert timeout.total is None and timeout.sock_read == 30


async def test_pool_rejects_use_from_another_loop() -> None:
    pool = HttpPool()
    pool.session()

    def other_loop() -> None:
        async def use() -> None:
            pool.session()

        asyncio.run(use())

    with pytest.raises(RuntimeError, match="another event loop"):
        await asyncio.to_thread(other_loop)
    await pool.aclose()


async def test_read_json_rejects_a_json_array(serve: Serve, pool: HttpPool) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response([1, 2])

    app = web.Application()
    app.router.add_post("/x", handler)
    url = await serve(app) + "/x"
    with pytest.raises(UpstreamError) as info:
        async with pool.post(url, {}, {}, timeout_s=5, streaming=False, provider="t") as resp:
            await read_json(resp, provider="t")
    assert info.value.kind == "protocol" and "not an object" in info.value.message
