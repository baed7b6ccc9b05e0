"""The migration file's ``upstream:`` section: how modelswap talks to the vendors — its timeouts,
how much an answer may weigh, its connection pool and its retry budget."""

from __future__ import annotations

from pydantic import Field

from modelswap.config_base import SettingsModel as _Model


class RetryBudgetSettings(_Model):
    """How many retries one endpoint may get, as a share of its traffic (a token bucket)."""

    ratio: float = Field(default=0.2, ge=0, le=1)
    """Retries earned per request: 0.2 keeps retries (the gateway's own and those it lets the app
    make, ``x-should-retry: true``) within 20 % of the requests sent to the endpoint."""
    min_per_s: float = Field(default=0.5, ge=0, le=1000)
    """Retries earned per second whatever the traffic, so a quiet endpoint can still be retried."""
    burst: int = Field(default=10, ge=0, le=100_000)
    """The most retries saved up for a burst of failures (the bucket starts full)."""


class UpstreamSettings(_Model):
    """Timeouts, answer-size limits, the connection pool and the retry budget for vendor calls.
    The three timeouts are defaults every endpoint may override."""

    connect_timeout_s: float = Field(default=5.0, gt=0, le=600)
    """Seconds to open a connection (TCP, TLS, proxy tunnel). A request that could not connect was
    never sent, so the gateway retries it itself (``max_retries``, within the budget)."""
    first_byte_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    """Seconds from sending a request until the answer begins: a hung vendor answers 504 (or falls
    back) after this long. A non-streamed answer comes whole, so this bounds its generation time:
    raise it for long non-streamed reasoning answers, or stream them."""
    idle_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    """Longest silence inside a stream (keep-alive comments and Anthropic pings do not count). A
    stream that keeps sending events has no total time limit."""
    max_head_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    """Largest status line plus headers of an answer."""
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    """Largest answer read whole (non-streamed, and error bodies), after decompression."""
    max_event_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    """Largest single server-sent event of a stream."""
    max_connections: int = Field(default=512, ge=1, le=100_000)
    """Connections to the vendors open at once (all endpoints together)."""
    keepalive_s: float = Field(default=30.0, gt=0, le=3600)
    """Seconds an idle connection to a vendor is kept for reuse."""
    retry_budget: RetryBudgetSettings = RetryBudgetSettings()
    """Per endpoint: how many retries its traffic earns."""
