"""Large bodies: accepted up to the vendors' own limits, parsed without a memory blow-up, and passed
through as a stream."""

from __future__ import annotations

import asyncio
import base64
import math
import os
import socket
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.gateway.errors import ClientError
from modelswap.gateway.validate import _loads_large, parse_body
from modelswap.sim import RunningSim

from .conftest import NEW, OLD, StartGateway, migration_of, openai_endpoint

MB = 1_000_000
ServeVendor = Callable[[web.Application], Awaitable[str]]


def chat_with_image(model: str, size: int) -> bytes:
    image = base64.b64encode(os.urandom(size * 3 // 4)).decode()
    content = [{"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": image}}]
    return orjson.dumps({"model": model, "messages": [{"role": "user", "content": content}]})


def test_a_large_body_is_parsed_with_about_twice_its_size() -> None:
    raw = chat_with_image(OLD, 8 * MB)
    tracemalloc.start()
    try:
        parsed = parse_body(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert parsed == orjson.loads(raw)
    assert peak < 3 * len(raw), f"parsing took {peak / len(raw):.1f}x the body"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(1 << 63), (1 << 64) - 1) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        json_values.map(orjson.dumps),
        st.binary(max_size=60),
        st.sampled_from(
            _TRICKY := [
                b'{"a": NaN}',
                b'{"a": Infinity}',
                b'{"a": "\\ud800"}',
                b"\xef\xbb\xbf{}",
                b'{"a": 1e999}',
                b"[" * 200 + b"]" * 200,
                b'{"a": "\\uDFFF"}',
                b'{"a": 100000000000000000000}',
                b'{"a": -9223372036854775809}',
                b'{"a": 1E400}',
                b'{"a": 1,}',
                b"{'a': 1}",
                b'{"a": "\xff"}',
                b"1",
                b'"x"',
            ]
        ),
    )
)
def test_the_large_body_parser_accepts_exactly_what_orjson_accepts(raw: bytes) -> None:
    try:
        expected: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        expected = ValueError
    try:
        got: Any = _loads_large(raw, 128)
    except orjson.JSONDecodeError:
        got = ValueError
    if expected is not ValueError and got is not ValueError and isinstance(expected, float):
        assert math.isclose(got, expected) or (math.isinf(got) and math.isinf(expected))
    else:
        assert got == expected


async def test_a_30_mb_image_is_accepted_by_default(
    start_gateway: StartGateway, tmp_path: Path, serve_vendor: ServeVendor
) -> None:
    received: list[int] = []

    async def take(request: web.Request) -> web.Response:
        body = await request.read()
        received.append(len(body))
        doc = {
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": OLD,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "a cat"}, "finish_reason": "stop"}],
        }
        return web.json_response(doc)

    app = web.Application(client_max_size=64 * MB)
    app.router.add_post("/v1/chat/completions", take)
    url = await serve_vendor(app) + "/v1"
    gw = await start_gateway(
        migration_of(tmp_path, openai_endpoint(url, OLD), openai_endpoint(url, NEW), gateway={"record_bodies": "none"})
    )
    body = chat_with_image(OLD, 30 * MB)
    r = await gw.client.post("/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "a cat"
    assert received and received[0] > 30 * MB


async def test_an_upload_is_passed_through_without_being_held(
    start_gateway: StartGateway,
    tmp_path: Path,
    sim: RunningSim,
    serve_vendor: Callable[[web.Application], Awaitable[str]],
) -> None:
    sizes: list[int] = []

    async def take(request: web.Request) -> web.Response:
        n = 0
        async for chunk in request.content.iter_any():
            n += len(chunk)
        sizes.append(n)
        return web.json_response({"id": "file-1", "object": "file", "bytes": n})

    app = web.Application(client_max_size=1 << 31)
    app.router.add_post("/v1/files", take)
    url = await serve_vendor(app) + "/v1"
    gw = await start_gateway(migration_of(tmp_path, openai_endpoint(url, OLD), openai_endpoint(sim, NEW)))
    port = int(gw.base_url.rsplit(":", 1)[1])
    body = os.urandom(20 * MB)
    loop = asyncio.get_running_loop()
    tracemalloc.start()
    try:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        head = f"POST /v1/files HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        await loop.sock_sendall(sock, head.encode())
        await loop.sock_sendall(sock, body)  # memoryview slices: the client adds no copy
        answer = b""
        while chunk := await loop.sock_recv(sock, 65536):
            answer += chunk
        sock.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer.startswith(b"HTTP/1.1 200") and sizes == [len(body)]
    assert peak < len(body) / 4, f"passing through held {peak / len(body):.2f}x the body"


async def _post_raw(port: int, body: bytes, *, chunked: bool) -> bytes:
    """POST a chat body over a socket, with a Content-Length or in 64 KiB chunks (no copy of it)."""
    loop = asyncio.get_running_loop()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setblocking(False)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{length}\r\n\r\n"
    await loop.sock_sendall(sock, head.encode())
    if chunked:
        view = memoryview(body)
        for at in range(0, len(body), 1 << 16):
            piece = view[at : at + (1 << 16)]
            await loop.sock_sendall(sock, b"%x\r\n" % len(piece))
            await loop.sock_sendall(sock, piece)
            await loop.sock_sendall(sock, b"\r\n")
        await loop.sock_sendall(sock, b"0\r\n\r\n")
    else:
        await loop.sock_sendall(sock, body)
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
        chunk = await loop.sock_recv(sock, 65536)
        if not chunk:
            break
        answer += chunk
    sock.close()
    return answer


async def test_a_chunked_body_costs_no_more_memory_than_one_with_a_length(
    start_gateway: StartGateway, tmp_path: Path, serve_vendor: ServeVendor
) -> None:
    """Without a Content-Length the gateway still knows the body is large once read, and encodes
    it for the vendor as lean as a declared one (it held about three times more before)."""

    async def take(request: web.Request) -> web.Response:
        await request.read()
        doc = {"id": "c", "object": "chat.completion", "created": 1, "model": OLD, "choices": []}
        return web.json_response(doc)

    app = web.Application(client_max_size=64 * MB)
    app.router.add_post("/v1/chat/completions", take)
    url = await serve_vendor(app) + "/v1"
    gw = await start_gateway(
        migration_of(tmp_path, openai_endpoint(url, OLD), openai_endpoint(url, NEW), gateway={"record_bodies": "none"})
    )
    port = int(gw.base_url.rsplit(":", 1)[1])
    body = chat_with_image(OLD, 8 * MB)
    peaks = {}
    for chunked in (False, True):
        await asyncio.sleep(0.1)
        tracemalloc.start()
        try:
            answer = await _post_raw(port, body, chunked=chunked)
            peaks[chunked] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert peaks[True] < 1.5 * peaks[False], (
        f"chunked {peaks[True] / len(body):.1f}x, sized {peaks[False] / len(body):.1f}x"
    )


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    migration = migration_of(
        tmp_path,
        openai_endpoint(sim, OLD),
        openai_endpoint(sim, NEW),
        gateway={"max_body_bytes": 4096, "max_passthrough_body_bytes": 8192},
    )
    gw = await start_gateway(migration, wire=False)
    for path, size, setting in [
        ("/v1/chat/completions", 5000, "max_body_bytes"),
        ("/v1/embeddings", 9000, "max_passthrough"),
    ]:
        r = await gw.client.post(path, content=b"x" * size, headers={"content-type": "application/json"})
        assert r.status_code == 413 and setting in r.json()["error"]["message"]
        assert r.json()["error"]["code"] == "request_too_large"
    with pytest.raises(ClientError):
        parse_body(b"[" * 5000 + b"]" * 5000)
