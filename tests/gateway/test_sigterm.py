"""SIGTERM under load: the gateway finishes what it acknowledged and every acknowledged
request's record is in the store afterwards."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx

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
