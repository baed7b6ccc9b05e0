"""A misbehaving vendor cannot blow the client's memory or stall it: every part of an answer is bounded.

Each server here is hostile in one way (a gzip bomb, an endless body, a header flood...) and
keeps going until the client hangs up, so a test that passes proves the client stopped it, in
bounded time and with bounded memory.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from modelswap.providers.h1 import Disconnected, H1Client, Limits, TooLarge

from .conftest import StartRaw, chunk, read_request

READ = 256 * 1024  # the most one read from a socket hands the client (asyncio and uvloop)
LIMITS = Limits(max_head_bytes=8 * 1024, max_body_bytes=1 << 20, max_event_bytes=64 * 1024)


@pytest.fixture
async def client() -> AsyncIterator[H1Client]:
    client = H1Client(limits=LIMITS)
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A gzip stream of a few KiB that inflates to 32 times the body limit."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    packed = b"".join(packer.compress(zeros) for _ in range(32 * LIMITS.max_body_bytes >> 20))
    return packed + packer.flush()


@pytest.fixture
def peak_memory() -> Iterator[Callable[[], int]]:
    """The peak of Python allocations (bytes) since the test started."""
    tracemalloc.start()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def endless(head: bytes, piece: bytes) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """A server that answers ``head``, then writes ``piece`` again and again until the client hangs up."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(head)
        await writer.drain()
        while piece:
            writer.write(piece)
            await writer.drain()
        await reader.read()  # nothing more to say: hold the connection open

    return handler


async def fetch(client: H1Client, url: str, *, streaming: bool = False) -> bytes:
    resp = await client.post(url, b"{}", {}, timeout_s=10, streaming=streaming)
    try:
        if streaming:
            return b"".join([piece async for piece in resp.iter_any()])
        return await resp.read()
    finally:
        resp.release()


# ---------------------------------------------------------------- bodies


@pytest.mark.parametrize("streaming", [False, True])
async def test_a_gzip_bomb_stops_at_the_body_limit(
    raw: StartRaw, client: H1Client, bomb: bytes, peak_memory: Callable[[], int], streaming: bool
) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb)
    srv = await raw(endless(head + bomb, b""))
    started = time.monotonic()
    with pytest.raises(TooLarge, match="larger than the 1 MiB limit"):
        await fetch(client, srv.url, streaming=streaming)
    assert time.monotonic() - started < 2.0
    assert peak_memory() < 4 * LIMITS.max_body_bytes + len(bomb), "inflated no further than the limit"
    assert client.open_connections == 0


async def test_a_length_over_the_limit_is_refused_before_the_body_arrives(raw: StartRaw, client: H1Client) -> None:
    announced = 10 * LIMITS.max_body_bytes
    srv = await raw(endless(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % announced, b""))
    started = time.monotonic()
    with pytest.raises(TooLarge, match=f"announces {announced} bytes"):
        await fetch(client, srv.url)
    assert time.monotonic() - started < 1.0
    assert client.open_connections == 0


@pytest.mark.parametrize(
    ("head", "piece"),
    [
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunk(b"x" * 65536)),  # chunks without end
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\n", b"x" * 65536),  # one 2 GiB chunk
        (b"HTTP/1.1 200 OK\r\n\r\n", b"x" * 65536),  # delimited by a close that never comes
    ],
    ids=["endless-chunks", "one-huge-chunk", "until-close"],
)
async def test_an_endless_body_stops_at_the_limit(
    raw: StartRaw, client: H1Client, peak_memory: Callable[[], int], head: bytes, piece: bytes
) -> None:
    srv = await raw(endless(head, piece))
    started = time.monotonic()
    with pytest.raises(TooLarge, match="larger than the 1 MiB limit"):
        await fetch(client, srv.url)
    assert time.monotonic() - started < 2.0
    assert peak_memory() < 4 * LIMITS.max_body_bytes
    assert client.open_connections == 0


async def test_a_stream_read_whole_is_bounded_too(raw: StartRaw, client: H1Client) -> None:
    srv = await raw(endless(b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n", chunk(b"e" * 65536)))
    resp = await client.post(srv.url, b"{}", {}, timeout_s=10, streaming=True)
    try:
        assert resp.status == 500
        with pytest.raises(TooLarge):
            await resp.read()  # an error body on a stream is read whole: the same bound applies
    finally:
        resp.release()


# ---------------------------------------------------------------- heads, trailers, framing


@pytest.mark.parametrize(
    ("head", "piece"),
    [
        (b"HTTP/1.1 200 OK\r\n", b"X-Flood: " + b"a" * 50 + b"\r\n"),  # header after header
        (b"HTTP/1.1 200 OK\r\nX-Endless: ", b"a" * 4096),  # one header that never ends
        (b"", b"HTTP/1.1 100 Continue\r\n\r\n"),  # interim answers, forever
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n", b"X-Trailer: t\r\n"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;", b"ext" * 1000),  # an endless chunk extension
    ],
    ids=["many-headers", "endless-header", "interim-flood", "trailer-flood", "extension-flood"],
)
@pytest.mark.parametrize("streaming", [False, True])
async def test_a_flood_without_body_bytes_is_refused_quickly(
    raw: StartRaw, client: H1Client, peak_memory: Callable[[], int], head: bytes, piece: bytes, streaming: bool
) -> None:
    flood = piece * 64
    srv = await raw(endless(head, flood))
    started = time.monotonic()
    with pytest.raises(TooLarge, match="larger than the 8 KiB limit"):
        await fetch(client, srv.url, streaming=streaming)
    assert time.monotonic() - started < 1.0
    # the server's own writes are traced too: a few of them and a few reads, not the flood
    assert peak_memory() < 4 * (READ + len(flood))
    assert client.open_connections == 0


async def test_many_headers_within_the_limit_are_read_and_joined(raw: StartRaw, client: H1Client) -> None:
    count = LIMITS.max_head_bytes // 32
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Many: v\r\n" * count + b"Content-Length: 2\r\n\r\nok"
    srv = await raw(endless(head, b""))
    resp = await client.post(srv.url, b"{}", {}, timeout_s=5, streaming=False)
    try:
        assert resp.headers["x-many"] == ", ".join(["v"] * count)
        assert await resp.read() == b"ok"
    finally:
        resp.release()


async def test_a_reset_after_the_headers_is_a_disconnect(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
        await writer.drain()
        await asyncio.sleep(0.05)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
        writer.transport.abort()

    srv = await raw(handler)
    resp = await client.post(srv.url, b"{}", {}, timeout_s=5, streaming=False)
    assert resp.status == 200
    with pytest.raises(Disconnected):
        await resp.read()
    resp.release()
    assert client.open_connections == 0


def test_limits_refuse_values_too_small_to_carry_an_answer() -> None:
    with pytest.raises(ValueError, match="max_head_bytes"):
        Limits(max_head_bytes=100)
