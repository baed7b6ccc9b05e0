"""The gateway's HTTP/1.1 server protocol, on real sockets under uvicorn, as raw clients see it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import uvicorn

from modelswap.gateway.asgi import Receive, Scope, Send
from modelswap.gateway.http_protocol import HttpProtocol

from .wire import Serve, closed, echo, error_of, read_response, request, servers


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    async with servers() as start:
        yield start


async def test_keep_alive_answers_several_requests_on_one_connection(serve: Any) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    for n in range(3):
        writer.write(request(f"/v1/x%20y?n={n}", b"hello"))
        status, headers, body = await read_response(reader)
        assert (status, body) == (200, f"POST /v1/x y ?n={n} 5".encode())
        assert "connection" not in headers
    writer.close()


async def test_pipelined_requests_are_answered_in_order(serve: Any) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(request("/slow", b"first") + request("/fast", b"second!"))
    answers = [await read_response(reader) for _ in range(2)]
    assert [a[2] for a in answers] == [b"POST /slow ? 5", b"POST /fast ? 7"]
    writer.close()


async def test_a_body_in_many_pieces_and_larger_than_the_read_limit_arrives_whole(serve: Any) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    body = b"x" * 300_000
    writer.write(request("/big", headers="Transfer-Encoding: chunked\r\n"))
    for i in range(0, len(body), 50_000):
        writer.write(b"%x\r\n%b\r\n" % (50_000, body[i : i + 50_000]))
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    status, _, answer = await read_response(reader)
    assert (status, answer) == (200, b"POST /big ? 300000")
    writer.close()


async def test_expect_100_continue_is_answered_before_the_body_is_sent(serve: Any) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(request("/e", b"body", headers="Expect: 100-continue\r\n", send_body=False))
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b"body")
    status, _, answer = await read_response(reader)
    assert (status, answer) == (200, b"POST /e ? 4")
    writer.close()


async def test_an_answer_without_a_length_is_chunked_and_http_1_0_gets_it_until_close(serve: Any) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(request("/chunked", b"ab"))
    status, headers, body = await read_response(reader)
    assert (status, headers["transfer-encoding"], body) == (200, "chunked", b"POST /chunked ? 2")
    writer.close()

    reader, writer = await connect()
    writer.write(request("/chunked", b"ab", version="1.0"))
    status, headers, body = await read_response(reader)
    assert "transfer-encoding" not in headers and headers["connection"] == "close"
    assert (status, body) == (200, b"POST /chunked ? 2")


async def test_head_gets_the_headers_without_the_body(serve: Any) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(request("/h", method="HEAD") + request("/after", b"1"))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"content-length: 11" in head
    assert (await read_response(reader))[2] == b"POST /after ? 1", "the next answer follows the head directly"
    writer.close()


async def test_a_malformed_request_gets_a_400_and_the_connection_closes(serve: Any) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(b"GARBAGE\x00 / HTTP/1.1\r\n\r\n")
    status, headers, body = await read_response(reader)
    assert (status, headers["connection"], headers["content-type"]) == (400, "close", "application/json")
    assert error_of(body)["message"].startswith("malformed HTTP request")
    assert await closed(reader)


async def test_an_app_error_before_the_answer_is_a_500_and_after_it_started_a_close(serve: Any) -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/late":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]})
            await send({"type": "http.response.body", "body": b"12345", "more_body": True})
        raise ValueError("boom")

    _, connect = await serve(broken)
    reader, writer = await connect()
    writer.write(request("/early", b"x"))
    status, headers, body = await read_response(reader)
    assert (status, headers["connection"]) == (500, "close")
    assert error_of(body)["type"] == "server_error" and b"boom" not in body
    assert await closed(reader)

    reader, writer = await connect()
    writer.write(request("/late", b"x"))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert await asyncio.wait_for(reader.read(), 5) == b"12345", "half an answer, then the connection closes"


async def test_a_header_with_a_line_break_is_refused_not_sent(serve: Any) -> None:
    async def injecting(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"x-note", b"ok\r\nset-cookie: stolen=1")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})

    _, connect = await serve(injecting)
    reader, writer = await connect()
    writer.write(request("/", b""))
    status, _, _ = await read_response(reader)
    assert status == 500


async def test_the_app_hears_when_the_client_leaves(serve: Any) -> None:
    heard: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def waiting(scope: Scope, receive: Receive, send: Send) -> None:
        assert (await receive())["type"] == "http.request"
        heard.set_result((await receive())["type"])
        await send({"type": "http.response.start", "status": 200, "headers": []})  # goes nowhere, no error

    _, connect = await serve(waiting)
    _, writer = await connect()
    writer.write(request("/", b"q"))
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.close()
    assert await asyncio.wait_for(heard, 5) == "http.disconnect"


async def test_an_idle_connection_closes_after_the_keep_alive_timeout(serve: Any) -> None:
    _, connect = await serve(timeout_keep_alive=0.2)
    reader, writer = await connect()
    writer.write(request("/a", b""))
    assert (await read_response(reader))[0] == 200
    begun = time.monotonic()
    assert await closed(reader)
    assert 0.15 < time.monotonic() - begun < 1.0, "closed between one and two timeouts after the last byte"


async def test_a_graceful_stop_finishes_the_answer_in_progress_then_closes(serve: Any) -> None:
    server, connect = await serve()
    reader, writer = await connect()
    writer.write(request("/slow", b"x"))
    await writer.drain()
    await asyncio.sleep(0.05)
    server.should_exit = True
    status, headers, body = await read_response(reader)
    assert (status, body, headers["connection"]) == (200, b"POST /slow ? 1", "close")
    assert await closed(reader)


class RecordingTransport(asyncio.Transport):
    """What reaches the socket, call by call."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5555)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def test_a_whole_answer_leaves_in_one_write() -> None:
    config = uvicorn.Config(echo, http=HttpProtocol, lifespan="off")
    state = uvicorn.server.ServerState()
    protocol = HttpProtocol(config, state, {})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(request("/one", b"abc"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(transport.writes) == 1, "head and body in one send"
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b"\r\n\r\nPOST /one ? 3")
    assert state.total_requests == 1 and not state.tasks
    protocol.connection_lost(None)
    assert protocol not in state.connections


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",  # one huge header, in many reads
        b"GET / HTTP/1.1\r\nHost: t\r\n" + b"X-Many: 0123456789\r\n" * 5_000 + b"\r\n",  # too many headers
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: t\r\n\r\n",  # a huge URL
    ],
    ids=["long-header", "many-headers", "long-url"],
)
async def test_a_head_over_64_kib_gets_a_431_and_the_connection_closes(serve: Any, head: bytes) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(head)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    status, headers, body = await read_response(reader)
    assert (status, headers["connection"]) == (431, "close") and b"exceed 64 KiB" in body
    assert await closed(reader)


@pytest.mark.parametrize(
    "smuggled",
    [
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    ],
    ids=["length-and-chunked", "two-lengths", "bad-chunk-size"],
)
async def test_ambiguous_framing_is_refused_not_guessed(serve: Any, smuggled: bytes) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(smuggled)
    status, headers, body = await read_response(reader)
    assert (status, headers["connection"]) == (400, "close")
    assert error_of(body)["message"].startswith("malformed HTTP request")
    assert await closed(reader)


async def test_a_head_just_under_the_limit_is_served(serve: Any) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(request("/ok", b"x", headers="X-Pad: " + "p" * 60_000 + "\r\n"))
    assert (await read_response(reader))[:3:2] == (200, b"POST /ok ? 1")
    writer.close()


async def _forever(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == "/slow":
        await asyncio.sleep(0.3)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
        await send({"type": "http.response.body", "body": b"done"})
        return
    await asyncio.sleep(3600)


async def test_a_stop_refuses_new_connections_and_cuts_what_outlives_its_grace_with_a_503(serve: Any) -> None:
    server, connect = await serve(_forever, timeout_graceful_shutdown=1)
    connections = {path: await connect() for path in ("/v1/chat/completions", "/v1/messages", "/slow")}
    for path, (_, writer) in connections.items():
        writer.write(request(path, b"{}"))
        await writer.drain()
    await asyncio.sleep(0.05)
    server.should_exit = True
    begun = time.monotonic()
    while True:  # the listener closes at once: nothing new comes in during the drain
        try:
            (await connect())[1].close()
        except ConnectionError:
            break
        assert time.monotonic() - begun < 0.5, "still accepting connections while stopping"
        await asyncio.sleep(0.02)
    status, headers, body = await read_response(connections["/slow"][0])
    assert (status, body, headers["connection"]) == (200, b"done", "close"), "what fits in the grace finishes"

    status, headers, body = await read_response(connections["/v1/chat/completions"][0])
    assert 0.5 < time.monotonic() - begun < 3, "cut when the grace runs out"
    assert (status, headers["connection"], error_of(body)["code"]) == (503, "close", "shutdown")
    assert error_of(body)["type"] == "server_error" and "retry" in error_of(body)["message"]
    status, _, body = await read_response(connections["/v1/messages"][0])
    anthropic = orjson.loads(body)
    assert status == 503 and anthropic["type"] == "error" and anthropic["error"]["type"] == "overloaded_error"


async def test_requests_before_a_malformed_one_are_answered_before_its_400(serve: Any) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(request("/first", b"{}") + request("/second", b"1") + b"GARBAGE\x00 / HTTP/1.1\r\n\r\n")
    assert (await read_response(reader))[::2] == (200, b"POST /first ? 2")
    assert (await read_response(reader))[::2] == (200, b"POST /second ? 1")
    status, headers, body = await read_response(reader)
    assert (status, headers["connection"], error_of(body)["code"]) == (400, "close", "malformed_request")
    assert await closed(reader)
