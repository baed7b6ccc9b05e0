"""Memory the gateway uses for one large request body, as a multiple of the body's size.

A 30 MB body (default ``--mb 30``) is sent over a socket without the client holding a copy
in the measured heap, to a gateway and a vendor stand-in in this process (the vendor reads the
body in chunks and keeps none of it). Python's heap peak during the request (``tracemalloc``,
every thread) is reported for: a chat request for the migrated model (read whole, parsed, sent
on), the same for a model passed through (``gateway.unknown_models: passthrough``), and a
passed-through upload (``/v1/files``, streamed). Records keep no bodies here (``record_bodies:
none``); ``--record`` repeats the chat row with the default redacted bodies.

    .venv/bin/python bench/large_body.py [--mb 30] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
import uvicorn
import yaml
from aiohttp import web

from modelswap.config import parse_migration
from modelswap.gateway.http_protocol import HttpProtocol
from modelswap.serving import build_gateway
from modelswap.store import open_store

COMPLETION = {
    "id": "c",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


async def vendor() -> tuple[web.AppRunner, str, list[int]]:
    """A vendor that counts body bytes as they arrive and answers a small JSON."""
    sizes: list[int] = []

    async def take(request: web.Request) -> web.Response:
        n = 0
        async for chunk in request.content.iter_any():
            n += len(chunk)
        sizes.append(n)
        return web.json_response(COMPLETION)

    app = web.Application(client_max_size=1 << 31)
    app.router.add_post("/v1/chat/completions", take)
    app.router.add_post("/v1/files", take)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/v1", sizes


CHUNK = 64 * 1024
"""The chunk size of a body sent without Content-Length (as a client streaming a file sends it)."""


async def send(port: int, path: str, body: bytes, content_type: str, *, chunked: bool = False) -> int:
    """POST ``body`` with ``sock_sendall`` (memoryview slices: no copy on the measured heap), with a
    Content-Length or ``chunked`` in ``CHUNK``-byte chunks; the status."""
    loop = asyncio.get_running_loop()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setblocking(False)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n{length}\r\nConnection: close\r\n\r\n"
    ).encode()
    await loop.sock_sendall(sock, head)
    if chunked:
        view = memoryview(body)
        for at in range(0, len(body), CHUNK):
            piece = view[at : at + CHUNK]
            await loop.sock_sendall(sock, b"%x\r\n" % len(piece))
            await loop.sock_sendall(sock, piece)
            await loop.sock_sendall(sock, b"\r\n")
        await loop.sock_sendall(sock, b"0\r\n\r\n")
    else:
        await loop.sock_sendall(sock, body)
    answer = b""
    while chunk := await loop.sock_recv(sock, 65536):
        answer += chunk
    sock.close()
    return int(answer.split(b" ", 2)[1])


def chat_body(model: str, mb: float) -> bytes:
    image = base64.b64encode(os.urandom(int(mb * 1e6 * 3 / 4))).decode()
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + image}},
    ]
    return orjson.dumps({"model": model, "messages": [{"role": "user", "content": content}]})


async def measure(port: int, path: str, body: bytes, content_type: str, chunked: bool) -> tuple[int, float]:
    await asyncio.sleep(0.3)  # let the recorder settle
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    status = await send(port, path, body, content_type, chunked=chunked)
    await asyncio.sleep(0.5)  # the record is written in the background: count it too
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return status, peak / len(body)


async def run(mb: float, record: bool) -> dict[str, Any]:
    runner, url, sizes = await vendor()
    work = Path(tempfile.mkdtemp(prefix="modelswap-large-body-"))
    os.environ["MS_BENCH_KEY"] = "sk-bench"
    endpoint = {"provider": "openai", "base_url": url, "api_key_env": "MS_BENCH_KEY", "max_retries": 0}
    doc = {
        "store": "sqlite:///records.db",
        "endpoints": {"old": {**endpoint, "model": "gpt-4o"}, "new": {**endpoint, "model": "gpt-5"}},
        "workloads": [{"name": "w"}],
        "gateway": {"default_workload": "w", **({} if record else {"record_bodies": "none"})},
    }
    migration = parse_migration(yaml.safe_dump(doc), str(work / "m.yaml"), work)
    store = open_store(f"sqlite:///{work / 'records.db'}")
    app = build_gateway(migration, store=store, flush_interval_s=0.05)
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="on", http=HttpProtocol, ws="none", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    port = sock.getsockname()[1]
    rows: dict[str, Any] = {}
    chat = chat_body("gpt-4o", mb)
    cases = [
        ("chat, migrated model", "/v1/chat/completions", chat, "application/json", False),
        ("chat, migrated, chunked", "/v1/chat/completions", chat, "application/json", True),
        ("chat, model passed through", "/v1/chat/completions", chat_body("gpt-4o-mini", mb), "application/json", False),
        ("upload passed through", "/v1/files", os.urandom(int(mb * 1e6)), "application/octet-stream", False),
    ]
    for name, path, body, ctype, chunked in cases:
        started = time.perf_counter()
        status, ratio = await measure(port, path, body, ctype, chunked)
        rows[name] = {
            "status": status,
            "body_mb": round(len(body) / 1e6, 1),
            "peak_x_body": round(ratio, 2),
            "vendor_got_all": sizes[-1] >= len(body) * 0.99 if sizes else False,
            "seconds": round(time.perf_counter() - started, 2),
        }
    server.should_exit = True
    await task
    store.close()
    await runner.cleanup()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=30.0)
    parser.add_argument("--record", action="store_true", help="record bodies (redacted), as by default")
    args = parser.parse_args()
    rows = asyncio.run(run(args.mb, args.record))
    print(f"{'case':<28} {'status':>6} {'body MB':>8} {'heap peak / body':>17} {'vendor got all':>15} {'seconds':>8}")
    for name, row in rows.items():
        print(
            f"{name:<28} {row['status']:>6} {row['body_mb']:>8} {row['peak_x_body']:>17} "
            f"{row['vendor_got_all']!s:>15} {row['seconds']:>8}"
        )
    print(
        "BENCH_JSON "
        + json.dumps({"bench": "large_body", "record_bodies": "redacted" if args.record else "none", "rows": rows})
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
