"""Requests refused before routing (401, 404, 413, 400) are recorded on the arm ``gateway`` with the
reason, counted in /metrics, and answered with the record's id."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anthropic
import openai
import pytest

from modelswap.gateway.auth import hash_key
from modelswap.gateway.records import REJECTED_ARM
from modelswap.sim import RunningSim

from .conftest import NEW, OLD, WORKLOAD, StartGateway, migration_of, openai_endpoint, sample

KEY = "msk-refusals-0123456789abcdef"
QUESTION = [{"role": "user", "content": "hi"}]


async def test_refusals_are_recorded_and_counted(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim) -> None:
    migration = migration_of(
        tmp_path,
        openai_endpoint(sim, OLD),
        openai_endpoint(sim, NEW),
        gateway={"keys": [{"name": "app", "sha256": hash_key(KEY)}], "max_body_bytes": 2048},
    )
    gw = await start_gateway(migration)
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="wrong-key", max_retries=0) as client:
        with pytest.raises(openai.AuthenticationError) as unauthorised:
            await client.chat.completions.create(model=OLD, messages=QUESTION)  # type: ignore[arg-type]
    async with anthropic.AsyncAnthropic(base_url=gw.base_url, api_key="wrong-key", max_retries=0) as client:
        with pytest.raises(anthropic.AuthenticationError) as unauthorised_anthropic:
            await client.messages.count_tokens(model=OLD, messages=QUESTION)  # type: ignore[arg-type]
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key=KEY, max_retries=0) as client:
        with pytest.raises(openai.APIStatusError) as too_large:
            await client.chat.completions.create(model=OLD, messages=[{"role": "user", "content": "x" * 4000}])
    no_route = await gw.client.get("/v2/models", headers={"authorization": f"Bearer {KEY}"})
    assert (too_large.value.status_code, no_route.status_code) == (413, 404)
    body = unauthorised_anthropic.value.body
    assert isinstance(body, dict) and body["type"] == "error", "Anthropic's error shape for Anthropic's API"

    await gw.settle(requests=4)
    rows = {r.id: r for r in gw.requests()}
    for request_id, status in [
        (unauthorised.value.request_id, 401),
        (unauthorised_anthropic.value.request_id, 401),
        (too_large.value.request_id, 413),
        (no_route.headers["x-request-id"], 404),
    ]:
        assert request_id is not None
        row = rows[request_id]
        assert (row.arm, row.status, row.workload) == (REJECTED_ARM, status, WORKLOAD)
        assert row.error and row.error_kind
    assert rows[unauthorised.value.request_id or ""].error_kind == "invalid_api_key"
    assert rows[too_large.value.request_id or ""].error_kind == "request_too_large"
    metrics = await gw.metrics()
    assert sample(metrics, "modelswap_requests_rejected_total", workload=WORKLOAD, status="401") == 2
    assert sample(metrics, "modelswap_requests_rejected_total", status="413") == 1
    assert sample(metrics, "modelswap_requests_rejected_total", status="404") == 1
    assert not sim.engine.counts, "no model was called"


async def test_a_blocked_client_is_counted_but_cannot_fill_the_store(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    migration = migration_of(
        tmp_path,
        openai_endpoint(sim, OLD),
        openai_endpoint(sim, NEW),
        gateway={"keys": [{"name": "app", "sha256": hash_key(KEY)}], "auth_failure_burst": 2},
    )
    gw = await start_gateway(migration)  # over TCP: the throttle counts per client address
    statuses = []
    for _ in range(12):
        r = await gw.client.post("/v1/chat/completions", json={"model": OLD, "messages": QUESTION})
        statuses.append(r.status_code)
    failures = statuses.count(401)
    assert failures <= 3 and statuses == [401] * failures + [429] * (12 - failures)
    await gw.settle(requests=failures)
    await asyncio.sleep(0.1)
    assert [r.status for r in gw.requests()] == [401] * failures, "only the failures before the block are written"
    metrics = await gw.metrics()
    assert sample(metrics, "modelswap_requests_rejected_total", status="429") == 12 - failures
