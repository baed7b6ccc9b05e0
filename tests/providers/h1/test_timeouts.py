"""Three clocks, not one deadline: connect, first byte, and silences inside a stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from modelswap.providers.h1 import H1Client, ReadTimeout, Timeouts

from .conftest import StartRaw, chunk, read_request

STREAM_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.fixture
async def client() -> AsyncIterator[H1Client]:
    c = H1Client()
    yield c
    await c.aclose()


async def test_a_vendor_that_never_answers_fails_after_the_first_byte_timeout(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await reader.read()  # accepts, then says nothing

    srv = await raw(handler)
    with pytest.raises(ReadTimeout, match=r"no answer within 0\.2s \(first-byte timeout\)"):
        async with asyncio.timeout(5):  # guards the run; the limit under test is far shorter
            await client.post(srv.url, b"", {}, timeout_s=Timeouts(first_byte_s=0.2, idle_s=30), streaming=True)
    assert client.open_connections == 0


async def test_after_the_head_only_silences_count(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(STREAM_HEAD + chunk(b"data: 0\n\n"))
        await writer.drain()
        await reader.read()

    srv = await raw(handler)
    resp = await client.post(srv.url, b"", {}, timeout_s=Timeouts(first_byte_s=30, idle_s=0.2), streaming=True)
    received = []
    with pytest.raises(ReadTimeout, match=r"no data for 0\.2s"):
        async with asyncio.timeout(5):
            async for piece in resp.iter_any():
                received.append(piece)
    resp.release()
    assert received == [b"data: 0\n\n"]


async def test_a_stream_making_progress_has_no_total_deadline(raw: StartRaw, client: H1Client) -> None:
    events = [b"data: %d\n\n" % i for i in range(8)]

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(STREAM_HEAD)
        for event in events:  # about 0.8 s in all: past first byte + idle, each gap well inside idle
            await writer.drain()
            await asyncio.sleep(0.1)
            writer.write(chunk(event))
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        await reader.read()

    srv = await raw(handler)
    resp = await client.post(srv.url, b"", {}, timeout_s=Timeouts(first_byte_s=0.3, idle_s=0.3), streaming=True)
    received = b"".join([piece async for piece in resp.iter_any()])
    resp.release()
    assert received == b"".join(events)


async def test_the_first_event_may_come_later_than_the_first_byte_limit(raw: StartRaw, client: H1Client) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(STREAM_HEAD)  # the vendor accepted at once; the model thinks for a while
        await writer.drain()
        await asyncio.sleep(0.4)
        writer.write(chunk(b"data: late\n\n") + b"0\r\n\r\n")
        await writer.drain()
        await reader.read()

    srv = await raw(handler)
    resp = await client.post(srv.url, b"", {}, timeout_s=Timeouts(first_byte_s=0.2, idle_s=2), streaming=True)
    assert b"".join([piece async for piece in resp.iter_any()]) == b"data: late\n\n"
    resp.release()


def test_one_number_sets_first_byte_and_idle_and_caps_connect() -> None:
    assert Timeouts.of(30) == Timeouts(connect_s=5.0, first_byte_s=30, idle_s=30)
    assert Timeouts.of(0.5).connect_s == 0.5
    with pytest.raises(ValueError):
        Timeouts(idle_s=0)
