"""Helpers for tests that talk raw HTTP/1.1 to the gateway's server protocol under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import uvicorn

from modelswap.gateway.asgi import Receive, Scope, Send
from modelswap.gateway.http_protocol import HttpProtocol, Limits

App = Callable[[Scope, Receive, Send], Awaitable[None]]
Connect = Callable[..., Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]
Serve = Callable[..., Awaitable[tuple[uvicorn.Server, Connect]]]


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with what it was asked: method, path, query and the body's length."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    text = f"{scope['method']} {scope['path']} ?{scope['query_string'].decode()} {len(body)}".encode()
    if scope["path"] == "/chunked":  # no length given: the protocol frames the body
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for part in (text[:4], text[4:]):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(0.2)
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(text)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": text})


@contextlib.asynccontextmanager
async def servers() -> AsyncIterator[Serve]:
    """Start uvicorn with ``HttpProtocol`` (under ``limits`` when given) on free ports; each start
    returns the server and a connect function. All are stopped on exit."""
    started: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(app: App = echo, limits: Limits | None = None, **options: Any) -> tuple[uvicorn.Server, Connect]:
        sock = socket.create_server(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        protocol = HttpProtocol if limits is None else HttpProtocol.with_limits(limits)
        config = uvicorn.Config(app, http=protocol, lifespan="off", log_level="critical", **options)
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        task = asyncio.create_task(server.serve(sockets=[sock]))
        started.append((server, task))
        while not server.started:
            assert not task.done(), "uvicorn stopped before it started"
            await asyncio.sleep(0.005)

        async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            return await asyncio.open_connection("127.0.0.1", port)

        return server, connect

    try:
        yield start
    finally:
        for server, task in started:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response: status, headers (lower-case names), body (Content-Length or chunked)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readexactly(2)
    else:
        body = await asyncio.wait_for(reader.read(), 5)  # delimited by the connection closing
    return status, headers, body


def request(
    path: str,
    body: bytes = b"",
    *,
    method: str = "POST",
    headers: str = "",
    version: str = "1.1",
    send_body: bool = True,
) -> bytes:
    """A request's bytes; its Content-Length unless ``headers`` name a Transfer-Encoding."""
    if "Transfer-Encoding" not in headers and (body or method == "POST"):
        headers += f"Content-Length: {len(body)}\r\n"
    return f"{method} {path} HTTP/{version}\r\nHost: t\r\n{headers}\r\n".encode() + (body if send_body else b"")


async def closed(reader: asyncio.StreamReader, within_s: float = 2.0) -> bool:
    """Whether the server closed the connection (EOF within ``within_s``)."""
    try:
        return await asyncio.wait_for(reader.read(), within_s) == b""
    except (TimeoutError, ConnectionError):
        return False


def error_of(body: bytes) -> dict[str, Any]:
    """The ``error`` object of an answer in OpenAI's error shape (fails on any other shape)."""
    error = orjson.loads(body)["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    return dict(error)
