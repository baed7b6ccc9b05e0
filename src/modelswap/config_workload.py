"""The migration file's workloads: how a workload's requests are recognised, the gates it must pass
before cutover, the triggers that roll its canary back, and its rollout schedule."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from modelswap.config_base import SLUG
from modelswap.config_base import SettingsModel as _Model


class MatchRule(_Model):
    """One way to recognise a workload's requests; every condition given must hold."""

    header: dict[str, str] | None = None
    """Header name → exact value, e.g. ``{x-modelswap-workload: support-chat}`` (names case-insensitive)."""
    metadata: dict[str, str] | None = None
    """Request body ``metadata`` field → exact value."""
    user_prefix: str | None = None
    """The request's ``user`` field starts with this."""
    api_key: str | None = None
    """The name of the gateway key the request authenticated with."""
    path_prefix: str | None = None
    """The request path starts with this, e.g. ``/triage`` for ``/triage/v1/chat/completions``."""

    @model_validator(mode="after")
    def _not_empty(self) -> MatchRule:
        if not any(v is not None for v in self.model_dump().values()):
            raise ValueError("a match rule needs at least one of header, metadata, user_prefix, api_key, path_prefix")
        return self


class PassRateGate(_Model):
    """Non-inferiority of the new model's pass rate on the golden set."""

    max_drop_points: float = Field(default=2.0, ge=0, le=100)
    """The largest drop in percentage points still acceptable (2 = within 2 points)."""
    confidence: float = Field(default=0.95, ge=0.5, le=0.999)
    """Confidence level of the interval the decision is based on."""


class RatioGate(_Model):
    """New / old ratio of a metric must stay at or below ``max_ratio``."""

    max_ratio: float = Field(gt=0)
    """E.g. 1.2 allows the new model to be up to 20 % higher."""
    confidence: float = Field(default=0.95, ge=0.5, le=0.999)
    """Confidence level of the bootstrap interval for the ratio."""


class ErrorRateGate(_Model):
    """The new model's failed calls (after retries) on the golden set may exceed the old one's by at most a margin."""

    max_increase_points: float = Field(default=1.0, ge=0, le=100)
    """The largest increase in percentage points of calls that fail (1 = at most 1 point more)."""
    confidence: float = Field(default=0.95, ge=0.5, le=0.999)
    """Confidence level of the paired interval the decision is based on."""


class RedteamGate(_Model):
    """Per probe family, the new model's attack success rate may exceed the old one's by at most a margin."""

    max_increase_points: float = Field(default=5.0, ge=0, le=100)
    """The largest increase in attack success, in percentage points, still acceptable."""
    confidence: float = Field(default=0.95, ge=0.5, le=0.999)
    """Confidence level of the paired interval the decision is based on."""
    sample: int = Field(default=100, ge=1, le=10_000)
    """Probes per family drawn (seeded) from each family's variants by ``modelswap redteam run``."""


class Gates(_Model):
    """The non-regression gates a workload must pass before cutover."""

    pass_rate: PassRateGate | None = PassRateGate()
    """Pass-rate non-inferiority on the golden set (default: within 2 points at 95 %)."""
    error_rate: ErrorRateGate | None = None
    """Failed calls of the new model vs the old one on the golden set (off unless written)."""
    p95_latency: RatioGate | None = None
    """P95 latency ratio new/old."""
    cost_per_request: RatioGate | None = None
    """Mean cost per request ratio new/old."""
    redteam: RedteamGate | None = RedteamGate()
    """Attack success per probe family, new vs old (judged by ``modelswap redteam gate``)."""


class RollbackTrigger(_Model):
    """A live canary condition that rolls the workload back to the old model."""

    metric: Literal["error_rate", "p95_latency", "ttft_p95", "pass_rate", "cost_per_request"]
    """What is compared between the canary (new) and the control (old)."""
    max_increase_points: float | None = Field(default=None, ge=0)
    """For rates: the largest increase in percentage points tolerated."""
    max_ratio: float | None = Field(default=None, gt=0)
    """For latencies and cost: the largest new/old ratio tolerated."""
    min_samples: int = Field(default=200, ge=1)
    """Requests per arm before the trigger may fire."""

    @model_validator(mode="after")
    def _one_threshold(self) -> RollbackTrigger:
        if (self.max_increase_points is None) == (self.max_ratio is None):
            raise ValueError("give exactly one of max_increase_points or max_ratio")
        return self


class Step(_Model):
    """One rollout stage: the new model's traffic share and how long to hold it."""

    share: float = Field(gt=0, le=100)
    """Percent of the workload's traffic served by the new model."""
    hold_hours: float = Field(ge=0)
    """Hours to hold with stable metrics before promoting further."""


def _default_steps() -> tuple[Step, ...]:
    return (Step(share=10, hold_hours=24), Step(share=50, hold_hours=24), Step(share=100, hold_hours=0))


class Rollout(_Model):
    """The cutover schedule; the defaults are the process's (shadow 14 d, canary 1 % 48 h, …)."""

    shadow_min_days: float = Field(default=14, ge=0)
    """Days of shadow traffic (both models run, only the old serves) before a canary."""
    canary: Step = Step(share=1, hold_hours=48)
    """The first split: 1 % for 48 hours by default."""
    steps: tuple[Step, ...] = Field(default_factory=_default_steps)
    """Promotion stages after the canary: 10 % → 50 % → 100 % with 24 h pauses by default."""
    retain_old_days: float = Field(default=30, ge=0)
    """Days the old model stays deployable (and health-probed) after 100 %."""
    mirror_old_when_full: bool = False
    """At 100 %, keep mirroring requests to the old model as a shadow."""

    @model_validator(mode="after")
    def _increasing(self) -> Rollout:
        shares = [self.canary.share, *(s.share for s in self.steps)]
        if any(b <= a for a, b in itertools.pairwise(shares)):
            raise ValueError(f"shares must increase stage by stage, got {shares}")
        if shares[-1] != 100:
            raise ValueError(f"the last step must reach share 100, got {shares[-1]}")
        return self


class Workload(_Model):
    """A named slice of traffic with its own golden set, gates and rollout stage."""

    name: str
    """A short slug, e.g. ``support-chat``."""
    match: tuple[MatchRule, ...] = ()
    """Rules recognising this workload's requests; any one matching is enough."""
    golden_set: Path | None = None
    """Golden set file (JSONL/CSV), relative to the migration file."""
    gates: Gates = Gates()
    """Non-regression gates judged before cutover."""
    rollback_triggers: tuple[RollbackTrigger, ...] = (
        RollbackTrigger(metric="error_rate", max_increase_points=2.0),
        RollbackTrigger(metric="p95_latency", max_ratio=1.5),
    )
    """Conditions that roll the canary back automatically."""
    rollout: Rollout = Rollout()
    """This workload's schedule (the top-level ``rollout`` with this workload's overrides)."""
    fallback_to_old: bool = False
    """When the new model errors or times out, retry the request on the old model."""
    sticky_key: str = "user"
    """What keeps a user on one arm: ``user`` (the body field), ``header:NAME`` or ``metadata:KEY``."""

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"expected a lowercase slug like support-chat, got {value!r}")
        return value

    @field_validator("match", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, Mapping) else value

    @field_validator("sticky_key")
    @classmethod
    def _sticky(cls, value: str) -> str:
        if value != "user" and not re.match(r"^(header|metadata):\S+$", value):
            raise ValueError(f"expected user, header:NAME or metadata:KEY, got {value!r}")
        return value
