"""A scripted fake vendor endpoint: each request gets the next scripted answer and is recorded."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .payloads import write_sse

Reply = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Script:
    """Serves ``replies`` in order (the last one repeats) and records each request."""

    replies: list[Reply]
    seen: list[Seen] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.seen.append(Seen(request.path, dict(request.headers), body))
        reply = self.replies[min(len(self.seen), len(self.replies)) - 1]
        return await reply(request)

    def app(self, path: str) -> web.Application:
        app = web.Application()
        app.router.add_post(path, self.handle)
        return app


def json_reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    async def reply(request: web.Request) -> web.StreamResponse:
        return web.json_response(body, status=status, headers=headers)

    return reply


def raw_reply(raw: bytes, status: int = 200, content_type: str = "text/html") -> Reply:
    async def reply(request: web.Request) -> web.StreamResponse:
        return web.Response(body=raw, status=status, content_type=content_type)

    return reply


def sse_reply(raw: bytes, piece: int = 0) -> Reply:
    async def reply(request: web.Request) -> web.StreamResponse:
        return await write_sse(request, raw, piece=piece)

    return reply


def dropping_sse_reply(raw: bytes) -> Reply:
    """Send ``raw`` as a stream, then cut the connection without finishing the body."""

    async def reply(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(raw)
        assert request.transport is not None
        request.transport.close()
        return resp

    return reply


def closed_port() -> int:
    """A loopback port with nothing listening (connecting is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
