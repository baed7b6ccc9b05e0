"""Delays follow the profile, scaled by time_scale."""

from __future__ import annotations

import time

import openai
import pytest

from modelswap.sim import ProfileOverride, SimConfig, start_sim
from modelswap.sim.conversation import Conversation, Turn
from modelswap.sim.engine import SimEngine

SLOW = ProfileOverride(latency_p50_ms=80, latency_p95_ms=80, ttft_p50_ms=60, ttft_p95_ms=60, tokens_per_s=1000)


async def _timed(config: SimConfig, stream: bool) -> tuple[float, float]:
    async with (
        await start_sim(config) as sim,
        openai.AsyncOpenAI(base_url=sim.base_url, api_key="k", max_retries=0) as client,
    ):
        start = time.perf_counter()
        first = None
        if stream:
            chunks = await client.chat.completions.create(
                model="slow", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            async for _ in chunks:
                first = first or time.perf_counter() - start
        else:
            await client.chat.completions.create(model="slow", messages=[{"role": "user", "content": "hi"}])
        return time.perf_counter() - start, first or 0.0


def _planned(time_scale: float) -> tuple[float, float, float]:
    """The delays the simulator decides for one request: total latency, first token, per token."""
    engine = SimEngine(SimConfig(error_scale=0, time_scale=time_scale, models={"slow": SLOW}))
    plan = engine.plan("slow", Conversation("", (Turn("user", "hi"),)), max_tokens=None, server_statuses=(500, 503))
    return plan.latency_s, plan.ttft_s, plan.s_per_token


async def test_latency_is_applied() -> None:
    # A lower bound only: a loaded machine makes a request slower, never faster than its planned delay.
    full, _ = await _timed(SimConfig(error_scale=0, models={"slow": SLOW}), stream=False)
    assert full >= 0.075


@pytest.mark.parametrize("time_scale", [0.0, 0.01, 0.5, 2.0])
def test_every_delay_is_scaled_by_time_scale(time_scale: float) -> None:
    # Compare the planned delays (a ratio), not a wall clock an idle machine would be needed for.
    full = _planned(1.0)
    assert full[0] == pytest.approx(0.080) and full[1] == pytest.approx(0.060)
    scaled = _planned(time_scale)
    assert scaled == pytest.approx(tuple(time_scale * v for v in full))


async def test_stream_waits_for_time_to_first_token() -> None:
    total, first = await _timed(SimConfig(error_scale=0, models={"slow": SLOW}), stream=True)
    assert 0.055 <= first < total
