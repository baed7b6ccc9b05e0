from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.providers import (
    AnthropicUpstream,
    HttpPool,
    OpenAIUpstream,
    Retrying,
    RetryPolicy,
    Upstream,
    UpstreamError,
    backoff_delay,
)
from modelswap.providers.base import Dialect, ErrorKind

from .conftest import Serve
from .fakes import Script, json_reply, sse_reply
from .payloads import (
    ANTHROPIC_OVERLOADED,
    OPENAI_COMPLETION,
    OPENAI_ERROR_400,
    OPENAI_ERROR_429,
    OPENAI_ERROR_500,
    anthropic_events_text,
    anthropic_sse,
)

REQUEST = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def fail(kind: ErrorKind, retry_after: float | None = None) -> UpstreamError:
    return UpstreamError(f"{kind}!", kind=kind, status=500, provider="fake", retry_after=retry_after)


class FakeUpstream:
    """Plays scripted outcomes: an exception, a result, or (for streams) events then maybe an error."""

    name = "fake"
    model = "fake-model"
    dialect: Dialect = "openai"

    def __init__(self, outcomes: list[Any]) -> None:
        self.outcomes = outcomes
        self.calls = 0
        self.closed = False

    async def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        outcome = self.outcomes[self.calls]
        self.calls += 1
        if isinstance(outcome, Exception):
            raise outcome
        return dict(outcome)

    async def stream(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        outcome = self.outcomes[self.calls]
        self.calls += 1
        for item in outcome:
            if isinstance(item, Exception):
                raise item
            yield item

    async def aclose(self) -> None:
        self.closed = True


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def retrying(inner: Upstream, max_retries: int = 2) -> tuple[Retrying, Sleeps]:
    sleeps = Sleeps()
    policy = RetryPolicy(max_retries=max_retries, base_delay_s=0.5, max_delay_s=20)
    return Retrying(inner, policy, sleep=sleeps, jitter=lambda: 1.0), sleeps


# ---------------------------------------------------------------- backoff_delay


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=3)
    assert [backoff_delay(a, None, policy, jitter=1.0) for a in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff_delay(0, None, policy, jitter=0.0) == 0.25


def test_backoff_honours_retry_after_capped() -> None:
    policy = RetryPolicy(max_delay_s=20)
    assert backoff_delay(0, 7.0, policy, jitter=0.3) == 7.0
    assert backoff_delay(3, 90.0, policy, jitter=0.3) == 20.0
    assert backoff_delay(0, 0.0, policy, jitter=0.3) == 0.0


@given(
    st.integers(0, 60),
    st.none() | st.floats(-5, 1e6),
    st.floats(0, 1),
    st.floats(0, 10),
    st.floats(0, 100),
)
def test_backoff_is_always_within_bounds(
    attempt: int, retry_after: float | None, jitter: float, base: float, cap: float
) -> None:
    delay = backoff_delay(attempt, retry_after, RetryPolicy(base_delay_s=base, max_delay_s=cap), jitter)
    assert 0.0 <= delay <= cap


def test_policy_rejects_negative_values() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


# ---------------------------------------------------------------- Retrying, in memory


async def test_complete_retries_retryable_errors_then_succeeds() -> None:
    inner = FakeUpstream([fail("overloaded"), fail("rate_limited", retry_after=3.0), {"ok": True}])
    up, sleeps = retrying(inner)
    assert await up.complete(REQUEST) == {"ok": True}
    assert inner.calls == 3 and sleeps.delays == [0.5, 3.0]
    assert isinstance(up, Upstream) and (up.name, up.model, up.dialect) == ("fake", "fake-model", "openai")


async def test_complete_gives_up_after_max_retries() -> None:
    inner = FakeUpstream([fail("server"), fail("server"), fail("timeout")])
    up, sleeps = retrying(inner)
    with pytest.raises(UpstreamError, match="timeout!"):
        await up.complete(REQUEST)
    assert inner.calls == 3 and len(sleeps.delays) == 2


@pytest.mark.parametrize("kind", ["bad_request", "auth", "protocol"])
async def test_complete_does_not_retry_permanent_errors(kind: ErrorKind) -> None:
    inner = FakeUpstream([fail(kind), {"ok": True}])
    up, sleeps = retrying(inner)
    with pytest.raises(UpstreamError):
        await up.complete(REQUEST)
    assert inner.calls == 1 and sleeps.delays == []


async def test_stream_retries_before_the_first_event() -> None:
    inner = FakeUpstream([[fail("connection")], [{"n": 1}, {"n": 2}]])
    up, sleeps = retrying(inner)
    assert [e async for e in up.stream(REQUEST)] == [{"n": 1}, {"n": 2}]
    assert inner.calls == 2 and sleeps.delays == [0.5]


async def test_stream_never_retries_after_output_started() -> None:
    inner = FakeUpstream([[{"n": 1}, fail("overloaded")], [{"n": 1}, {"n": 2}]])
    up, sleeps = retrying(inner)
    seen = []
    with pytest.raises(UpstreamError, match="overloaded!"):
        async for event in up.stream(REQUEST):
            seen.append(event)
    assert seen == [{"n": 1}] and inner.calls == 1 and sleeps.delays == []


async def test_zero_retries_and_aclose() -> None:
    inner = FakeUpstream([fail("server")])
    up, _ = retrying(inner, max_retries=0)
    with pytest.raises(UpstreamError):
        await up.complete(REQUEST)
    await up.aclose()
    assert inner.closed


# ---------------------------------------------------------------- Retrying, over the wire


async def test_429_with_retry_after_is_honoured_then_succeeds(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(OPENAI_ERROR_429, 429, {"Retry-After": "1"}), json_reply(OPENAI_COMPLETION)])
    base = await serve(script.app("/v1/chat/completions"))
    up, sleeps = retrying(OpenAIUpstream("old", "gpt-4o", f"{base}/v1", "k", pool))
    assert await up.complete(REQUEST) == OPENAI_COMPLETION
    assert sleeps.delays == [1.0] and len(script.seen) == 2


async def test_retry_after_ms_wins(serve: Serve, pool: HttpPool) -> None:
    headers = {"Retry-After": "5", "retry-after-ms": "1500"}
    script = Script([json_reply(OPENAI_ERROR_429, 429, headers), json_reply(OPENAI_COMPLETION)])
    base = await serve(script.app("/v1/chat/completions"))
    up, sleeps = retrying(OpenAIUpstream("old", "gpt-4o", f"{base}/v1", "k", pool))
    await up.complete(REQUEST)
    assert sleeps.delays == [1.5]


async def test_500_then_success(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(OPENAI_ERROR_500, 500), json_reply(OPENAI_COMPLETION)])
    base = await serve(script.app("/v1/chat/completions"))
    up, sleeps = retrying(OpenAIUpstream("old", "gpt-4o", f"{base}/v1", "k", pool))
    assert await up.complete(REQUEST) == OPENAI_COMPLETION
    assert sleeps.delays == [0.5]


async def test_400_is_not_retried(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(OPENAI_ERROR_400, 400), json_reply(OPENAI_COMPLETION)])
    base = await serve(script.app("/v1/chat/completions"))
    up, _ = retrying(OpenAIUpstream("old", "gpt-4o", f"{base}/v1", "k", pool))
    with pytest.raises(UpstreamError):
        await up.complete(REQUEST)
    assert len(script.seen) == 1


async def test_529_stream_retried_then_streams(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(ANTHROPIC_OVERLOADED, 529), sse_reply(anthropic_sse(anthropic_events_text()))])
    base = await serve(script.app("/v1/messages"))
    up, sleeps = retrying(AnthropicUpstream("new", "claude", base, "k", pool))
    events = [e async for e in up.stream({"max_tokens": 5, "messages": []})]
    assert events == anthropic_events_text() and len(script.seen) == 2 and sleeps.delays == [0.5]


async def test_529_three_times_gives_up(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(ANTHROPIC_OVERLOADED, 529)])  # the last reply repeats: always 529
    base = await serve(script.app("/v1/messages"))
    up, _ = retrying(AnthropicUpstream("new", "claude", base, "k", pool))
    with pytest.raises(UpstreamError) as info:
        await up.complete({"max_tokens": 5, "messages": []})
    assert info.value.kind == "overloaded" and len(script.seen) == 3


async def test_a_retry_after_beyond_the_limit_goes_back_to_the_caller() -> None:
    from modelswap.providers.base import UpstreamError
    from modelswap.providers.retry import Retrying, RetryPolicy

    limited = UpstreamError("slow down", kind="rate_limited", status=429, provider="openai", retry_after=30.0)

    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    inner = FakeUpstream([limited] * 4)
    upstream = Retrying(inner, RetryPolicy(max_retries=3, max_retry_after_s=2.0), sleep=sleep)
    try:
        await upstream.complete({})
    except UpstreamError as exc:
        assert exc.retry_after == 30.0
    else:
        raise AssertionError("expected the 429 to reach the caller")
    assert inner.calls == 1 and slept == []
