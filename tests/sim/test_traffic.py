"""The traffic generator: rate, mix, streaming share, user pool, bounded concurrency, errors."""

from __future__ import annotations

import math
import random

import pytest
from pydantic import ValidationError

from modelswap.sim import ProfileOverride, RunningSim, SimConfig, start_sim
from modelswap.sim.traffic import TrafficSpec, arrivals, build_request, run_traffic

MIX = {"support-chat": 0.5, "ticket-triage": 0.3, "order-tools": 0.2}


def _close(observed: float, expected_p: float, n: int, sds: float = 4.0) -> bool:
    return abs(observed - expected_p * n) <= sds * math.sqrt(n * expected_p * (1 - expected_p))


async def test_hits_rate_and_respects_mix(sim: RunningSim) -> None:
    spec = TrafficSpec(mix=MIX, rate=300, count=300, seed=7, stream_fraction=0.3, users=20)
    summary = await run_traffic(sim.base_url, spec)
    assert summary.sent == summary.ok == 300 and summary.errors == {}
    # achieved_rate counts requests over the seeded schedule, so it is a count, not a wall clock;
    # the wall clock is only bounded below (a loaded machine sends later, never earlier than scheduled).
    assert summary.achieved_rate == pytest.approx(300, rel=0.25)
    assert summary.elapsed_s >= list(arrivals(spec))[-1]
    for workload, weight in MIX.items():
        assert _close(summary.by_workload[workload], weight, 300), summary.by_workload
    assert _close(summary.streamed, 0.3, 300)
    assert summary.latency_p50_ms is not None and summary.latency_p95_ms is not None
    assert summary.ttft_p50_ms is not None
    seen = {s.workload for s in sim.engine.served}
    assert seen == set(MIX), "every request carries its x-modelswap-workload header"


async def test_duration_mode_sends_rate_times_duration(sim: RunningSim) -> None:
    spec = TrafficSpec(mix={"arithmetic": 1}, rate=200, duration_s=0.5)
    summary = await run_traffic(sim.base_url, spec)
    assert summary.sent == len(list(arrivals(spec))), "every scheduled arrival is sent, however slow the machine"
    assert abs(summary.sent - 100) <= 4 * math.sqrt(100)
    assert summary.achieved_rate == pytest.approx(summary.sent / 0.5)
    assert summary.elapsed_s >= list(arrivals(spec))[-1]


def test_requests_are_tagged_and_users_come_from_the_pool() -> None:
    spec = TrafficSpec(mix=MIX, rate=1, count=1, users=5, api_key="sk-x", stream_fraction=1.0)
    rng = random.Random(0)
    users = set()
    for _ in range(200):
        workload, body, headers = build_request(spec, rng)
        assert headers["x-modelswap-workload"] == workload
        assert headers["Authorization"] == "Bearer sk-x"
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
        assert ("tools" in body) == (workload == "order-tools")
        users.add(body["user"])
    assert users == {f"user-{i}" for i in range(5)}


def test_arrivals_are_seeded_poisson() -> None:
    spec = TrafficSpec(mix=MIX, rate=50, count=2000, seed=3)
    times = list(arrivals(spec))
    assert times == list(arrivals(spec))
    assert len(times) == 2000 and times == sorted(times)
    assert times[-1] == pytest.approx(2000 / 50, rel=0.1)


async def test_concurrency_is_bounded() -> None:
    slow = ProfileOverride(latency_p50_ms=20, latency_p95_ms=20)
    config = SimConfig(error_scale=0, models={"gpt-4o": slow})
    async with await start_sim(config) as sim:
        spec = TrafficSpec(mix={"support-chat": 1}, rate=1000, count=20, concurrency=2)
        summary = await run_traffic(sim.base_url, spec)
    assert summary.ok == 20
    assert summary.late > 0
    assert summary.elapsed_s >= 20 / 2 * 0.02 * 0.9, "at most 2 requests may be in flight"


async def test_errors_are_counted_by_status() -> None:
    config = SimConfig(time_scale=0, models={"gpt-4o": ProfileOverride(error_rate=0.3, rate_limit_rate=0.2)})
    async with await start_sim(config) as sim:
        summary = await run_traffic(sim.base_url, TrafficSpec(mix=MIX, rate=2000, count=200))
    assert summary.sent == 200
    assert set(summary.errors) == {"429", "500", "503"}
    assert summary.ok + sum(summary.errors.values()) == 200


def test_spec_is_validated() -> None:
    with pytest.raises(ValidationError, match="unknown workloads"):
        TrafficSpec(mix={"nope": 1}, rate=1, count=1)
    with pytest.raises(ValidationError, match="duration_s or count"):
        TrafficSpec(mix=MIX, rate=1)
