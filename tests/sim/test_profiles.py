"""Model profiles: the data file, overrides and the latency distribution."""

from __future__ import annotations

import statistics

import pytest
from pydantic import ValidationError

from modelswap.sim import ProfileOverride, SimConfig, resolve_profiles
from modelswap.sim.conversation import Conversation, Turn
from modelswap.sim.engine import SimEngine
from modelswap.sim.profiles import TASK_KINDS, default_profile

MODELS = [
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-5",
    "gpt-5-mini",
    "claude-opus-4-1",
    "claude-opus-4-7",
    "claude-sonnet-4-5",
    "claude-haiku-4",
    "claude-haiku-4-5",
]


def test_every_required_model_has_a_full_profile() -> None:
    profiles = resolve_profiles(SimConfig())
    assert set(MODELS) <= set(profiles)
    for model_id in MODELS:
        profile = profiles[model_id]
        assert set(TASK_KINDS) <= set(profile.quality)
        assert profile.price_out_per_mtok > 0 and profile.latency_p95_ms > profile.latency_p50_ms
    assert profiles["claude-opus-4-1"].vendor == "anthropic" and profiles["gpt-5"].vendor == "openai"


def test_overrides_merge_and_add_models() -> None:
    config = SimConfig(
        models={
            "gpt-4o": ProfileOverride(quality={"triage": 0.5}, latency_p50_ms=100, latency_p95_ms=300),
            "brand-new": ProfileOverride(quality=0.7),
        }
    )
    profiles = resolve_profiles(config)
    assert profiles["gpt-4o"].quality_for("triage") == 0.5
    assert profiles["gpt-4o"].quality_for("arithmetic") == resolve_profiles(SimConfig())["gpt-4o"].quality["arithmetic"]
    assert profiles["brand-new"].quality_for("tools") == 0.7
    assert profiles["brand-new"].tokens_per_s == default_profile().tokens_per_s


@pytest.mark.parametrize(
    "override",
    [ProfileOverride(quality=1.5), ProfileOverride(latency_p50_ms=5000), ProfileOverride(error_rate=-0.1)],
)
def test_invalid_overrides_are_rejected(override: ProfileOverride) -> None:
    with pytest.raises(ValidationError):
        resolve_profiles(SimConfig(models={"gpt-4o": override}))


def test_lognormal_fit_hits_p50_and_p95() -> None:
    profile = resolve_profiles(SimConfig())["gpt-4o"]
    assert profile.latency_ms(0.0) == pytest.approx(profile.latency_p50_ms)
    assert profile.latency_ms(1.6448536) == pytest.approx(profile.latency_p95_ms, rel=1e-6)
    assert profile.ttft_ms(0.0) == pytest.approx(profile.ttft_p50_ms)


def test_sampled_latencies_follow_the_profile() -> None:
    engine = SimEngine(SimConfig(error_scale=0))
    samples = sorted(
        engine.plan(
            "gpt-4o",
            Conversation("", (Turn("user", f"question {i}"),)),
            max_tokens=None,
            server_statuses=(500, 503),
        ).latency_s
        for i in range(4000)
    )
    profile = engine.profiles["gpt-4o"]
    assert statistics.median(samples) * 1000 == pytest.approx(profile.latency_p50_ms, rel=0.06)
    assert samples[int(0.95 * len(samples))] * 1000 == pytest.approx(profile.latency_p95_ms, rel=0.1)


def test_fault_rates_follow_the_profile() -> None:
    from modelswap.sim.errors import SimError

    config = SimConfig(models={"gpt-4o": ProfileOverride(rate_limit_rate=0.1, error_rate=0.05)})
    engine = SimEngine(config)
    statuses = []
    for i in range(4000):
        try:
            engine.plan(
                "gpt-4o", Conversation("", (Turn("user", f"q{i}"),)), max_tokens=None, server_statuses=(500, 503)
            )
            statuses.append(200)
        except SimError as err:
            statuses.append(err.status)
    assert statuses.count(429) / 4000 == pytest.approx(0.1, abs=0.02)
    assert (statuses.count(500) + statuses.count(503)) / 4000 == pytest.approx(0.05, abs=0.015)
    assert statuses.count(500) > 0 and statuses.count(503) > 0
