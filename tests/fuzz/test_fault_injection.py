"""Fault injection on real sockets: a misbehaving shadow vendor never reaches the app, and no
answered request loses its record across SIGTERM under load.

The gateway runs as a real ``modelswap serve`` process. The old model (serving) is the
simulator; the new model (shadow) is a fake vendor that, call after call, answers slowly, resets
the connection, truncates its body, floods headers, stalls a stream with keep-alive comments, or
speaks no HTTP at all.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import sqlite3
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
from tests.gateway.procs import GatewayProcess

from modelswap.sim import RunningSim, SimConfig, start_sim

MIGRATION = """\
store: sqlite:///records.db
endpoints:
  old: {{provider: sim, model: gpt-4o, base_url: "{sim}"}}
  new:
    {{provider: openai, model: gpt-5, base_url: "{bad}/v1", timeout_s: 2, max_retries: 0, api_key_env: OPENAI_API_KEY}}
workloads:
  - name: chat
gateway: {{default_workload: chat, record_bodies: redacted}}
"""

ANSWER = orjson.dumps(
    {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-5",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "42"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
)


class BadVendor:
    """A vendor that misbehaves in a different way on each call, in rotation."""

    FAULTS = ("slow", "reset", "truncate", "header_flood", "stalled_stream", "not_http")

    def __init__(self) -> None:
        self.calls: dict[str, int] = dict.fromkeys(self.FAULTS, 0)
        self._next = itertools.cycle(self.FAULTS)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        fault = next(self._next)
        self.calls[fault] += 1
        if fault == "slow":
            await asyncio.sleep(3)
            head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
            writer.write(head % len(ANSWER) + ANSWER)
            await writer.drain()
            return True
        if fault == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if fault == "truncate":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n")
            writer.write(ANSWER[:20])
            await writer.drain()
            return False
        if fault == "header_flood":
            writer.write(b"HTTP/1.1 200 OK\r\n")
            line = b"x-junk: " + b"a" * 1000 + b"\r\n"
            for _ in range(16_000):  # 16 MB of headers, never ending the head
                writer.write(line)
                await writer.drain()
            return False
        if fault == "stalled_stream":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            for _ in range(150):  # keep-alive comments only, for up to 30 s
                writer.write(b"f\r\n: keep-alive\n\n\r\n")
                await writer.drain()
                await asyncio.sleep(0.2)
            return False
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()
        return False


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    running = await start_sim(SimConfig(time_scale=0.05, error_scale=0.0))
    try:
        yield running
    finally:
        await running.stop()


async def _client(
    client: httpx.AsyncClient, url: str, i: int, answered: dict[str, int], failures: list[str], stop: asyncio.Event
) -> None:
    for n in itertools.count():
        if stop.is_set():
            return
        stream = (i + n) % 2 == 0
        body = {
            "model": "gpt-4o",
            "user": f"user-{i}",
            "stream": stream,
            "messages": [{"role": "user", "content": f"What is {n} + {i}?"}],
        }
        try:
            async with client.stream("POST", url + "/v1/chat/completions", json=body) as r:
                text = (await r.aread()).decode()
        except httpx.HTTPError:
            await asyncio.sleep(0.02)  # the gateway stopped accepting: keep trying until the test ends
            continue
        request_id = r.headers.get("x-request-id")
        if request_id:
            answered[request_id] = r.status_code
        complete = "data: [DONE]" in text if stream else '"choices"' in text
        if r.status_code != 200 or not complete:
            failures.append(f"{r.status_code} stream={stream}: {text[:300]}")


async def test_a_misbehaving_shadow_vendor_never_reaches_the_app_and_sigterm_keeps_every_record(
    sim: RunningSim, tmp_path: Path
) -> None:
    vendor = BadVendor()
    bad = await vendor.start()
    config = tmp_path / "migration.yaml"
    config.write_text(MIGRATION.format(sim=sim.base_url, bad=bad))
    gateway = GatewayProcess(config, env={"OPENAI_API_KEY": "sk-test-not-a-real-key"})
    answered: dict[str, int] = {}
    failures: list[str] = []
    try:
        await asyncio.to_thread(gateway.wait_ready, 60.0)
        stop = asyncio.Event()
        async with httpx.AsyncClient(timeout=30) as client:
            tasks = [asyncio.create_task(_client(client, gateway.url, i, answered, failures, stop)) for i in range(16)]
            deadline = asyncio.get_running_loop().time() + 60
            while len(answered) < 150 and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)  # every fault comes round many times (a loaded machine is slower)
            before_stop = dict(answered)
            failures_before_stop = list(failures)
            code = await asyncio.to_thread(gateway.terminate, 60.0)
            stop.set()
            await asyncio.gather(*tasks)
    finally:
        gateway.kill()
        await vendor.stop()

    log = gateway.log.read_text()
    assert code in (0, -15), log
    assert all(vendor.calls[f] > 0 for f in BadVendor.FAULTS), f"not every fault was exercised: {vendor.calls}"
    assert len(before_stop) > 100, "the load did not get going"
    assert not failures_before_stop, f"{len(failures_before_stop)} client-visible failures: {failures_before_stop[:3]}"
    with sqlite3.connect(tmp_path / "records.db") as db:
        stored = dict(db.execute("SELECT id, status FROM requests").fetchall())
        shadow_errors = db.execute("SELECT count(*) FROM shadow_pairs WHERE error_kind IS NOT NULL").fetchone()[0]
    missing = set(answered) - set(stored)
    assert not missing, f"{len(missing)} of {len(answered)} answered requests have no record"
    assert all(stored[rid] == status for rid, status in answered.items()), "a record's status differs from the answer"
    assert shadow_errors > 0, "the shadow vendor's failures were not recorded"
    assert bad.split("//")[1] not in log, "the vendor's address leaked into the gateway's log"
