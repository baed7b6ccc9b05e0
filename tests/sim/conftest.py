"""Fixtures: a simulator on 127.0.0.1 and the official SDKs pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import openai
import pytest

from modelswap.sim import ProfileOverride, RunningSim, SimConfig, start_sim

PERFECT = "sim-perfect"
"""A model that always answers right (quality 1.0), for tests about the wire, not quality."""
FAST = SimConfig(time_scale=0.001, error_scale=0.0, models={PERFECT: ProfileOverride(quality=1.0)})


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    running = await start_sim(FAST)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def oai(sim: RunningSim) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=sim.base_url, api_key="sk-test", max_retries=0)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def claude(sim: RunningSim) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(base_url=sim.anthropic_base_url, api_key="sk-ant-test", max_retries=0)
    try:
        yield client
    finally:
        await client.close()
