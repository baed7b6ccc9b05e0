"""One endpoint as the eval runner calls it: rate-limited, retried, timed.

The runner needs more than ``Upstream.complete``: how long the model took (not counting the
time spent queueing for a rate limit or sleeping before a retry), how many attempts it took,
and a way to tell, when a run is interrupted, which calls are on the wire (let them land:
they are paid for) and which are still waiting (drop them). Retries live here rather than in
a ``Retrying`` wrapper so that every attempt passes the rate limiter and a 429's
``Retry-After`` pauses the whole endpoint.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from modelswap.evals.ratelimit import Limiter, Sleep, estimate_tokens
from modelswap.providers.base import Dialect, Json, Upstream, UpstreamError
from modelswap.providers.retry import RetryPolicy, backoff_delay


@dataclass(frozen=True, slots=True)
class Answer:
    """A model's response body to one request, with how it was obtained."""

    body: Json
    latency_ms: float
    """Time the successful attempt took on the wire (queueing and backoff excluded)."""
    attempts: int = 1
    cached: bool = False
    """True when the body came from the response cache (``latency_ms`` is the original call's)."""


@dataclass(slots=True)
class Flight:
    """Whether a request is on the wire right now: an interrupted run lets those land."""

    sending: bool = False
    sent: int = field(default=0)
    """Attempts put on the wire so far."""


def usage_tokens(body: Json) -> int | None:
    """Prompt + completion tokens an OpenAI-style response reports, if it does."""
    usage = body.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if isinstance(prompt, int) and isinstance(completion, int):
        return prompt + completion
    return None


class EvalEndpoint:
    """An ``Upstream`` (without retries of its own) behind a ``Limiter``, retried per ``policy``.

    It is itself an ``Upstream`` (``complete``), so it can serve as an LLM judge's model too.
    """

    def __init__(
        self,
        upstream: Upstream,
        limiter: Limiter | None = None,
        policy: RetryPolicy | None = None,
        *,
        name: str | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.upstream = upstream
        self.limiter = limiter or Limiter()
        self.policy = policy or RetryPolicy()
        self.name = name or upstream.name
        self.model = upstream.model
        self.dialect: Dialect = upstream.dialect
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock

    @property
    def capacity(self) -> int | None:
        """Most calls this endpoint takes at once (None: unbounded)."""
        return self.limiter.capacity

    async def answer(self, body: Json, flight: Flight | None = None) -> Answer:
        """Send ``body``; retry transient failures (honouring ``Retry-After``); raise the last error."""
        flight = flight if flight is not None else Flight()
        estimate = estimate_tokens(body)
        attempt = 0
        while True:
            async with self.limiter.slot(estimate) as slot:
                flight.sending = True
                flight.sent += 1
                start = self._clock()
                try:
                    response = await self.upstream.complete(body)
                except UpstreamError as exc:
                    error = exc
                else:
                    slot.settle(usage_tokens(response))
                    return Answer(response, (self._clock() - start) * 1000.0, attempt + 1)
                finally:
                    flight.sending = False
            if not error.retryable or attempt >= self.policy.max_retries:
                raise error
            delay = backoff_delay(attempt, error.retry_after, self.policy, self._jitter())
            if error.kind == "rate_limited" and error.retry_after is not None:
                self.limiter.pause(delay)
            await self._sleep(delay)
            attempt += 1

    async def complete(self, body: Json) -> Json:
        """``Upstream.complete``: the response body only."""
        return (await self.answer(body)).body

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        """Streams pass through under one rate-limit slot, without retries (evals do not stream)."""
        async with self.limiter.slot(estimate_tokens(body)):
            async for event in self.upstream.stream(body):
                yield event

    async def aclose(self) -> None:
        await self.upstream.aclose()

    def __repr__(self) -> str:
        limit: dict[str, Any] = self.limiter.limit.to_dict()
        return f"EvalEndpoint({self.name!r}, model={self.model!r}, limit={limit})"
