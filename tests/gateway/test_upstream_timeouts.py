"""A hung vendor costs the app the first-byte timeout (then a 504 or the fallback), not minutes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from modelswap.rollout import flag
from modelswap.sim import RunningSim
from modelswap.store import Store

from .conftest import NEW, OLD, WORKLOAD, Scripted, StartGateway, migration_of, openai_endpoint

Script = Callable[..., Awaitable[Scripted]]
ASK = {"model": OLD, "messages": [{"role": "user", "content": "hi"}]}
QUICK = {"first_byte_timeout_s": 0.3, "idle_timeout_s": 30}


@pytest.mark.parametrize("stream", [False, True])
async def test_a_hung_vendor_is_a_504_after_the_first_byte_timeout(
    stream: bool, start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(200, {}, delay_s=60)  # takes the request, then says nothing
    migration = migration_of(
        tmp_path, openai_endpoint(vendor.openai_url, OLD), openai_endpoint(sim, NEW), upstream=QUICK
    )
    flag.set_stage(store, WORKLOAD, "split", 0, "test", "old only")
    gw = await start_gateway(migration, wire=False)
    r = await gw.client.post("/v1/chat/completions", json={**ASK, "stream": stream}, timeout=httpx.Timeout(10))
    assert r.status_code == 504
    error = r.json()["error"]
    assert error["code"] == "upstream_timeout" and "first-byte timeout" in error["message"]
    assert "0.3s" in error["message"]
    assert len(vendor.received) == 1, "a request the vendor received is not re-sent by the gateway"
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert (row.status, row.error_kind) == (504, "timeout")
    assert row.latency_ms < 10_000, "answered by the first-byte clock, not the test's guard"


async def test_a_hung_new_model_falls_back_to_old_after_the_first_byte_timeout(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(200, {}, delay_s=60)
    migration = migration_of(
        tmp_path,
        openai_endpoint(sim, OLD),
        openai_endpoint(vendor.openai_url, NEW, first_byte_timeout_s=0.3),
        workloads=[{"name": WORKLOAD, "fallback_to_old": True}],
    )
    flag.set_stage(store, WORKLOAD, "full", None, "test", "cutover")
    gw = await start_gateway(migration, wire=False)
    r = await gw.client.post("/v1/chat/completions", json=ASK, timeout=httpx.Timeout(10))
    assert r.status_code == 200 and r.headers["x-modelswap-arm"] == "old"
    await gw.settle(requests=2)
    assert sorted((row.arm, row.status) for row in gw.requests()) == [("new", 504), ("old", 200)]
