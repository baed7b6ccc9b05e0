"""``GET /metrics``: what Prometheus, Grafana, Argo Rollouts or Flagger read from a replica."""

from __future__ import annotations

import asyncio
from pathlib import Path

from modelswap.config import Migration
from modelswap.rollout import flag
from modelswap.sim import RunningSim
from modelswap.store import Store

from .conftest import NEW, OLD, WORKLOAD, StartGateway, dead_url, migration_of, openai_endpoint, sample

ASK = {"model": OLD, "messages": [{"role": "user", "content": "hi"}]}


async def test_requests_latency_ttft_and_shadow_outcomes(start_gateway: StartGateway, migration: Migration) -> None:
    gw = await start_gateway(migration, wire=False)
    for stream in (False, False, False, True, True):
        assert (await gw.client.post("/v1/chat/completions", json={**ASK, "stream": stream})).status_code == 200
    await gw.settle(requests=5, pairs=5)

    r = await gw.client.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    labels = {"workload": WORKLOAD, "arm": "old"}
    assert sample(text, "modelswap_requests_total", status="200", **labels) == 5
    assert sample(text, "modelswap_request_duration_seconds_count", **labels) == 5
    assert sample(text, "modelswap_request_duration_seconds_bucket", le="+Inf", **labels) == 5
    assert sample(text, "modelswap_request_duration_seconds_sum", **labels) > 0
    assert sample(text, "modelswap_time_to_first_token_seconds_count", **labels) == 2
    assert sample(text, "modelswap_shadow_requests_total", workload=WORKLOAD, arm="new", outcome="ok") == 5
    assert sample(text, "modelswap_shadow_dropped_total") == 0
    assert sample(text, "modelswap_recorder_queue_depth") == 0
    assert sample(text, "modelswap_recorder_dropped") == 0
    assert sample(text, "modelswap_request_errors_total") == 0


async def test_errors_by_arm_and_kind(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    migration = migration_of(
        tmp_path, openai_endpoint(sim, OLD, max_retries=0), openai_endpoint(dead_url() + "/v1", NEW, max_retries=0)
    )
    flag.set_stage(store, WORKLOAD, "full", None, "test", "cutover")
    gw = await start_gateway(migration, wire=False)
    assert (await gw.client.post("/v1/chat/completions", json=ASK)).status_code == 502
    text = await gw.metrics()
    assert sample(text, "modelswap_requests_total", workload=WORKLOAD, arm="new", status="502") == 1
    assert sample(text, "modelswap_request_errors_total", workload=WORKLOAD, arm="new", kind="connection") == 1


async def test_recorder_depth_shows_pending_records(start_gateway: StartGateway, migration: Migration) -> None:
    gw = await start_gateway(migration, wire=False, flush_interval_s=60)
    await gw.client.post("/v1/chat/completions", json=ASK)
    for _ in range(100):
        if gw.app.recorder.depth == 2:
            break
        await asyncio.sleep(0.01)
    assert sample(await gw.metrics(), "modelswap_recorder_queue_depth") == 2, "the request and its shadow pair"


async def test_rollback_and_share_gauges_follow_the_routing_state(
    start_gateway: StartGateway, migration: Migration, store: Store
) -> None:
    flag.set_stage(store, WORKLOAD, "split", 10, "test", "canary")
    gw = await start_gateway(migration, wire=False)
    text = await gw.metrics()
    assert sample(text, "modelswap_new_model_share_percent", workload=WORKLOAD) == 10
    assert sample(text, "modelswap_rollback_active", workload=WORKLOAD) == 0

    flag.rollback(store, [WORKLOAD], "alice", "drill")
    await asyncio.to_thread(gw.app.routes.refresh)
    text = await gw.metrics()
    assert sample(text, "modelswap_rollback_active", workload=WORKLOAD) == 1
    assert sample(text, "modelswap_new_model_share_percent", workload=WORKLOAD) == 0

    flag.set_stage(store, WORKLOAD, "full", None, "alice", "promote", clear_rollback=True)
    await asyncio.to_thread(gw.app.routes.refresh)
    assert sample(await gw.metrics(), "modelswap_new_model_share_percent", workload=WORKLOAD) == 100
