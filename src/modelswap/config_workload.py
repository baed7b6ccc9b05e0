"""The migration file's workloads: how a workload's requests are recognised, the gates it must pass
before cutover, the triggers that roll its canary back, and its rollout schedule."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from modelswap.config_base import SLUG
from modelswap.config_base import SettingsModel as _Model
from modelswap.config_rollout import RollbackTrigger, Rollout, Step
from modelswap.config_routing import Routing

__all__ = [
    "ErrorRateGate",
    "EscalationRateGate",
    "Gates",
    "MatchRule",
    "PassRateGate",
    "RatioGate",
    "RollbackTrigger",
    "Rollout",
    "Routing",
    "Step",
    "Workload",
]


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


class EscalationRateGate(_Model):
    """A routed workload's share of requests escalated to the strong model must stay below a ceiling,
    or the saving the routing promised does not hold."""

    max_percent: float = Field(default=30.0, gt=0, le=100)
    """The largest share of requests (percent) the cascade may escalate; the Wilson interval must lie below it."""
    confidence: float = Field(default=0.95, ge=0.5, le=0.999)
    """Confidence level of the interval for that share."""


class HumanReviewGate(_Model):
    """People judged a weighted sample of shadow pairs; the new model may be worse on at most a share of traffic."""

    max_worse_percent: float = Field(default=5.0, gt=0, lt=100)
    """The largest share of traffic (percent) on which the new answer may be worse than the old one."""
    confidence: float = Field(default=0.95, ge=0.5, le=0.999)
    """Confidence level of the interval for that share."""
    sample_size: int = Field(default=200, ge=1, le=100_000)
    """Shadow pairs drawn for review from this workload (``modelswap review sample``)."""
    floor: int = Field(default=20, ge=0, le=100_000)
    """Pairs drawn from this workload however little traffic it has, when a sample covers several workloads."""
    min_reviewed: int = Field(default=30, ge=1)
    """Reviewed pairs below which the gate never passes."""


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
    escalation_rate: EscalationRateGate | None = None
    """Share of a routed workload's requests escalated to the strong model (off unless written)."""
    human_review: HumanReviewGate | None = None
    """Share of traffic where reviewers found the new model worse (off unless written)."""
    redteam: RedteamGate | None = RedteamGate()
    """Attack success per probe family, new vs old (judged by ``modelswap redteam gate``)."""


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
    routing: Routing | None = None
    """Serve the new arm as a cascade (cheap model first, strong one when a signal doubts the answer)."""

    @model_validator(mode="after")
    def _escalation_needs_routing(self) -> Workload:
        if self.gates.escalation_rate is not None and self.routing is None:
            raise ValueError(
                "gates.escalation_rate judges a cascade's escalations: add a routing: section or remove the gate"
            )
        return self

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
