"""Whatever bytes a vendor sends, the client ends with a response or a clean error, never a hang.

The wire is built from fragments of real answers (status lines, framing headers, chunks, gzip,
event-stream lines, floods) mixed with random bytes, and cut at random points.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from modelswap.providers.base import UpstreamError
from modelswap.providers.errors import TRANSPORT_ERRORS, transport_error
from modelswap.providers.h1 import H1Client, Limits, Response, Timeouts
from modelswap.providers.h1.connection import Connection
from modelswap.providers.http import HttpPool, read_frames

from .conftest import read_request

SMALL = Limits(max_head_bytes=2048, max_body_bytes=4096, max_event_bytes=1024)
FRAGMENTS = [
    b"HTTP/1.1 200 OK\r\n",
    b"HTTP/1.1 500 Oops\r\n",
    b"HTTP/1.0 204 No Content\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"Content-Length: 5\r\n",
    b"Content-Length: 999999999\r\n",
    b"Content-Length: x\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Content-Encoding: gzip\r\n",
    b"Content-Encoding: br\r\n",
    b"Content-Type: text/event-stream\r\n",
    b"Connection: close\r\n",
    b"X-Long: " + b"v" * 1500 + b"\r\n",
    b"\r\n",
    b"5\r\nhello\r\n",
    b"0\r\n\r\n",
    b"fffffff\r\n",
    b"2;ext=1\r\nok\r\n",
    gzip.compress(b'{"choices": []}'),
    gzip.compress(bytes(64 * 1024)),  # inflates past the body limit
    b'data: {"a": 1}\n\n',
    b": ping\n\n",
    b'event: ping\ndata: {"type": "ping"}\n\n',
    b"data: " + b"x" * 1100,  # an event past the limit
    b"\r",
    b"\n",
]
HEADS = [f for f in FRAGMENTS if f.startswith(b"HTTP/")]
HEADERS = [f for f in FRAGMENTS if b": " in f and f.endswith(b"\r\n") and not f.startswith(b"HTTP/")]
BODIES = [f for f in FRAGMENTS if f not in HEADS and f not in HEADERS]
BODIES += [b"%x\r\n%s\r\n" % (len(f), f) for f in (b'data: {"a": 1}\n\n', b": ping\n\n", b"{}")]  # as chunks
NOISE = st.binary(max_size=40)
MIXED = st.lists(st.one_of(st.sampled_from(FRAGMENTS), NOISE), max_size=24).map(b"".join)
SHAPED = st.tuples(
    st.sampled_from(HEADS),
    st.lists(st.sampled_from(HEADERS), max_size=5).map(b"".join),
    st.lists(st.one_of(st.sampled_from(BODIES), NOISE), max_size=8).map(b"".join),
).map(lambda parts: parts[0] + parts[1] + b"\r\n" + parts[2])  # mostly well-formed heads
WIRE = st.one_of(MIXED, SHAPED)
CUTS = st.lists(st.integers(0, 6000), max_size=6)


def pieces(wire: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(wire), *(c for c in cuts if c < len(wire))})
    return [wire[a:b] for a, b in itertools.pairwise(points)]


class _Wire(asyncio.Transport):
    """A transport that goes nowhere: the test feeds the connection itself."""

    def __init__(self) -> None:
        super().__init__()
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass

    def close(self) -> None:
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def consume(resp: Response, streaming: bool) -> object:
    """What a provider does with an answer: the events of a stream, or the whole body."""
    if streaming:
        return [batch async for batch in read_frames(resp, provider="acme", max_event_bytes=SMALL.max_event_bytes)]
    return (resp.status, await resp.read())


async def outcome(wire: list[bytes], streaming: bool) -> object:
    """Feed ``wire`` to a connection, as the network would, then read the answer as a provider does."""
    client = H1Client(limits=SMALL)
    conn = Connection(client._origin(("http", "vendor.test", 80)), asyncio.get_running_loop())
    client._open += 1
    conn.connection_made(_Wire())
    resp = conn.resp = Response(conn, SMALL.max_body_bytes, streaming=streaming)
    conn.uses = 1
    conn.arm_timer(Timeouts.of(30.0), streaming)
    for piece in wire:
        if conn.closed:
            break
        conn.data_received(piece)
    conn.connection_lost(None)  # the vendor hangs up: every answer must now be settled
    try:
        if not resp.status:
            assert resp._error is not None, "no status and no error: the caller would wait forever"
            raise resp._error
        return await consume(resp, streaming)
    except TRANSPORT_ERRORS as exc:
        return transport_error(exc, provider="acme", timeout_s=30.0)
    except UpstreamError as exc:
        return exc
    finally:
        resp.release()
        assert client.open_connections == 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wire=WIRE, cuts=CUTS, streaming=st.booleans())
async def test_any_bytes_give_a_response_or_an_upstream_error(wire: bytes, cuts: list[int], streaming: bool) -> None:
    async with asyncio.timeout(2):  # a hang fails the test; it is not an outcome
        result = await outcome(pieces(wire, cuts), streaming)
    event(f"error: {result.kind}" if isinstance(result, UpstreamError) else "answer")
    if isinstance(result, UpstreamError):
        assert result.kind in ("connection", "protocol", "timeout", "server", "bad_request", "auth", "rate_limited")
        assert result.message.startswith("acme: ")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wire=WIRE, cuts=CUTS, streaming=st.booleans())
async def test_any_bytes_over_a_socket_give_a_response_or_an_upstream_error(
    wire: bytes, cuts: list[int], streaming: bool
) -> None:
    async def vendor(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await read_request(reader)
            for piece in pieces(wire, cuts):
                writer.write(piece)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(vendor, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/x"
    pool = HttpPool(limits=SMALL)
    try:
        async with asyncio.timeout(5):  # the request's own deadline is 2 s: anything longer is a hang
            try:
                async with pool.post(url, {}, {}, timeout_s=2.0, streaming=streaming, provider="acme") as resp:
                    await consume(resp, streaming)
            except UpstreamError as exc:
                assert "127.0.0.1" not in exc.message
    finally:
        await pool.aclose()
        server.close()
        await server.wait_closed()
