"""The floor: the least a Python pass-through proxy can do, for the gateway benchmark.

An aiohttp server and one pooled aiohttp client. It forwards the request body and the
auth header to the upstream, and the response bytes back: whole for JSON, chunk by chunk
for SSE. No parsing, no routing, no records. Any gateway written in Python pays at least
this; the benchmark reports modelswap's CPU per request as a multiple of it.

``--server uvicorn`` serves the same pass-through as a bare ASGI app on uvicorn (uvloop +
httptools), modelswap's own server stack: the gap between the two floors is what the
server choice costs, the rest of modelswap's overhead is its own code.

    python bench/_floor_proxy.py --port 9001 --upstream http://127.0.0.1:9000 [--server uvicorn]
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import aiohttp
import uvloop
from aiohttp import web

FORWARDED = ("Authorization", "Content-Type", "Accept")
Message = MutableMapping[str, Any]


def new_session() -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    return aiohttp.ClientSession(connector=connector, auto_decompress=False, timeout=aiohttp.ClientTimeout(total=120))


class Floor:
    """Forwards ``POST <path>`` to ``<upstream><path>`` over one pooled session (aiohttp server)."""

    def __init__(self, upstream: str) -> None:
        self._upstream = upstream.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def start(self, app: web.Application) -> None:
        self._session = new_session()

    async def stop(self, app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    async def forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {name: request.headers[name] for name in FORWARDED if name in request.headers}
        async with self._session.post(self._upstream + request.path_qs, data=body, headers=headers) as upstream:
            content_type = upstream.headers.get("Content-Type", "application/json")
            if not content_type.startswith("text/event-stream"):
                data = await upstream.read()
                return web.Response(body=data, status=upstream.status, headers={"Content-Type": content_type})
            response = web.StreamResponse(status=upstream.status, headers={"Content-Type": content_type})
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")


class AsgiFloor:
    """The same pass-through as a bare ASGI app, for uvicorn."""

    def __init__(self, upstream: str) -> None:
        self._upstream = upstream.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._forwarded = {name.lower().encode(): name for name in FORWARDED}

    async def __call__(
        self, scope: Message, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
    ) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self._session = new_session()
                    await send({"type": "lifespan.startup.complete"})
                else:
                    if self._session is not None:
                        await self._session.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["path"] == "/healthz":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        assert self._session is not None
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {self._forwarded[k]: v.decode("latin-1") for k, v in scope["headers"] if k in self._forwarded}
        url = self._upstream + scope["path"]
        async with self._session.post(url, data=b"".join(chunks), headers=headers) as upstream:
            content_type = upstream.headers.get("Content-Type", "application/json")
            start = {
                "type": "http.response.start",
                "status": upstream.status,
                "headers": [(b"content-type", content_type.encode())],
            }
            if not content_type.startswith("text/event-stream"):
                data = await upstream.read()
                await send(start)
                await send({"type": "http.response.body", "body": data})
                return
            await send(start)
            async for chunk in upstream.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:9000")
    parser.add_argument("--server", choices=("aiohttp", "uvicorn"), default="aiohttp")
    args = parser.parse_args()
    if args.server == "uvicorn":
        import uvicorn

        uvicorn.run(
            AsgiFloor(args.upstream),
            host=args.host,
            port=args.port,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            access_log=False,
            log_level="warning",
            server_header=False,
            date_header=False,
        )
        return
    floor = Floor(args.upstream)
    app = web.Application()
    app.on_startup.append(floor.start)
    app.on_cleanup.append(floor.stop)
    app.router.add_get("/healthz", floor.health)
    app.router.add_post("/{tail:.*}", floor.forward)
    web.run_app(
        app, host=args.host, port=args.port, print=None, access_log=None, backlog=1024, loop=uvloop.new_event_loop()
    )


if __name__ == "__main__":
    main()
