"""Two gateway processes sharing one PostgreSQL store: a rollback reaches both within a second,
and no request fails while it happens.

Only the propagation is timed: start-up and warm-up wait on readiness (``/healthz``, both arms
seen) with generous deadlines of their own, so a loaded machine slows the test down instead of
failing it, while the one-second bound after the flip stays exactly as strict."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from modelswap.rollout import flag
from modelswap.sim import RunningSim, SimConfig, start_sim
from modelswap.store import open_store

from .procs import STARTUP_S, GatewayProcess

MIGRATION = """\
store: "{store}"
endpoints:
  old: {{provider: sim, model: gpt-4o, base_url: "{sim}"}}
  new: {{provider: sim, model: gpt-5, base_url: "{sim}"}}
workloads:
  - name: chat
gateway: {{default_workload: chat, record_bodies: none}}
"""


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    running = await start_sim(SimConfig(time_scale=0.02, error_scale=0.0))
    try:
        yield running
    finally:
        await running.stop()


async def _load(client: httpx.AsyncClient, urls: list[str], stop: asyncio.Event, log: list[tuple]) -> None:
    i = 0
    while not stop.is_set():
        url = urls[i % len(urls)]
        sent = time.monotonic()
        body = {
            "model": "gpt-4o",
            "user": f"user-{i % 97}",
            "messages": [{"role": "user", "content": f"What is {i} + 1?"}],
        }
        try:
            r = await client.post(url + "/v1/chat/completions", json=body)
            log.append((url, sent, r.status_code, r.headers.get("x-modelswap-arm")))
        except httpx.HTTPError as exc:
            log.append((url, sent, repr(exc), None))
        i += 1


async def _until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout_s:g} s")
        await asyncio.sleep(0.05)


async def test_rollback_reaches_every_replica_within_a_second(
    pg_schema_url: str, sim: RunningSim, tmp_path: Path
) -> None:
    config = tmp_path / "migration.yaml"
    config.write_text(MIGRATION.format(store=pg_schema_url, sim=sim.base_url))
    store = open_store(pg_schema_url)
    flag.set_stage(store, "chat", "split", 50, "test", "half on the new model")
    replicas = [GatewayProcess(config), GatewayProcess(config)]
    try:
        # start-up has its own generous deadline (a loaded machine is slow to import and bind);
        # the clock that matters starts at the flip below
        await asyncio.gather(*(asyncio.to_thread(r.wait_ready, STARTUP_S) for r in replicas))
        urls = [r.url for r in replicas]
        log: list[tuple] = []
        stop = asyncio.Event()
        async with httpx.AsyncClient(timeout=30) as client:
            workers = [asyncio.create_task(_load(client, urls, stop, log)) for _ in range(8)]

            def arms_seen() -> bool:
                return all({e[3] for e in log if e[0] == url} >= {"old", "new"} for url in urls)

            def settled() -> bool:  # every replica answered enough requests sent a second after the flip
                late = [e[0] for e in log if e[1] >= flipped + 1.0 and e[2] == 200]
                return all(late.count(url) >= 20 for url in urls)

            await _until(arms_seen, 60, "every replica should serve both arms before the rollback")
            await asyncio.to_thread(flag.rollback, store, ["chat"], "test", "drill")
            flipped = time.monotonic()
            await asyncio.sleep(1.5)
            await _until(settled, 60, "every replica should answer requests sent after the flip")
            stop.set()
            await asyncio.gather(*workers)
    finally:
        codes = [r.terminate() for r in replicas]
        store.close()

    failed = [entry for entry in log if entry[2] != 200]
    assert not failed, f"{len(failed)} requests failed during the flip, e.g. {failed[:3]}"
    for url in urls:
        late_new = [e for e in log if e[0] == url and e[1] >= flipped + 1.0 and e[3] == "new"]
        assert not late_new, f"{url} still served the new model more than 1 s after the rollback: {late_new[:3]}"
    assert all(code in (0, -15) for code in codes), (
        f"exit codes {codes}"
    )  # uvicorn re-raises SIGTERM after a graceful stop
    for r in replicas:
        assert "Application shutdown complete" in r.log.read_text(), r.output()


async def test_a_replica_that_does_not_start_is_stopped_and_its_output_reported(tmp_path: Path) -> None:
    config = tmp_path / "migration.yaml"
    config.write_text(MIGRATION.format(store=f"sqlite:///{tmp_path / 'm.db'}", sim="http://127.0.0.1:9"))
    slow = GatewayProcess(config)
    with pytest.raises(TimeoutError) as caught:
        slow.wait_ready(timeout_s=0.01)  # far too short for any start-up
    assert slow.proc.poll() is not None, "a replica that missed its start-up deadline is not left running"
    assert f"gateway {slow.url} not ready after 0.01 s; its output:" in str(caught.value)

    config.write_text(MIGRATION.format(store=f"sqlite:///{tmp_path / 'm.db'}", sim="not a url"))
    broken = GatewayProcess(config)
    try:
        with pytest.raises(RuntimeError) as failed:
            await asyncio.to_thread(broken.wait_ready)
    finally:
        broken.kill()
    assert "exited with 1 while starting" in str(failed.value)
    assert "endpoints.old.base_url" in str(failed.value), "the replica's own error is in the report"
