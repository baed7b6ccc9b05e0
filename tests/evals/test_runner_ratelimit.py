"""Per-endpoint limits: calls in flight, requests per second and tokens per minute, measured."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelswap.evals.endpoint import EvalEndpoint
from modelswap.evals.ratelimit import Limiter, RateLimit, TokenBucket, estimate_tokens
from modelswap.evals.runner import run_eval
from modelswap.evals.targets import limited
from modelswap.store import Store, open_store

from .runner_fakes import FakeModel, arithmetic_cases, write_golden


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'evals.db'}") as s:
        yield s


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_refills_at_its_rate_and_lets_a_large_take_into_debt() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, capacity=5, clock=clock)
    assert bucket.wait_time(5) == 0
    bucket.take(5)
    assert bucket.wait_time(1) == pytest.approx(0.1)
    clock.now += 0.25
    assert bucket.level == pytest.approx(2.5)
    assert bucket.wait_time(50) == pytest.approx(0.25)  # a take above capacity waits for a full bucket
    clock.now += 0.25
    bucket.take(50)
    assert bucket.level == pytest.approx(-45)
    assert bucket.wait_time(1) == pytest.approx(4.6)
    bucket.give(40)
    assert bucket.level == pytest.approx(-5)
    clock.now += 100
    assert bucket.level == 5  # never above capacity


def test_rate_limits_parse_from_the_command_line_form() -> None:
    assert RateLimit.parse("concurrency=8, rpm=600,tpm=200000") == RateLimit(8, 600.0, 200000.0)
    assert RateLimit.parse("rps=2.5") == RateLimit(requests_per_minute=150.0)
    assert RateLimit.parse("") == RateLimit()
    assert RateLimit(4, 60.0).to_dict() == {"max_concurrency": 4, "requests_per_minute": 60.0}
    for bad, message in (
        ("speed=3", "key one of"),
        ("rpm=fast", "expected a number"),
        ("concurrency=2.5", "whole number"),
        ("rpm=0", "positive"),
        ("concurrency=0", "at least 1"),
    ):
        with pytest.raises(ValueError, match=message):
            RateLimit.parse(bad)


def test_estimated_tokens_count_the_prompt_and_the_completion_budget() -> None:
    body = {"messages": [{"role": "user", "content": "x" * 400}], "max_tokens": 50}
    assert 100 <= estimate_tokens(body) - 50 <= 115
    assert estimate_tokens({"messages": []}) >= 256


async def test_requests_per_second_hold_during_a_run(tmp_path: Path, store: Store) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(31))
    fake = FakeModel()
    endpoints = limited({"old": fake}, concurrency=16, limits={"old": RateLimit(requests_per_minute=1200)})
    summary = await run_eval(store, "w", golden, endpoints)
    assert summary.status == "finished" and fake.total == 31
    times = sorted(fake.times)
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert 17 <= rate <= 20 * 1.05  # 20 requests/s asked; evenly spaced, no burst
    for i, start in enumerate(times):
        in_one_second = sum(1 for t in times[i:] if t < start + 1.0)
        assert in_one_second <= 21


async def test_concurrency_holds_per_endpoint_and_in_total(tmp_path: Path, store: Store) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(30))
    shared = {"now": 0, "max": 0}

    def track(delta: int) -> None:
        shared["now"] += delta
        shared["max"] = max(shared["max"], shared["now"])

    class Tracked(FakeModel):
        async def complete(self, body: dict[str, object]) -> dict[str, object]:
            track(+1)
            try:
                return await super().complete(body)
            finally:
                track(-1)

    a, b, c = Tracked("a", delay=0.01), Tracked("b", delay=0.01), Tracked("c", delay=0.01)
    limits = {"a": RateLimit(max_concurrency=2), "b": RateLimit(max_concurrency=3)}
    endpoints = limited({"a": a, "b": b, "c": c}, concurrency=6, limits=limits)
    summary = await run_eval(store, "w", golden, endpoints)
    assert summary.status == "finished" and a.total == b.total == c.total == 30
    assert a.max_in_flight == 2 and b.max_in_flight == 3 and c.max_in_flight <= 6
    assert shared["max"] == 6


async def test_tokens_per_minute_hold_on_the_tokens_actually_used() -> None:
    fake = FakeModel()  # every answer reports 30 prompt + 2 completion tokens
    endpoint = EvalEndpoint(fake, Limiter(RateLimit(tokens_per_minute=12000)))  # 200 tokens/s
    body = {"model": "fake-1", "messages": [{"role": "user", "content": "What is 1 + 7?"}], "max_tokens": 8}
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(12):
        await endpoint.answer(body)
    elapsed = loop.time() - started
    used = 12 * 32
    assert used / elapsed <= 200 * 1.15 + 200 / elapsed  # the rate, plus one bucket's worth at the start
    assert elapsed >= (used - 200 - 32) / 200 * 0.95  # could not have gone faster than the rate allows


async def test_a_429_pause_holds_back_the_endpoint_not_the_others() -> None:
    clock_start = asyncio.get_running_loop().time()
    limiter = Limiter(RateLimit())
    limiter.pause(0.2)
    other = Limiter(RateLimit())
    async with other.slot():
        assert asyncio.get_running_loop().time() - clock_start < 0.05
    async with limiter.slot():
        assert asyncio.get_running_loop().time() - clock_start >= 0.19
