"""Retrying an upstream on transient failures, without ever duplicating streamed output, and
deciding whether the caller may retry what is left.

One owner of retries per failure: on the serving path the app's SDK already retries 429s and
5xx (twice by default), so the gateway retries only what the app cannot see or cannot retry
better — a connection that never carried the request (``RetryPolicy.only_unsent``) — and
tells the app, through the ``x-should-retry`` header (``grant_client_retry``), whether retrying
the rest is worth it. A ``RetryBudget`` bounds both kinds of retry per upstream.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from modelswap.providers.base import Dialect, Frames, Json, Upstream, UpstreamError
from modelswap.providers.retry_budget import RetryBudget

__all__ = ["MAX_CLIENT_WAIT_S", "RetryPolicy", "Retrying", "backoff_delay", "client_may_retry", "grant_client_retry"]

MAX_CLIENT_WAIT_S = 120.0
"""The longest ``Retry-After`` the official OpenAI SDK waits out; a longer one means the app
should not retry now (the SDK would otherwise retry at once, or the Anthropic SDK sleep for hours)."""

Sleep = Callable[[float], Awaitable[object]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry: ``max_retries`` extra attempts after the first."""

    max_retries: int = 2
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    max_retry_after_s: float | None = None
    """A ``Retry-After`` longer than this is not waited out: the error goes to the caller
    (on a serving path the app's own client should decide how long to wait)."""
    only_unsent: bool = False
    """Retry only failures that never sent the request (the connection could not be opened):
    the serving path, where the app's own client retries what the vendor answered."""

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError(f"RetryPolicy values must be >= 0, got {self}")


def client_may_retry(exc: UpstreamError) -> bool:
    """Whether retrying ``exc`` later could succeed: the vendor's own ``x-should-retry`` when it
    sent one, else transient kinds (429, 5xx, timeouts, connections) unless the vendor asks for a
    longer wait than a client will honour. Spent quotas and request errors: no; modelswap's own
    provider key refused: never (a retry meets the same key)."""
    if exc.kind == "auth":
        return False
    if exc.vendor is not None and exc.vendor.should_retry is not None:
        return exc.vendor.should_retry
    if not exc.retryable:
        return False
    return exc.retry_after is None or exc.retry_after <= MAX_CLIENT_WAIT_S


def grant_client_retry(exc: UpstreamError) -> bool:
    """Whether the app is told it may retry ``exc`` (``x-should-retry: true``): worth it, not
    already retried by the gateway, and paid for by the upstream's retry budget. Call it once
    per error answer: a granted retry is spent from the budget."""
    if exc.client_may_retry is False or not client_may_retry(exc):
        return False
    return exc.retry_grant() if exc.retry_grant is not None else True


def backoff_delay(attempt: int, retry_after: float | None, policy: RetryPolicy, jitter: float) -> float:
    """Seconds to wait before retry number ``attempt`` (0 = first retry).

    The server's ``Retry-After`` wins when given; otherwise exponential backoff
    ``base * 2**attempt`` with "equal jitter" (``jitter`` in [0, 1] picks a point in the
    upper half). Either way the wait never exceeds ``policy.max_delay_s``.
    """
    if retry_after is not None:
        return min(max(retry_after, 0.0), policy.max_delay_s)
    ceiling = min(policy.base_delay_s * (2.0 ** max(attempt, 0)), policy.max_delay_s)
    return ceiling * (0.5 + 0.5 * min(max(jitter, 0.0), 1.0))


class Retrying:
    """An upstream that retries its inner upstream's retryable ``UpstreamError``s.

    ``stream`` retries only while nothing has been yielded yet: once the caller has
    seen an event, a failure is raised as is, since a retry would repeat output.
    Every call deposits into ``budget`` (when given) and every retry withdraws from it: its own,
    and one the caller is later granted (``grant_client_retry`` on the error it raises).
    When the inner upstream offers raw frames (``FramesUpstream``), so does this one,
    retried the same way; otherwise it has no ``stream_frames`` attribute.
    """

    stream_frames: Callable[[Json], AsyncIterator[Frames]]

    def __init__(
        self,
        inner: Upstream,
        policy: RetryPolicy | None = None,
        *,
        budget: RetryBudget | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.inner = inner
        self.policy = policy or RetryPolicy()
        self.budget = budget
        self.name = inner.name
        self.model = inner.model
        self.dialect: Dialect = inner.dialect
        self._sleep = sleep
        self._jitter = jitter
        frames_of: Callable[[Json], AsyncIterator[Frames]] | None = getattr(inner, "stream_frames", None)
        if frames_of is not None:
            self.stream_frames = lambda body: self._retried(lambda: frames_of(body))

    def _owns(self, exc: UpstreamError) -> bool:
        """Whether this policy retries ``exc``'s kind of failure itself."""
        return exc.retryable and (exc.unsent or not self.policy.only_unsent)

    def _spend(self) -> bool:
        return self.budget is None or self.budget.withdraw()

    def _give_up(self, exc: UpstreamError, retried_here: bool) -> UpstreamError:
        """``exc``, marked so the caller does not retry what this policy already retried, and
        otherwise charging a retry the caller is granted to this upstream's budget."""
        if retried_here:
            exc.client_may_retry = False
        elif self.budget is not None:
            exc.retry_grant = self.budget.withdraw
        return exc

    async def _pause_or_raise(self, exc: UpstreamError, attempt: int) -> None:
        if not self._owns(exc) or attempt >= self.policy.max_retries:
            raise self._give_up(exc, retried_here=self._owns(exc) and attempt > 0)
        limit = self.policy.max_retry_after_s
        if limit is not None and exc.retry_after is not None and exc.retry_after > limit:
            raise self._give_up(exc, retried_here=False)
        if not self._spend():
            exc.client_may_retry = False  # the budget is spent: nobody retries now
            raise exc
        await self._sleep(backoff_delay(attempt, exc.retry_after, self.policy, self._jitter()))

    async def complete(self, body: Json) -> Json:
        """Call the inner upstream, retrying transient failures per the policy."""
        if self.budget is not None:
            self.budget.deposit()
        attempt = 0
        while True:
            try:
                return await self.inner.complete(body)
            except UpstreamError as exc:
                await self._pause_or_raise(exc, attempt)
            attempt += 1

    def stream(self, body: Json) -> AsyncIterator[Json]:
        """Stream from the inner upstream, retrying transient failures before the first event."""
        return self._retried(lambda: self.inner.stream(body))

    async def _retried(self, start: Callable[[], AsyncIterator[T]]) -> AsyncIterator[T]:
        if self.budget is not None:
            self.budget.deposit()
        attempt = 0
        while True:
            started = False
            try:
                events = start()
                try:
                    async for event in events:
                        started = True
                        yield event
                finally:  # release the inner stream (its connection) now, however this ends
                    aclose = getattr(events, "aclose", None)
                    if aclose is not None:
                        await aclose()
                return
            except UpstreamError as exc:
                if started:
                    raise
                await self._pause_or_raise(exc, attempt)
            attempt += 1

    async def aclose(self) -> None:
        """Close the inner upstream."""
        await self.inner.aclose()

    def __repr__(self) -> str:
        return f"Retrying({self.inner!r}, {self.policy})"
