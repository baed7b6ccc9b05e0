"""A retry budget: retries to one upstream stay a small share of the requests sent to it.

Per-request retry limits multiply under an outage (every request retries, every client
retries the retries). A budget bounds retries by the traffic instead: each request earns
``ratio`` of a retry, each retry spends one, and a small steady allowance (``min_per_s``) lets a
quiet upstream be retried at all. So over any window of ``w`` seconds with ``n`` requests,
retries <= ``ratio * n + min_per_s * w + burst`` — a failing vendor gets at most ~20 % more
calls, not 3x. The same token bucket as Finagle's ``RetryBudget`` and gRPC's retry throttling.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["BudgetSpec", "RetryBudget"]


@dataclass(frozen=True, slots=True)
class BudgetSpec:
    """How generous a retry budget is (the ``upstream.retry_budget`` settings)."""

    ratio: float = 0.2
    """Retries earned per request: 0.2 keeps retries within 20 % of requests."""
    min_per_s: float = 0.5
    """Retries earned per second regardless of traffic, so a quiet upstream can still be retried."""
    burst: float = 10.0
    """The most retries saved up (the bucket's size; it starts full)."""

    def __post_init__(self) -> None:
        if not 0 <= self.ratio <= 1 or self.min_per_s < 0 or self.burst < 0:
            raise ValueError(f"retry budget needs 0 <= ratio <= 1, min_per_s >= 0 and burst >= 0, got {self}")


class RetryBudget:
    """A token bucket of retries for one upstream (``deposit`` per request, ``withdraw`` per retry)."""

    def __init__(self, spec: BudgetSpec | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.spec = spec or BudgetSpec()
        self._clock = clock
        self._tokens = self.spec.burst
        self._at = clock()
        self.spent = 0
        """Retries granted so far."""
        self.denied = 0
        """Retries refused so far because the budget was empty."""

    def _refill(self, earned: float) -> None:
        now = self._clock()
        elapsed = max(now - self._at, 0.0)
        self._at = now
        self._tokens = min(self.spec.burst, self._tokens + earned + elapsed * self.spec.min_per_s)

    def deposit(self) -> None:
        """A request was sent: it earns ``ratio`` of a retry."""
        self._refill(self.spec.ratio)

    def withdraw(self) -> bool:
        """Spend one retry if the budget has one; ``False`` means do not retry."""
        self._refill(0.0)
        if self._tokens >= 1.0 - 1e-9:  # 5 deposits of 0.2 make a retry, float sums or not
            self._tokens = max(self._tokens - 1.0, 0.0)
            self.spent += 1
            return True
        self.denied += 1
        return False

    @property
    def available(self) -> float:
        """Retries that could be spent now (for metrics and tests)."""
        self._refill(0.0)
        return self._tokens

    def __repr__(self) -> str:
        return f"RetryBudget({self.spec}, available={self._tokens:.2f})"
