"""Delays follow the profile, scaled by time_scale."""

from __future__ import annotations

import time

import openai

from modelswap.sim import ProfileOverride, SimConfig, start_sim

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


async def test_latency_is_applied_and_scaled() -> None:
    full, _ = await _timed(SimConfig(error_scale=0, models={"slow": SLOW}), stream=False)
    assert full >= 0.075
    scaled, _ = await _timed(SimConfig(error_scale=0, time_scale=0.01, models={"slow": SLOW}), stream=False)
    assert scaled < 0.05


async def test_stream_waits_for_time_to_first_token() -> None:
    total, first = await _timed(SimConfig(error_scale=0, models={"slow": SLOW}), stream=True)
    assert 0.055 <= first < total
