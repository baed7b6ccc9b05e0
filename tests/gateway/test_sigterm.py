"""SIGTERM under load: the gateway finishes what it acknowledged and every acknowledged
request's record is in the store afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiohttp import web

from modelswap.sim import SimConfig, start_sim

from .procs import GatewayProcess

MIGRATION = """\
store: sqlite:///records.db
endpoints:
  old: {{provider: sim, model: gpt-4o, base_url: "{sim}"}}
  new: {{provider: sim, model: gpt-5, base_url: "{sim}"}}
workloads:
  - name: chat
gateway: {{default_workload: chat, record_bodies: redacted}}
"""


async def _client(client: httpx.AsyncClient, url: str, i: int, acked: list[str], stop: asyncio.Event) -> None:
    while not stop.is_set():
        body = {"model": "gpt-4o", "user": f"u{i}", "messages": [{"role": "user", "content": "What is 6 * 7?"}]}
        try:
            r = await client.post(url + "/v1/chat/completions", json=body)
        except httpx.HTTPError:
            await asyncio.sleep(0.01)  # the gateway stopped accepting: keep trying until the test ends
            continue
        if r.status_code == 200:
            acked.append(r.headers["x-request-id"])


async def test_sigterm_under_load_keeps_every_acknowledged_record(tmp_path: Path) -> None:
    sim = await start_sim(SimConfig(time_scale=0.1, error_scale=0.0))
    config = tmp_path / "migration.yaml"
    config.write_text(MIGRATION.format(sim=sim.base_url))
    gateway = GatewayProcess(config)
    acked: list[str] = []
    try:
        await asyncio.to_thread(gateway.wait_ready)
        stop = asyncio.Event()
        async with httpx.AsyncClient(timeout=10) as client:
            tasks = [asyncio.create_task(_client(client, gateway.url, i, acked, stop)) for i in range(32)]
            await asyncio.sleep(1.5)
            in_flight_before = len(acked)
            code = await asyncio.to_thread(gateway.terminate)
            await asyncio.sleep(0.2)
            stop.set()
            await asyncio.gather(*tasks)
    finally:
        gateway.kill()
        await sim.stop()

    assert code in (0, -15), gateway.log.read_text()
    assert "Application shutdown complete" in gateway.log.read_text()
    assert in_flight_before > 50, "the load did not get going"
    with sqlite3.connect(tmp_path / "records.db") as db:
        stored = {row[0] for row in db.execute("SELECT id FROM requests")}
        pairs = db.execute("SELECT count(*) FROM shadow_pairs").fetchone()[0]
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged requests have no record"
    assert pairs > 0  # the default stage is shadow: mirrored answers were kept too


# -- a stop whose grace runs out: requests still running are cut, answered and recorded ---------

SLOW_MIGRATION = """\
store: sqlite:///records.db
endpoints:
  old: {{provider: openai, model: gpt-4o, base_url: "{url}/v1", api_key_env: MS_KEY, timeout_s: 30, max_retries: 0}}
  new: {{provider: openai, model: gpt-5, base_url: "{url}/v1", api_key_env: MS_KEY, max_retries: 0}}
workloads:
  - name: chat
gateway: {{default_workload: chat, shutdown_grace_s: {grace}}}
"""


def _chunk(text: str, finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}
    event = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4o", "choices": [choice]}
    return b"data: " + orjson.dumps(event) + b"\n\n"


def _slow_vendor(running: list[str]) -> web.Application:
    """gpt-5 (the shadow) answers at once; gpt-4o takes a minute, streaming a piece every 0.2 s,
    unless the prompt says ``quick`` (then a stream of one second)."""

    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body["model"] == "gpt-5":
            message = {"role": "assistant", "content": "fine"}
            usage = {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            return web.json_response(
                {
                    "id": "s",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "gpt-5",
                    "choices": [choice],
                    "usage": usage,
                }
            )
        quick = "quick" in str(body["messages"])
        running.append("stream" if body.get("stream") else "whole")
        if not body.get("stream"):
            await asyncio.sleep(60)
            raise web.HTTPServiceUnavailable
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionResetError):  # the gateway hung up: it was cut
            for _ in range(5 if quick else 300):
                await response.write(_chunk("word "))
                await asyncio.sleep(0.2)
            await response.write(_chunk("", "stop") + b"data: [DONE]\n\n")
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app


async def _call(client: httpx.AsyncClient, path: str, body: dict[str, Any], first: asyncio.Event) -> httpx.Response:
    """POST and read the whole answer; ``first`` is set when its first bytes arrive."""
    async with client.stream("POST", path, json=body) as response:
        chunks = []
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            first.set()
    response._content = b"".join(chunks)
    return response


def _sse_events(text: str) -> list[Any]:
    return [
        line[6:] if line == "data: [DONE]" else orjson.loads(line[6:])
        for line in text.splitlines()
        if line.startswith("data: ")
    ]


async def test_a_stop_whose_grace_runs_out_answers_and_records_every_request_it_cuts(
    tmp_path: Path, serve_vendor: Any
) -> None:
    running: list[str] = []
    vendor = await serve_vendor(_slow_vendor(running))
    grace = 2
    config = tmp_path / "migration.yaml"
    config.write_text(SLOW_MIGRATION.format(url=vendor, grace=grace))
    gateway = GatewayProcess(config, env={"MS_KEY": "sk-test-key-for-the-slow-vendor"})
    ask = {"model": "gpt-4o", "messages": [{"role": "user", "content": "tell me a long story"}]}
    claude = {**ask, "max_tokens": 100}
    try:
        await asyncio.to_thread(gateway.wait_ready, 60)
        async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
            calls = [
                *(("/v1/chat/completions", {**ask, "stream": True}) for _ in range(4)),
                *(("/v1/chat/completions", ask) for _ in range(3)),
                ("/v1/messages", claude),
            ]
            firsts = [asyncio.Event() for _ in calls]
            tasks = [asyncio.create_task(_call(client, p, b, f)) for (p, b), f in zip(calls, firsts, strict=True)]
            await _until(lambda: len(running) == len(calls) and all(f.is_set() for f in firsts[:4]))
            quick_first = asyncio.Event()
            quick_body = {**ask, "stream": True, "messages": [{"role": "user", "content": "quick"}]}
            quick = asyncio.create_task(_call(client, "/v1/chat/completions", quick_body, quick_first))
            await asyncio.wait_for(quick_first.wait(), 5)

            gateway.proc.send_signal(signal.SIGTERM)
            stopped_at = time.monotonic()
            await _until(lambda: _refused(gateway.port), 2.0)  # new connections are refused during the drain
            answers = await asyncio.wait_for(asyncio.gather(*tasks), grace + 10)
            ended_after = time.monotonic() - stopped_at
            finished = await quick
        code = await asyncio.to_thread(gateway.terminate)
    finally:
        gateway.kill()

    log = gateway.log.read_text()
    assert code in (0, -15) and "Application shutdown complete" in log, log  # uvicorn re-raises the signal
    assert grace - 0.5 < ended_after < grace + 6, "the cut comes when the grace runs out"
    assert finished.status_code == 200 and _sse_events(finished.text)[-1] == "[DONE]", "shorter requests finish"
    assert not any("error" in e for e in _sse_events(finished.text) if isinstance(e, dict))

    for stream in answers[:4]:  # streams end with an error event in OpenAI's shape, then [DONE]
        events = _sse_events(stream.text)
        assert stream.status_code == 200 and events[-1] == "[DONE]"
        assert events[-2]["error"]["code"] == "shutdown" and "retry" in events[-2]["error"]["message"]
    for whole in answers[4:7]:  # whole answers get a 503 in OpenAI's error shape
        assert whole.status_code == 503 and whole.json()["error"]["code"] == "shutdown"
    assert answers[7].status_code == 503 and answers[7].json()["type"] == "error", "Anthropic's shape on /v1/messages"
    assert answers[7].json()["error"]["type"] == "overloaded_error"

    with sqlite3.connect(tmp_path / "records.db") as db:
        rows = db.execute("SELECT status, error_kind, stream FROM requests").fetchall()
    cut = [r for r in rows if r[1] == "shutdown"]
    assert sorted(cut) == sorted([(503, "shutdown", 1)] * 4 + [(503, "shutdown", 0)] * 4), rows
    assert (200, None, 1) in rows and len(rows) == 9, "the quick stream is recorded as served"


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


async def _until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"not so after {timeout_s} s: {condition.__name__}"
        await asyncio.sleep(0.02)
