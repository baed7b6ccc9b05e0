from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from modelswap.providers.base import UpstreamError
from modelswap.providers.http import HttpPool, read_json

from .conftest import Serve


def test_client_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        HttpPool().client()


async def test_client_is_lazy_shared_and_reopens_after_close() -> None:
    pool = HttpPool(limit=8)
    first = pool.client()
    assert pool.client() is first
    assert first.limit == 8
    await pool.aclose()
    second = pool.client()
    assert second is not first
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


async def test_pool_rejects_use_from_another_loop() -> None:
    pool = HttpPool()
    pool.client()

    def other_loop() -> None:
        async def use() -> None:
            pool.client()

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
