"""Two gateway processes sharing one PostgreSQL store: a rollback reaches both within a second,
and no request fails while it happens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from modelswap.rollout import flag
from modelswap.sim import RunningSim, SimConfig, start_sim
from modelswap.store import open_store

from .procs import GatewayProcess

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


async def test_rollback_reaches_every_replica_within_a_second(
    pg_schema_url: str, sim: RunningSim, tmp_path: Path
) -> None:
    config = tmp_path / "migration.yaml"
    config.write_text(MIGRATION.format(store=pg_schema_url, sim=sim.base_url))
    store = open_store(pg_schema_url)
    flag.set_stage(store, "chat", "split", 50, "test", "half on the new model")
    replicas = [GatewayProcess(config), GatewayProcess(config)]
    try:
        for r in replicas:
            r.wait_ready()
        urls = [r.url for r in replicas]
        log: list[tuple] = []
        stop = asyncio.Event()
        async with httpx.AsyncClient(timeout=10) as client:
            workers = [asyncio.create_task(_load(client, urls, stop, log)) for _ in range(8)]
            await asyncio.sleep(1.5)
            await asyncio.to_thread(flag.rollback, store, ["chat"], "test", "drill")
            flipped = time.monotonic()
            await asyncio.sleep(2.0)
            stop.set()
            await asyncio.gather(*workers)
    finally:
        codes = [r.terminate() for r in replicas]
        store.close()

    failed = [entry for entry in log if entry[2] != 200]
    assert not failed, f"{len(failed)} requests failed during the flip, e.g. {failed[:3]}"
    before = [e for e in log if e[1] < flipped]
    assert {e[3] for e in before} == {"old", "new"}, "both arms served before the rollback"
    for url in urls:
        late_new = [e for e in log if e[0] == url and e[1] >= flipped + 1.0 and e[3] == "new"]
        after = [e for e in log if e[0] == url and e[1] >= flipped + 1.0]
        assert after, f"no traffic reached {url} after the flip"
        assert not late_new, f"{url} still served the new model more than 1 s after the rollback"
    assert all(code in (0, -15) for code in codes)  # uvicorn re-raises SIGTERM after a graceful stop
    assert all("Application shutdown complete" in r.log.read_text() for r in replicas)
