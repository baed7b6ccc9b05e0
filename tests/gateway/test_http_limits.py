"""What the gateway's server protocol refuses, on real sockets under uvicorn: slow heads and
bodies (408), connections past the limit (503), any Transfer-Encoding but ``chunked`` (400);
each in OpenAI's error shape, then a close that does not lose the answer."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.gateway.asgi import Receive, Scope, Send
from modelswap.gateway.http_limits import error_response, transfer_coding_problem
from modelswap.gateway.http_protocol import Limits

from .wire import Serve, closed, error_of, read_response, request, servers

SHORT = Limits(header_timeout_s=0.3, body_timeout_s=0.3, max_connections=1000)


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    async with servers() as start:
        yield start


async def _trickle(writer: asyncio.StreamWriter, data: bytes, every_s: float) -> None:
    with contextlib.suppress(ConnectionError):
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every_s)


# -- slow clients ---------------------------------------------------------------------------------


async def test_a_head_trickled_byte_by_byte_is_cut_with_a_408_after_the_header_timeout(serve: Serve) -> None:
    _, connect = await serve(limits=SHORT, timeout_keep_alive=5)
    reader, writer = await connect()
    begun = time.monotonic()
    trickle = asyncio.create_task(_trickle(writer, request("/v1/chat/completions", b"{}") * 10, 0.05))
    status, headers, body = await read_response(reader)
    took = time.monotonic() - begun
    trickle.cancel()
    assert (status, headers["connection"]) == (408, "close")
    error = error_of(body)
    assert error["code"] == "request_timeout" and "did not arrive within 0.3 s" in error["message"]
    assert 0.25 < took < 1.5, "cut between one header timeout and one check period more"
    assert await closed(reader)


async def test_a_body_that_stops_arriving_is_cut_with_a_408_and_the_app_hears_a_disconnect(serve: Serve) -> None:
    heard: list[str] = []

    async def reading(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            heard.append(message["type"])
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break

    _, connect = await serve(reading, limits=SHORT)
    reader, writer = await connect()
    writer.write(request("/v1/chat/completions", b"0123456789", send_body=False) + b"012")
    begun = time.monotonic()
    status, headers, body = await read_response(reader)
    assert (status, headers["connection"], error_of(body)["code"]) == (408, "close", "request_timeout")
    assert "stopped arriving for 0.3 s" in error_of(body)["message"]
    assert 0.25 < time.monotonic() - begun < 1.5
    assert await closed(reader)
    assert heard == ["http.request", "http.disconnect"], "the app is told the client is gone, not left waiting"


async def test_slow_but_steady_bodies_and_slow_answers_are_not_timed_out(serve: Serve) -> None:
    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await asyncio.sleep(0.8)  # the answer takes longer than every timeout: that is the app's time
        text = str(size).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(text))]})
        await send({"type": "http.response.body", "body": text})

    _, connect = await serve(slow, limits=SHORT, timeout_keep_alive=0.3)
    reader, writer = await connect()
    writer.write(request("/v1/chat/completions", b"x" * 8, send_body=False))
    for _ in range(8):  # 0.8 s of body in all, never a pause as long as the body timeout
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(0.1)
    assert (await read_response(reader))[::2] == (200, b"8")
    writer.write(request("/again", b"yy"))  # kept alive: the keep-alive timeout counts from the answer
    assert (await read_response(reader))[::2] == (200, b"2")
    writer.close()


async def test_expect_continue_waits_for_the_app_without_a_body_timeout(serve: Serve) -> None:
    async def late_reader(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(0.8)  # only now asks for the body: the 100 goes out now
        body = (await receive())["body"]
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})

    _, connect = await serve(late_reader, limits=SHORT)
    reader, writer = await connect()
    writer.write(request("/e", b"body", headers="Expect: 100-continue\r\n", send_body=False))
    assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5) == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b"body")
    assert (await read_response(reader))[::2] == (200, b"body")
    writer.close()


# -- connection floods ----------------------------------------------------------------------------


async def test_connections_past_the_limit_get_a_503_until_stalled_ones_time_out(serve: Serve) -> None:
    limits = Limits(header_timeout_s=0.4, body_timeout_s=5, max_connections=5)
    _, connect = await serve(limits=limits)
    stalled = [await connect() for _ in range(5)]
    for _, writer in stalled:
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\n")  # a head that never ends
    await asyncio.sleep(0.05)

    reader, writer = await connect()
    writer.write(request("/v1/chat/completions", b"{}"))
    status, headers, body = await read_response(reader)
    assert (status, headers["connection"], headers["retry-after"]) == (503, "close", "1")
    error = error_of(body)
    assert error["code"] == "too_many_connections" and "gateway.max_connections" in error["message"]
    assert error["type"] == "server_error"
    assert await closed(reader)

    for stalled_reader, _ in stalled:  # the stalled ones are cut by the header timeout...
        assert (await read_response(stalled_reader))[0] == 408
    await asyncio.sleep(0.05)
    reader, writer = await connect()  # ...and legitimate traffic is served again
    writer.write(request("/v1/chat/completions", b"{}"))
    assert (await read_response(reader))[0] == 200
    writer.close()


async def test_a_flood_far_past_the_limit_is_dropped_and_the_server_keeps_serving(serve: Serve) -> None:
    limits = Limits(header_timeout_s=0.5, body_timeout_s=5, max_connections=4)
    server, connect = await serve(limits=limits)
    flood = [await connect() for _ in range(4 + limits.refusal_room() + 10)]
    await asyncio.sleep(0.1)
    assert len(server.server_state.connections) <= 4 + limits.refusal_room(), "file descriptors stay bounded"
    answers: list[int | None] = []
    for reader, _ in flood[4:]:
        try:
            answers.append((await read_response(reader))[0])
        except (ConnectionError, asyncio.IncompleteReadError):
            answers.append(None)  # past the refusal room: dropped without an answer
    assert set(answers) == {503, None}
    for _, writer in flood:
        writer.close()
    await asyncio.sleep(0.1)
    reader, writer = await connect()
    writer.write(request("/ok", b"1"))
    assert (await read_response(reader))[0] == 200
    writer.close()


async def test_a_refusal_is_read_whole_even_when_the_client_keeps_sending(serve: Serve) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(b"GARBAGE\x00 / HTTP/1.1\r\n\r\n" + b"x" * 300_000)  # unread bytes must not reset the answer
    status, headers, body = await read_response(reader)
    assert (status, headers["connection"]) == (400, "close") and error_of(body)["code"] == "malformed_request"
    assert await closed(reader)


# -- Transfer-Encoding (RFC 9112 §6.1) ------------------------------------------------------------


@pytest.mark.parametrize(
    "coding",
    [
        "Transfer-Encoding: identity, chunked\r\n",
        "Transfer-Encoding: gzip, chunked\r\n",
        "Transfer-Encoding: chunked, chunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked;q=1\r\n",
    ],
    ids=["identity-chunked", "gzip-chunked", "chunked-twice", "two-fields", "parameter"],
)
async def test_any_transfer_encoding_but_chunked_is_refused_with_a_400(serve: Serve, coding: str) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(request("/v1/chat/completions", headers=coding) + b"5\r\nhello\r\n0\r\n\r\n")
    status, headers, body = await read_response(reader)
    assert (status, headers["connection"]) == (400, "close")
    error = error_of(body)  # httptools refuses some of these itself, as malformed
    assert error["code"] in ("unsupported_transfer_encoding", "malformed_request")
    assert "transfer-encoding" in error["message"].lower()
    assert await closed(reader)


async def test_chunked_in_any_case_is_served_and_http_1_0_may_not_use_it(serve: Serve) -> None:
    _, connect = await serve()
    reader, writer = await connect()
    writer.write(request("/c", headers="Transfer-Encoding: Chunked\r\n") + b"5\r\nhello\r\n0\r\n\r\n")
    assert (await read_response(reader))[::2] == (200, b"POST /c ? 5")
    writer.close()

    reader, writer = await connect()
    writer.write(request("/c", headers="Transfer-Encoding: chunked\r\n", version="1.0") + b"5\r\nhello\r\n0\r\n\r\n")
    status, _, body = await read_response(reader)
    assert status == 400 and "HTTP/1.0" in error_of(body)["message"]


# -- the pure parts -------------------------------------------------------------------------------

_CODING = st.sampled_from(["chunked", "Chunked", "CHUNKED", "identity", "gzip", "deflate", "", "chunked;x=1", "x"])


@settings(max_examples=200)
@given(codings=st.lists(_CODING, min_size=1, max_size=4), spaces=st.sampled_from(["", " ", "\t", "  "]))
def test_only_exactly_one_chunked_passes(codings: list[str], spaces: str) -> None:
    value = ",".join(spaces + c + spaces for c in codings).encode()
    expected_ok = len(codings) == 1 and codings[0].lower() == "chunked"
    assert (transfer_coding_problem(value, "1.1") is None) == expected_ok
    assert transfer_coding_problem(value, "1.0") is not None


@settings(max_examples=100)
@given(
    status=st.sampled_from([400, 408, 431, 500, 503]),
    message=st.text(max_size=200),
    path=st.binary(max_size=50),
    retry=st.none() | st.integers(0, 3600),
)
def test_an_error_response_is_one_well_framed_answer_in_the_vendor_shape(
    status: int, message: str, path: bytes, retry: int | None
) -> None:
    raw = error_response(status, message, "some_code", path=path, retry_after_s=retry)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert lines[0].startswith(f"HTTP/1.1 {status} ") and headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    assert ("retry-after" in headers) == (retry is not None)
    if path.partition(b"?")[0].rstrip(b"/").endswith(b"/messages"):
        assert b'"type":"error"' in body
    else:
        error = error_of(body)
        assert (error["message"], error["code"]) == (message, "some_code")
