"""One owner of retries per request: the app's SDK retries what the vendor answered, told by
``x-should-retry``; the gateway does not retry it again, and a retry budget caps them all.

Counted where it matters: the calls a failing vendor receives for one SDK call at the SDKs'
default settings (``max_retries=2``) and the gateway's (``max_retries: 2``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from modelswap.rollout import flag
from modelswap.sim import RunningSim
from modelswap.store import Store

from .conftest import (
    CLAUDE_OLD,
    NEW,
    OLD,
    WORKLOAD,
    Gateway,
    Scripted,
    StartGateway,
    anthropic_endpoint,
    migration_of,
    openai_endpoint,
    sample,
)

Script = Callable[..., Awaitable[Scripted]]
ASK = [{"role": "user", "content": "hi"}]
OVERLOADED_503 = {"error": {"message": "The server is overloaded", "type": "server_error", "param": None, "code": None}}
FAST = {"retry-after-ms": "5"}  # so the SDK's retries come quickly; the gateway passes it on


async def serving(
    start_gateway: StartGateway,
    tmp_path: Path,
    store: Store,
    sim: RunningSim,
    old: dict[str, Any],
    **top: Any,
) -> Gateway:
    """A gateway on a real socket whose old model (the one serving) is ``old``, at default retries."""
    migration = migration_of(tmp_path, old, openai_endpoint(sim, NEW, max_retries=0), **top)
    flag.set_stage(store, WORKLOAD, "split", 0, "test", "old only")
    return await start_gateway(migration)


async def test_one_openai_sdk_call_costs_the_failing_vendor_three_calls_not_nine(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(503, OVERLOADED_503, FAST)
    gw = await serving(start_gateway, tmp_path, store, sim, openai_endpoint(vendor.openai_url, OLD))
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key") as app:  # SDK defaults
        with pytest.raises(openai.InternalServerError) as caught:
            await app.chat.completions.create(model=OLD, messages=ASK)  # type: ignore[arg-type]
    assert caught.value.status_code == 503
    assert caught.value.response.headers["x-should-retry"] == "true"
    assert len(vendor.received) == 3, "the SDK's 1 + 2 retries, each one vendor call (was 3 x 3 = 9)"


async def test_one_anthropic_sdk_call_gets_overloaded_error_after_three_vendor_calls(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(
        529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, FAST
    )
    gw = await serving(start_gateway, tmp_path, store, sim, anthropic_endpoint(vendor.base_url, CLAUDE_OLD))
    async with anthropic.AsyncAnthropic(base_url=gw.base_url, api_key="app-key") as app:  # SDK defaults
        with pytest.raises(anthropic.OverloadedError):
            await app.messages.create(model=CLAUDE_OLD, max_tokens=10, messages=ASK)  # type: ignore[arg-type]
    assert len(vendor.received) == 3


async def test_an_empty_retry_budget_tells_the_app_not_to_retry(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(503, OVERLOADED_503, FAST)
    upstream = {"retry_budget": {"ratio": 0, "min_per_s": 0, "burst": 0}}
    gw = await serving(start_gateway, tmp_path, store, sim, openai_endpoint(vendor.openai_url, OLD), upstream=upstream)
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key") as app:
        with pytest.raises(openai.InternalServerError) as caught:
            await app.chat.completions.create(model=OLD, messages=ASK)  # type: ignore[arg-type]
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert len(vendor.received) == 1


async def test_the_budget_caps_retries_of_a_failing_vendor_across_requests(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(503, OVERLOADED_503, FAST)
    upstream = {"retry_budget": {"ratio": 0, "min_per_s": 0, "burst": 2}}
    gw = await serving(start_gateway, tmp_path, store, sim, openai_endpoint(vendor.openai_url, OLD), upstream=upstream)
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key") as app:
        for _ in range(5):
            with pytest.raises(openai.InternalServerError):
                await app.chat.completions.create(model=OLD, messages=ASK)  # type: ignore[arg-type]
    assert len(vendor.received) == 5 + 2, "five requests and the two retries the budget held"
    metrics = await gw.metrics()
    assert sample(metrics, "modelswap_retries_granted_total", endpoint="old") == 2
    assert sample(metrics, "modelswap_retries_denied_total", endpoint="old") == 5, "1 + 1 per later request"
    assert sample(metrics, "modelswap_retry_budget_available", endpoint="old") == 0


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (400, {"error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}}, {}),
        (429, {"error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}}, {}),
        (503, OVERLOADED_503, {"x-should-retry": "false"}),
        (
            429,
            {"error": {"message": "slow", "type": "requests", "code": "rate_limit_exceeded"}},
            {"retry-after": "600"},
        ),
    ],
    ids=["bad-request", "spent-quota", "vendor-says-no", "wait-longer-than-a-client-would"],
)
async def test_what_retrying_cannot_cure_is_answered_with_x_should_retry_false(
    status: int,
    body: dict[str, Any],
    headers: dict[str, str],
    start_gateway: StartGateway,
    tmp_path: Path,
    store: Store,
    sim: RunningSim,
    scripted: Script,
) -> None:
    vendor = await scripted(status, body, headers)
    gw = await serving(start_gateway, tmp_path, store, sim, openai_endpoint(vendor.openai_url, OLD))
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key") as app:
        with pytest.raises(openai.APIStatusError) as caught:
            await app.chat.completions.create(model=OLD, messages=ASK)  # type: ignore[arg-type]
    assert caught.value.status_code == status
    assert caught.value.response.headers["x-should-retry"] == "false"
    if "retry-after" in headers:
        assert caught.value.response.headers["retry-after"] == "600", "the wait is still told"
    assert len(vendor.received) == 1


async def test_a_connection_that_never_opened_is_retried_by_the_gateway_not_the_app(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim
) -> None:
    from .conftest import dead_url

    gw = await serving(start_gateway, tmp_path, store, sim, openai_endpoint(dead_url() + "/v1", OLD))
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key") as app:
        with pytest.raises(openai.APIStatusError) as caught:
            await app.chat.completions.create(model=OLD, messages=ASK)  # type: ignore[arg-type]
    assert caught.value.status_code == 502
    assert caught.value.response.headers["x-should-retry"] == "false", "the gateway already retried it"
    assert caught.value.code == "upstream_connection"
    await gw.settle(requests=1)
    assert [(r.status, r.error_kind) for r in gw.requests()] == [(502, "connection")], "one SDK attempt"
