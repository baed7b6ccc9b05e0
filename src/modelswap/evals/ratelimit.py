"""How hard the eval runner may drive one endpoint: concurrency, requests and tokens per minute.

Providers limit each key by requests and tokens per minute; an eval that ignores this gets a
storm of 429s and spends its time in backoff. ``Limiter`` keeps one endpoint under its
``RateLimit`` (token buckets for requests and tokens, a semaphore for calls in flight, a shared
semaphore for the run's total) and, when the provider answers 429 with ``Retry-After``, pauses
the whole endpoint, not just the one request that was refused.

>>> RateLimit.parse("concurrency=8,rpm=600,tpm=200000")
RateLimit(max_concurrency=8, requests_per_minute=600.0, tokens_per_minute=200000.0)
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]

DEFAULT_COMPLETION_TOKENS = 256
"""Completion tokens assumed for a request that sets no ``max_tokens`` (settled after the answer)."""

_KEYS = {
    "concurrency": ("max_concurrency", 1.0),
    "max_concurrency": ("max_concurrency", 1.0),
    "rpm": ("requests_per_minute", 1.0),
    "rps": ("requests_per_minute", 60.0),
    "tpm": ("tokens_per_minute", 1.0),
}


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Limits for one endpoint; ``None`` means no limit of that kind."""

    max_concurrency: int | None = None
    """Calls in flight at once."""
    requests_per_minute: float | None = None
    """Requests started per minute, spaced evenly (no bursts)."""
    tokens_per_minute: float | None = None
    """Prompt + completion tokens per minute, estimated before a call and settled after it."""

    def __post_init__(self) -> None:
        if self.max_concurrency is not None and self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {self.max_concurrency}")
        for name in ("requests_per_minute", "tokens_per_minute"):
            value = getattr(self, name)
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a positive number, got {value}")

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """``concurrency=8,rpm=600,tpm=200000`` (``rps=10`` also works); raises ``ValueError``."""
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, raw = part.partition("=")
            key = key.strip().lower()
            if not sep or key not in _KEYS:
                known = ", ".join(_KEYS)
                raise ValueError(f"expected key=value with key one of {known}; got {part!r}")
            field, factor = _KEYS[key]
            try:
                number = float(raw)
            except ValueError:
                raise ValueError(f"{key}: expected a number, got {raw.strip()!r}") from None
            if field == "max_concurrency":
                if number != int(number):
                    raise ValueError(f"{key}: expected a whole number, got {raw.strip()!r}")
                values[field] = int(number)
            else:
                values[field] = number * factor
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The limits that are set, for the eval run's spec."""
        out = {
            "max_concurrency": self.max_concurrency,
            "requests_per_minute": self.requests_per_minute,
            "tokens_per_minute": self.tokens_per_minute,
        }
        return {k: v for k, v in out.items() if v is not None}


class TokenBucket:
    """Refills at ``rate`` per second up to ``capacity``.

    A take larger than what the bucket holds is allowed once the bucket is full enough
    (``min(amount, capacity)``) and leaves it in debt, so one large request is never
    starved while the long-run rate still holds.
    """

    def __init__(self, rate: float, capacity: float, clock: Clock = time.monotonic) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError(f"rate and capacity must be positive, got {rate} and {capacity}")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._level = capacity
        self._at = clock()

    @property
    def level(self) -> float:
        """What the bucket holds now (negative while in debt)."""
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._at) * self.rate)
        self._at = now
        return self._level

    def wait_time(self, amount: float) -> float:
        """Seconds until ``amount`` can be taken (0 if it can be now)."""
        missing = min(amount, self.capacity) - self.level
        return 0.0 if missing <= 0 else missing / self.rate

    def take(self, amount: float) -> None:
        """Remove ``amount`` (the caller has waited ``wait_time`` first)."""
        self._level = self.level - amount

    def give(self, amount: float) -> None:
        """Put back ``amount`` (an estimate that was too high); negative to charge more."""
        self._level = min(self.capacity, self.level + amount)


def estimate_tokens(body: dict[str, Any]) -> int:
    """Tokens a chat request may use, as providers count them against a limit: about four
    characters per prompt token, plus ``max_tokens`` (or a default) for the completion."""
    prompt = len(orjson.dumps([body.get("messages"), body.get("tools"), body.get("system")])) // 4
    completion = body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_COMPLETION_TOKENS
    return int(prompt) + int(completion)


@dataclass(slots=True)
class Slot:
    """A granted call: settle the token estimate with the real usage once the answer is in."""

    limiter: Limiter
    estimated_tokens: int

    def settle(self, actual_tokens: int | None) -> None:
        if actual_tokens is not None and self.limiter.tokens is not None:
            self.limiter.tokens.give(self.estimated_tokens - actual_tokens)


class Limiter:
    """Keeps one endpoint within its ``RateLimit``; ``shared`` caps calls in flight across endpoints."""

    def __init__(
        self,
        limit: RateLimit | None = None,
        *,
        shared: asyncio.Semaphore | None = None,
        shared_size: int | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limit = limit or RateLimit()
        self._clock = clock
        self._sleep = sleep
        self._shared = shared
        self._shared_size = shared_size
        self._own = asyncio.Semaphore(self.limit.max_concurrency) if self.limit.max_concurrency else None
        self._turn = asyncio.Lock()
        rpm, tpm = self.limit.requests_per_minute, self.limit.tokens_per_minute
        # Requests are spaced evenly (no burst): any window of T seconds sees at most rate·T + 1.
        self.requests = TokenBucket(rpm / 60, 1.0, clock) if rpm else None
        self.tokens = TokenBucket(tpm / 60, max(1.0, tpm / 60), clock) if tpm else None
        self._paused_until = 0.0

    @property
    def capacity(self) -> int | None:
        """Most calls this limiter lets run at once (None: unbounded)."""
        sizes = [s for s in (self.limit.max_concurrency, self._shared_size) if s]
        return min(sizes) if sizes else None

    def pause(self, seconds: float) -> None:
        """Hold every new call for ``seconds`` (the provider said ``Retry-After``)."""
        self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))

    async def _wait_pause(self) -> None:
        while (left := self._paused_until - self._clock()) > 0:
            await self._sleep(left)

    async def _take(self, bucket: TokenBucket | None, amount: float) -> None:
        if bucket is None:
            return
        while (wait := bucket.wait_time(amount)) > 0:
            await self._sleep(wait)
        bucket.take(amount)

    @asynccontextmanager
    async def slot(self, tokens: int = 0) -> AsyncIterator[Slot]:
        """Wait for this endpoint's turn: a concurrency slot, one request and ``tokens`` tokens.

        Turns are taken in arrival order. The shared slot is taken last, so an endpoint that
        waits on its own rate limit never blocks the other endpoints' calls.
        """
        async with AsyncExitStack() as stack:
            if self._own is not None:
                await stack.enter_async_context(self._own)
            async with self._turn:
                await self._wait_pause()
                await self._take(self.requests, 1)
                await self._take(self.tokens, tokens)
            if self._shared is not None:
                await stack.enter_async_context(self._shared)
            yield Slot(self, tokens)
