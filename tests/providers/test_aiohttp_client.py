"""The aiohttp-backed pool (``HttpPool(client="aiohttp")``): the same upstreams, limits, timeouts
and error kinds as the serving path's own client, against real sockets.

The misbehaving servers here are raw TCP servers that write exactly the bytes under test (a
refused port, a server that never answers, one that drops mid-body, garbage, oversized heads
and bodies, a gzip bomb). The stream tests of ``test_http`` run again on this pool (imported below).
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from modelswap.providers import OpenAIUpstream
from modelswap.providers.base import UpstreamError
from modelswap.providers.h1 import Limits, Timeouts
from modelswap.providers.http import HttpPool

from .fakes import Script, closed_port, json_reply, sse_reply
from .payloads import openai_chunk, openai_sse
from .test_http import (  # noqa: F401  (run again here, on the aiohttp pool)
    test_a_stream_of_only_comments_times_out,
    test_anthropic_pings_do_not_hold_a_stream_open,
    test_errors_never_show_the_url_its_credentials_or_the_key,
    test_events_slower_than_comments_but_within_the_timeout_keep_the_stream,
)

ASK = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
COMPLETION = {"id": "c1", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": "ok"}}]}

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def pool() -> AsyncIterator[HttpPool]:
    pool = HttpPool(client="aiohttp")
    yield pool
    await pool.aclose()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Answer], Awaitable[str]]]:
    """A TCP server on 127.0.0.1 that reads a request's head and body, then runs ``answer``; returns its base URL."""
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> str:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.lower().split(b"\r\n")
            length = next((int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length")), 0)
            await reader.readexactly(length)
            try:
                await answer(reader, writer)
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"

    yield start
    for server in servers:
        server.close()


def writes(*parts: bytes, then_wait_s: float = 0.0) -> Answer:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for part in parts:
            writer.write(part)
            await writer.drain()
        await asyncio.sleep(then_wait_s)

    return answer


def upstream(base: str, pool: HttpPool, timeout_s: float | Timeouts = 2.0) -> OpenAIUpstream:
    return OpenAIUpstream("old", "gpt-4o-mini", base, "sk-secret-0123", pool, timeout_s=timeout_s)


async def failure(up: OpenAIUpstream, *, stream: bool = False) -> UpstreamError:
    with pytest.raises(UpstreamError) as info:
        async with asyncio.timeout(10):  # a regression fails here instead of hanging the run
            if stream:
                _ = [event async for event in up.stream(ASK)]
            else:
                await up.complete(ASK)
    return info.value


async def test_a_completion_and_a_stream_arrive_whole(serve_vendor: Any, pool: HttpPool) -> None:
    chunks = [openai_chunk({"content": "He"}), openai_chunk({"content": "llo"}, "stop")]
    script = Script([json_reply(COMPLETION), sse_reply(openai_sse(chunks))])
    base = await serve_vendor(script.app("/v1/chat/completions"))
    up = upstream(f"{base}/v1", pool)
    assert (await up.complete(ASK))["choices"][0]["message"]["content"] == "ok"
    got = [event async for event in up.stream(ASK)]
    assert "".join(e["choices"][0]["delta"].get("content", "") for e in got) == "Hello"


async def test_a_refused_connection_is_an_unsent_connection_error(pool: HttpPool) -> None:
    error = await failure(upstream(f"http://127.0.0.1:{closed_port()}/v1", pool))
    assert (error.kind, error.unsent) == ("connection", True)
    assert error.message == "old: could not connect: Connection refused"


async def test_a_server_that_never_answers_times_out_at_the_first_byte_limit(raw_server: Any, pool: HttpPool) -> None:
    base = await raw_server(writes(then_wait_s=30))
    started = time.monotonic()
    error = await failure(upstream(base, pool, timeout_s=0.3))
    assert time.monotonic() - started < 2.0
    assert (error.kind, error.unsent) == ("timeout", False), "the request went out: it may have been acted on"
    assert error.message == "old: no answer within 0.3s (first-byte timeout)"


async def test_a_non_streamed_answer_must_be_whole_within_the_first_byte_limit(raw_server: Any, pool: HttpPool) -> None:
    base = await raw_server(writes(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{", then_wait_s=30))
    error = await failure(upstream(base, pool, timeout_s=0.3))
    assert error.kind == "timeout" and error.message == "old: no complete answer within 0.3s"


@pytest.mark.parametrize("stream", [False, True])
async def test_a_drop_mid_body_is_a_connection_error(raw_server: Any, pool: HttpPool, stream: bool) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: " + (b"text/event-stream" if stream else b"application/json")
    first = openai_sse([openai_chunk({"content": "Hi"})], done=False) if stream else b'{"choices": ['
    base = await raw_server(writes(head + b"\r\nContent-Length: 5000\r\n\r\n" + first))
    error = await failure(upstream(base, pool), stream=stream)
    assert (error.kind, error.unsent) == ("connection", False)
    assert error.message.startswith("old: connection dropped")


@pytest.mark.parametrize(
    "garbage",
    [b"SSH-2.0-OpenSSH_9.6\r\n\r\n", b"HTTP/1.1 abc Nope\r\n\r\n", b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n"],
)
async def test_garbage_instead_of_http_is_a_protocol_error(raw_server: Any, pool: HttpPool, garbage: bytes) -> None:
    base = await raw_server(writes(garbage))
    error = await failure(upstream(base, pool))
    assert error.kind == "protocol" and error.message.startswith("old: did not answer valid HTTP/1.1")
    assert "127.0.0.1" not in error.message and "sk-secret" not in error.message


async def test_a_head_line_past_the_limit_is_refused(raw_server: Any) -> None:
    pool = HttpPool(client="aiohttp", limits=Limits(max_head_bytes=4096))
    base = await raw_server(writes(b"HTTP/1.1 200 OK\r\nX-Pad: " + b"p" * 10_000 + b"\r\nContent-Length: 2\r\n\r\n{}"))
    error = await failure(upstream(base, pool))
    await pool.aclose()
    assert error.kind == "protocol" and "4096" in error.message


@pytest.mark.parametrize("framing", ["length", "chunked"])
async def test_a_body_past_the_limit_is_refused(raw_server: Any, framing: str) -> None:
    pool = HttpPool(client="aiohttp", limits=Limits(max_body_bytes=64 * 1024))
    body = b'{"choices": [], "pad": "' + b"x" * 100_000 + b'"}'
    if framing == "length":
        raw = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    else:
        raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    base = await raw_server(writes(raw))
    error = await failure(upstream(base, pool))
    await pool.aclose()
    assert error.kind == "protocol"
    expected = "the body announces" if framing == "length" else "the body is larger than the 64 KiB limit"
    assert error.message.startswith(f"old: answer refused: {expected}")


async def test_a_gzip_bomb_is_refused_at_the_limit_not_after_inflating(raw_server: Any) -> None:
    pool = HttpPool(client="aiohttp", limits=Limits(max_body_bytes=1 << 20))
    bomb = gzip.compress(b"{" + b" " * (64 << 20))  # 64 MiB of JSON whitespace in ~64 KiB
    raw = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb) + bomb
    base = await raw_server(writes(raw))
    error = await failure(upstream(base, pool))
    await pool.aclose()
    assert error.kind == "protocol" and error.message == "old: answer refused: the body is larger than the 1 MiB limit"


async def test_a_gzipped_answer_is_read(raw_server: Any, pool: HttpPool) -> None:
    import json

    body = gzip.compress(json.dumps(COMPLETION).encode())
    raw = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    base = await raw_server(writes(raw))
    assert (await upstream(base, pool).complete(ASK))["choices"][0]["message"]["content"] == "ok"


async def test_an_event_past_the_limit_is_refused(raw_server: Any) -> None:
    pool = HttpPool(client="aiohttp", limits=Limits(max_event_bytes=4096))
    first = openai_sse([openai_chunk({"content": "Hi"})], done=False)
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n" + first + b"data: " + b"x" * 10_000 + b"\n\n"
    base = await raw_server(writes(raw))
    got: list[dict[str, Any]] = []
    with pytest.raises(UpstreamError) as info:
        async for event in upstream(base, pool).stream(ASK):
            got.append(event)
    await pool.aclose()
    assert info.value.kind == "protocol" and "4 KiB limit" in info.value.message
    assert got[0]["choices"][0]["delta"]["content"] == "Hi", "what came before is delivered"


async def test_a_connection_is_reused_for_the_next_call(serve_vendor: Any, pool: HttpPool) -> None:
    peers: set[Any] = set()

    async def reply(request: Any) -> Any:
        peers.add(request.transport.get_extra_info("peername"))
        return await json_reply(COMPLETION)(request)

    base = await serve_vendor(Script([reply]).app("/v1/chat/completions"))
    up = upstream(f"{base}/v1", pool)
    for _ in range(3):
        await up.complete(ASK)
    assert len(peers) == 1
