"""The HTTP/1.1 client against real sockets on 127.0.0.1.

Most servers here are raw ``asyncio.start_server`` handlers that write exact bytes, so each
test controls the wire: how the body is delimited, when the server stalls or hangs up.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable

import pytest

from modelswap.providers.base import UpstreamError
from modelswap.providers.h1 import (
    BadResponse,
    ConnectFailed,
    ConnectTimeout,
    Disconnected,
    H1Client,
    ReadTimeout,
)
from modelswap.providers.http import HttpPool

from .conftest import OK, Handler, StartRaw, TlsFiles, answer_each, chunk, read_request, response, server_tls


@pytest.fixture
async def client() -> AsyncIterator[H1Client]:
    client = H1Client()
    yield client
    await client.aclose()


async def fetch(client: H1Client, url: str, *, timeout_s: float = 2.0, streaming: bool = False) -> tuple[int, bytes]:
    resp = await client.post(url, b"{}", {"Content-Type": "application/json"}, timeout_s=timeout_s, streaming=streaming)
    try:
        return resp.status, await resp.read()
    finally:
        resp.release()


# ---------------------------------------------------------------- how a body is delimited


async def test_content_length_body(raw: StartRaw, client: H1Client) -> None:
    srv = await raw(lambda r, w: answer_each(r, w, response(b'{"a": 1}', "Content-Type: application/json")))
    resp = await client.post(srv.url, b"{}", {}, timeout_s=2, streaming=False)
    assert resp.status == 200
    assert resp.headers["content-type"] == "application/json"
    assert await resp.read() == b'{"a": 1}'
    resp.release()


async def test_chunked_body_split_across_writes(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(b"hello "))
        await writer.drain()
        await asyncio.sleep(0.02)
        raw_rest = chunk(b"chunked ") + chunk(b"world") + b"0\r\n\r\n"
        for i in range(0, len(raw_rest), 5):  # chunk boundaries fall mid-size-line
            writer.write(raw_rest[i : i + 5])
            await writer.drain()
        await reader.read()

    srv = await raw(handler)
    assert await fetch(client, srv.url) == (200, b"hello chunked world")


async def test_body_delimited_by_connection_close(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil ")
        await writer.drain()
        await asyncio.sleep(0.02)
        writer.write(b"the end")
        await writer.drain()

    srv = await raw(handler)
    assert await fetch(client, srv.url) == (200, b"until the end")
    assert client.open_connections == 0


async def test_204_has_no_body_and_does_not_wait_for_one(raw: StartRaw, client: H1Client) -> None:
    srv = await raw(lambda r, w: answer_each(r, w, b"HTTP/1.1 204 No Content\r\n\r\n"))
    assert await fetch(client, srv.url, timeout_s=0.5) == (204, b"")
    assert await fetch(client, srv.url, timeout_s=0.5) == (204, b"")
    assert srv.connections == 1


# ---------------------------------------------------------------- content encodings

TEXT = b'{"choices": [{"message": {"content": "' + b"compressible " * 500 + b'"}}]}'


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("x-gzip", gzip.compress), ("deflate", zlib.compress)],
)
async def test_compressed_body_is_decoded(
    raw: StartRaw, client: H1Client, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    srv = await raw(lambda r, w: answer_each(r, w, response(compress(TEXT), f"Content-Encoding: {encoding}")))
    assert await fetch(client, srv.url) == (200, TEXT)


async def test_chunked_gzip_body_is_decoded(raw: StartRaw, client: H1Client) -> None:
    packed = gzip.compress(TEXT)
    pieces = b"".join(chunk(packed[i : i + 100]) for i in range(0, len(packed), 100))
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
    srv = await raw(lambda r, w: answer_each(r, w, head + pieces + b"0\r\n\r\n"))
    assert await fetch(client, srv.url) == (200, TEXT)


async def test_unsupported_content_encoding_is_a_bad_response(raw: StartRaw, client: H1Client) -> None:
    srv = await raw(lambda r, w: answer_each(r, w, response(b"\x1b\x03\x00", "Content-Encoding: br")))
    with pytest.raises(BadResponse, match="br"):
        await fetch(client, srv.url)
    assert client.open_connections == 0


async def test_corrupt_gzip_body_is_a_bad_response(raw: StartRaw, client: H1Client) -> None:
    srv = await raw(lambda r, w: answer_each(r, w, response(b"\x1f\x8b" + b"not gzip" * 4, "Content-Encoding: gzip")))
    with pytest.raises(BadResponse, match="decode"):
        await fetch(client, srv.url)


async def test_truncated_gzip_body_is_a_bad_response(raw: StartRaw, client: H1Client) -> None:
    cut = gzip.compress(TEXT)[:-40]  # HTTP framing is intact; the gzip stream is not
    srv = await raw(lambda r, w: answer_each(r, w, response(cut, "Content-Encoding: gzip")))
    with pytest.raises(BadResponse):
        await fetch(client, srv.url)


# ---------------------------------------------------------------- broken servers


@pytest.mark.parametrize(
    "garbage",
    [b"SSH-2.0-OpenSSH_9.6\r\n\r\n", b"HTTP/1.1 abc OK\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"],
)
async def test_malformed_response_is_a_bad_response(raw: StartRaw, client: H1Client, garbage: bytes) -> None:
    srv = await raw(lambda r, w: answer_each(r, w, garbage))
    with pytest.raises(BadResponse, match="malformed"):
        await fetch(client, srv.url)
    assert client.open_connections == 0


async def test_server_closing_mid_body_is_a_disconnect(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        await writer.drain()

    srv = await raw(handler)
    resp = await client.post(srv.url, b"", {}, timeout_s=2, streaming=False)
    assert resp.status == 200
    with pytest.raises(Disconnected, match="before the response was complete"):
        await resp.read()
    resp.release()
    assert client.open_connections == 0


async def test_server_closing_without_answering_is_a_disconnect(raw: StartRaw, client: H1Client) -> None:
    srv = await raw(read_request)  # reads the request, then hangs up
    with pytest.raises(Disconnected, match="without answering"):
        await client.post(srv.url, b"{}", {}, timeout_s=2, streaming=False)
    assert srv.connections == 1  # a fresh connection is not retried: the server may have acted on it
    assert client.open_connections == 0


async def test_interim_100_continue_is_skipped(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(OK)
        await writer.drain()
        await reader.read()

    srv = await raw(handler)
    assert await fetch(client, srv.url, timeout_s=0.5) == (200, b"ok")


# ---------------------------------------------------------------- keep-alive


async def test_sequential_requests_share_one_connection(raw: StartRaw, client: H1Client) -> None:
    srv = await raw(answer_each)
    for _ in range(4):
        assert await fetch(client, srv.url) == (200, b"ok")
    assert srv.connections == 1
    assert client.open_connections == 1


async def test_chunked_responses_keep_the_connection(raw: StartRaw, client: H1Client) -> None:
    body = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(b"abc") + b"0\r\n\r\n"
    srv = await raw(lambda r, w: answer_each(r, w, body))
    for _ in range(3):
        assert await fetch(client, srv.url) == (200, b"abc")
    assert srv.connections == 1


async def test_connection_close_answer_is_not_reused(raw: StartRaw, client: H1Client) -> None:
    # The server keeps the socket open: only the header tells the client not to reuse it.
    srv = await raw(lambda r, w: answer_each(r, w, response(b"ok", "Connection: close")))
    for _ in range(3):
        assert await fetch(client, srv.url) == (200, b"ok")
    assert srv.connections == 3
    assert client.open_connections == 0


async def test_released_before_the_body_ends_closes_the_connection(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 10\r\n\r\nxxxxx")
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(b"xxxxx")
            await writer.drain()

    srv = await raw(handler)
    resp = await client.post(srv.url, b"", {}, timeout_s=2, streaming=False)
    assert resp.status == 500
    resp.release()  # half the body is still on the wire: reusing the socket would mix it into the next answer
    assert client.open_connections == 0
    assert await fetch(client, srv.url) == (500, b"x" * 10)
    assert srv.connections == 2


async def test_idle_connection_closed_by_server_is_replaced(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)  # says keep-alive (HTTP/1.1 default), then hangs up once idle
        await writer.drain()

    srv = await raw(handler)
    assert await fetch(client, srv.url) == (200, b"ok")
    await asyncio.sleep(0.05)
    assert await fetch(client, srv.url) == (200, b"ok")
    assert srv.connections == 2


async def test_reused_connection_closed_after_the_request_went_out_is_not_re_sent(
    raw: StartRaw, client: H1Client
) -> None:
    requests = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal requests
        await read_request(reader)
        requests += 1
        writer.write(response(b"first"))
        await writer.drain()
        await read_request(reader)  # the next request arrives on the kept-alive socket...
        requests += 1
        # ...and the server hangs up without a byte of answer: it may well have acted on it

    srv = await raw(handler)
    assert await fetch(client, srv.url) == (200, b"first")
    with pytest.raises(Disconnected, match="reused keep-alive connection"):
        await fetch(client, srv.url)
    await asyncio.sleep(0.05)
    assert (requests, srv.connections) == (2, 1), "the POST was not sent a second time"
    assert client.open_connections == 0


async def test_idle_connection_the_server_closed_unseen_is_never_written_to(raw: StartRaw, client: H1Client) -> None:
    # The server half-closes right after its answer and keeps reading: a request written to that
    # socket would reach it. The client must notice the end of stream before it writes.
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        writer.write_eof()
        seen.append(await reader.read())  # whatever the client sends on this connection after the answer

    srv = await raw(handler)
    for _ in range(3):  # no sleep between requests: the end of stream is still unread in the kernel
        assert await fetch(client, srv.url) == (200, b"ok")
    await asyncio.sleep(0.05)
    assert srv.connections == 3
    assert seen == [b"", b"", b""], "no request was written to a connection the server had closed"


async def test_idle_connection_expires_after_keepalive_s(raw: StartRaw) -> None:
    client = H1Client(keepalive_s=0.05)
    srv = await raw(answer_each)
    assert await fetch(client, srv.url) == (200, b"ok")
    await asyncio.sleep(0.1)
    assert await fetch(client, srv.url) == (200, b"ok")
    assert srv.connections == 2
    assert client.open_connections == 1
    await client.aclose()


# ---------------------------------------------------------------- timeouts


async def test_total_timeout_while_waiting_for_headers(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await reader.read()

    srv = await raw(handler)
    started = time.monotonic()
    with pytest.raises(ReadTimeout, match=r"0\.2s"):
        await client.post(srv.url, b"", {}, timeout_s=0.2, streaming=False)
    assert time.monotonic() - started < 0.5
    assert client.open_connections == 0


async def test_non_streaming_timeout_bounds_the_whole_body(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n")
        for _ in range(20):  # a byte every 50 ms: never silent, but 1 s in total
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(b"x")
        await reader.read()

    srv = await raw(handler)
    started = time.monotonic()
    resp = await client.post(srv.url, b"", {}, timeout_s=0.2, streaming=False)
    with pytest.raises(ReadTimeout):
        await resp.read()
    resp.release()
    assert time.monotonic() - started < 0.5
    assert client.open_connections == 0


async def test_stream_survives_short_silences_longer_than_timeout_in_total(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(6):  # ~0.5 s in total, 80 ms apart
            await writer.drain()
            await asyncio.sleep(0.08)
            writer.write(chunk(b"data: %d\n\n" % i))
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        await reader.read()

    srv = await raw(handler)
    started = time.monotonic()
    resp = await client.post(srv.url, b"", {}, timeout_s=0.25, streaming=True)
    received = [piece async for piece in resp.iter_any()]
    resp.release()
    assert time.monotonic() - started > 0.25
    assert b"".join(received) == b"".join(b"data: %d\n\n" % i for i in range(6))


async def test_stream_silence_longer_than_timeout_is_a_read_timeout(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(b"data: 0\n\n"))
        await writer.drain()
        await reader.read()  # then silence until the client gives up

    srv = await raw(handler)
    started = time.monotonic()
    resp = await client.post(srv.url, b"", {}, timeout_s=0.2, streaming=True)
    received = []
    with pytest.raises(ReadTimeout):
        async for piece in resp.iter_any():
            received.append(piece)
    resp.release()
    assert received == [b"data: 0\n\n"]
    assert 0.15 < time.monotonic() - started < 0.6
    assert client.open_connections == 0


async def test_a_stream_judged_by_events_still_times_out_on_a_stalled_error_body(
    raw: StartRaw, client: H1Client
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\n{")
        await writer.drain()
        await reader.read()  # the rest of the error body never comes

    srv = await raw(handler)
    resp = await client.post(srv.url, b"", {}, timeout_s=0.2, streaming=True)
    resp.progress_by_events()  # as a provider's stream reader does
    started = time.monotonic()
    with pytest.raises(ReadTimeout):
        async with asyncio.timeout(3):
            await resp.read()
    resp.release()
    assert time.monotonic() - started < 0.6


async def test_a_slow_reader_with_events_waiting_is_not_timed_out(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(4):
            writer.write(chunk(b"data: %d\n\n" % i))
            await writer.drain()
            await asyncio.sleep(0.1)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        await reader.read()

    srv = await raw(handler)
    resp = await client.post(srv.url, b"", {}, timeout_s=0.2, streaming=True)
    resp.progress_by_events()
    received = b""
    async for piece in resp.iter_any():
        resp.progressed()  # every piece holds an event
        received += piece
        await asyncio.sleep(0.45)  # the reader is busy (a slow app) while events keep arriving
    resp.release()
    assert received == b"".join(b"data: %d\n\n" % i for i in range(4))


# ---------------------------------------------------------------- connecting


async def test_refused_connection_is_connect_failed(client: H1Client) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectFailed, match="ConnectionRefusedError"):
        await client.post(f"http://127.0.0.1:{port}/", b"", {}, timeout_s=1, streaming=False)
    assert client.open_connections == 0


async def test_unanswered_tls_handshake_is_connect_timeout(raw: StartRaw, client: H1Client) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accepts, never says a word of TLS

    srv = await raw(silent)
    started = time.monotonic()
    with pytest.raises(ConnectTimeout) as info:
        await client.post(f"https://127.0.0.1:{srv.port}/", b"", {}, timeout_s=0.2, streaming=False)
    assert info.value.limit_s == 0.2  # the connect limit is min(10 s, timeout_s)
    assert time.monotonic() - started < 0.6
    assert client.open_connections == 0


async def test_not_an_http_url_is_a_value_error(client: H1Client) -> None:
    with pytest.raises(ValueError, match="not an http"):
        await client.post("ftp://127.0.0.1/x", b"", {}, timeout_s=1, streaming=False)


async def test_https_request_and_reuse(raw: StartRaw, client: H1Client, tls_files: TlsFiles) -> None:
    srv = await raw(
        lambda r, w: answer_each(r, w, response(b"secret", "Content-Type: application/json")), tls=server_tls(tls_files)
    )
    client._tls = ssl.create_default_context(cafile=str(tls_files.ca))
    assert srv.url.startswith("https://")
    assert await fetch(client, srv.url) == (200, b"secret")
    assert await fetch(client, srv.url) == (200, b"secret")
    assert srv.connections == 1


async def test_untrusted_certificate_is_connect_failed(raw: StartRaw, client: H1Client, tls_files: TlsFiles) -> None:
    srv = await raw(answer_each, tls=server_tls(tls_files))  # the client keeps the system trust store
    with pytest.raises(ConnectFailed, match="CERTIFICATE_VERIFY_FAILED"):
        await client.post(srv.url, b"", {}, timeout_s=1, streaming=False)
    assert client.open_connections == 0


# ---------------------------------------------------------------- pool limit, flow control, cancellation


async def test_limit_caps_concurrent_connections(raw: StartRaw) -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            await asyncio.sleep(0.05)
            writer.write(OK)
            await writer.drain()

    srv = await raw(slow)
    client = H1Client(limit=2)
    results = await asyncio.wait_for(asyncio.gather(*(fetch(client, srv.url) for _ in range(6))), 2)
    assert results == [(200, b"ok")] * 6
    assert srv.peak == 2
    assert client.open_connections <= 2
    await client.aclose()


async def test_cancelled_waiter_passes_its_turn_on(raw: StartRaw) -> None:
    srv = await raw(answer_each)
    client = H1Client(limit=1)
    first = await client.post(srv.url, b"", {}, timeout_s=1, streaming=False)
    await first.read()
    cancelled = asyncio.create_task(fetch(client, srv.url))
    waiting = asyncio.create_task(fetch(client, srv.url))
    await asyncio.sleep(0.02)  # both wait for the one connection
    first.release()  # wakes `cancelled`...
    cancelled.cancel()  # ...which is cancelled (say its caller went away) before it runs
    try:
        assert await asyncio.wait_for(waiting, 0.5) == (200, b"ok")
    finally:
        await client.aclose()


async def test_slow_stream_reader_holds_back_a_fast_server(raw: StartRaw, client: H1Client) -> None:
    payload = os.urandom(8 << 20)

    async def fast(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(payload))
        writer.write(payload)
        await writer.drain()
        await reader.read()

    srv = await raw(fast)
    resp = await client.post(srv.url, b"", {}, timeout_s=2, streaming=True)
    digest = hashlib.sha256()
    biggest = 0
    async for piece in resp.iter_any():
        digest.update(piece)
        biggest = max(biggest, len(piece))
        await asyncio.sleep(0.01)  # a reader slower than loopback
    resp.release()
    assert digest.digest() == hashlib.sha256(payload).digest()
    # iter_any hands over everything buffered since the last step: a bounded step means bounded memory
    assert biggest <= 2 << 20
    assert client.open_connections == 1  # read whole: kept for reuse


async def test_cancelled_request_closes_its_connection(raw: StartRaw, client: H1Client) -> None:
    got_request = asyncio.Event()
    hung_up = asyncio.Event()

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        got_request.set()
        await reader.read()
        hung_up.set()

    srv = await raw(stall)
    task = asyncio.create_task(client.post(srv.url, b"", {}, timeout_s=5, streaming=False))
    await asyncio.wait_for(got_request.wait(), 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert client.open_connections == 0
    await asyncio.wait_for(hung_up.wait(), 1)


async def test_aclose_closes_idle_connections(raw: StartRaw) -> None:
    hung_up = asyncio.Event()

    async def watched(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await answer_each(reader, writer)
        finally:
            hung_up.set()  # reached when the client hangs up (answer_each then fails to read)

    srv = await raw(watched)
    client = H1Client()
    assert await fetch(client, srv.url) == (200, b"ok")
    assert client.open_connections == 1
    await client.aclose()
    assert client.open_connections == 0
    await asyncio.wait_for(hung_up.wait(), 1)


async def test_response_released_after_aclose_is_closed(raw: StartRaw) -> None:
    srv = await raw(answer_each)
    client = H1Client()
    resp = await client.post(srv.url, b"", {}, timeout_s=1, streaming=False)
    assert await resp.read() == b"ok"
    await client.aclose()
    resp.release()  # the docstring: "connections in use close when released"
    assert client.open_connections == 0


# ---------------------------------------------------------------- request and response headers


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Note": "a\r\nX-Injected: 1"},
        {"X-Note": "a\nb"},
        {"X-Note": "a\rb"},
        {"X-Bad\r\nName": "v"},
        {"X-Bad:Name": "v"},
        {"X-Note": "snowman \u2603"},
    ],
)
async def test_unsafe_request_header_is_refused_before_sending(
    raw: StartRaw, client: H1Client, headers: dict[str, str]
) -> None:
    srv = await raw(answer_each)
    with pytest.raises(ValueError):
        await client.post(srv.url, b"", headers, timeout_s=1, streaming=False)
    await asyncio.sleep(0.02)
    assert srv.connections == 0
    assert client.open_connections == 0


async def test_request_carries_host_body_and_caller_headers(raw: StartRaw, client: H1Client) -> None:
    seen: list[bytes] = []

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head)
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        writer.write(response(await reader.readexactly(length)))
        await writer.drain()
        await reader.read()

    srv = await raw(echo)
    url = f"http://127.0.0.1:{srv.port}/v1/chat?x=1"
    resp = await client.post(url, b'{"q": 1}', {"Authorization": "Bearer k"}, timeout_s=1, streaming=False)
    assert await resp.read() == b'{"q": 1}'
    resp.release()
    lines = seen[0].split(b"\r\n")
    assert lines[0] == b"POST /v1/chat?x=1 HTTP/1.1"
    assert f"Host: 127.0.0.1:{srv.port}".encode() in lines
    assert b"Authorization: Bearer k" in lines


async def test_request_says_its_body_is_json_unless_the_caller_says_otherwise(raw: StartRaw, client: H1Client) -> None:
    seen: list[bytes] = []

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            seen.append(head.lower())
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            writer.write(response(await reader.readexactly(length)))
            await writer.drain()

    srv = await raw(echo)
    for headers in ({}, {"content-type": "text/plain"}):
        resp = await client.post(srv.url, b"{}", headers, timeout_s=1, streaming=False)
        await resp.read()
        resp.release()
    assert [h.count(b"content-type:") for h in seen] == [1, 1]
    assert b"content-type: application/json" in seen[0] and b"content-type: text/plain" in seen[1]


async def test_response_headers_ignore_case_and_join_repeats(raw: StartRaw, client: H1Client) -> None:
    srv = await raw(lambda r, w: answer_each(r, w, response(b"", "X-Request-Id: abc", "Vary: Accept", "vary: Origin")))
    resp = await client.post(srv.url, b"", {}, timeout_s=1, streaming=False)
    headers = resp.headers
    assert headers["x-request-id"] == headers["X-REQUEST-ID"] == "abc"
    assert headers.get("X-Request-ID") == "abc"
    assert headers.get("missing") is None and headers.get("missing", "d") == "d"
    assert "x-Request-id" in headers and "missing" not in headers
    assert headers["Vary"] == "Accept, Origin"
    with pytest.raises(KeyError):
        headers["Missing"]
    await resp.read()
    resp.release()


# ---------------------------------------------------------------- through HttpPool: UpstreamError


async def _stalls_after_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{")
    await writer.drain()
    await reader.read()


async def _drops_mid_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{")
    await writer.drain()


async def _brotli(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await answer_each(reader, writer, response(b"\x1b\x03\x00", "Content-Encoding: br"))


@pytest.mark.parametrize(
    ("handler", "kind", "words"),
    [
        (_stalls_after_headers, "timeout", "no complete answer within 0.2s"),
        (_drops_mid_body, "connection", "dropped"),
        (_brotli, "protocol", "did not answer valid HTTP/1.1"),
    ],
)
async def test_failure_while_reading_becomes_upstream_error(
    raw: StartRaw, pool: HttpPool, handler: Handler, kind: str, words: str
) -> None:
    srv = await raw(handler)
    with pytest.raises(UpstreamError) as info:
        async with pool.post(srv.url, {}, {}, timeout_s=0.2, streaming=False, provider="acme") as resp:
            assert resp.status == 200
            await resp.read()
    err = info.value
    assert (err.kind, err.provider) == (kind, "acme")
    assert err.message.startswith("acme: ") and words in err.message
    assert "127.0.0.1" not in err.message and str(srv.port) not in err.message, "no address in the message"
    assert pool.client().open_connections == 0


@pytest.mark.parametrize(
    ("handler", "kind", "words"),
    [
        (lambda r, w: answer_each(r, w, b"220 smtp.example.com ESMTP\r\n\r\n"), "protocol", "malformed"),
        (read_request, "connection", "without answering"),
    ],
)
async def test_failure_before_headers_becomes_upstream_error(
    raw: StartRaw, pool: HttpPool, handler: Handler, kind: str, words: str
) -> None:
    srv = await raw(handler)
    with pytest.raises(UpstreamError) as info:
        async with pool.post(srv.url, {}, {}, timeout_s=1, streaming=False, provider="acme"):
            pytest.fail("the body of `async with` must not run without a response")
    assert (info.value.kind, info.value.provider) == (kind, "acme")
    assert info.value.message.startswith("acme: ") and words in info.value.message


async def test_connect_failure_becomes_upstream_error(pool: HttpPool) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1/x"
    with pytest.raises(UpstreamError) as info:
        async with pool.post(url, {}, {}, timeout_s=1, streaming=False, provider="acme"):
            pass
    assert info.value.kind == "connection"
    assert info.value.message == "acme: could not connect: Connection refused"
