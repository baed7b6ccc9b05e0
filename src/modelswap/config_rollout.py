"""The migration file's ``rollout:`` section and each workload's ``rollback_triggers``: the cutover
schedule the rollout controller follows, and the live conditions that roll a canary back."""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import Field, model_validator

from modelswap.config_base import ENV_NAME
from modelswap.config_base import SettingsModel as _Model

TriggerMetric = Literal["error_rate", "p95_latency", "ttft_p95", "pass_rate", "cost_per_request", "feedback"]


class RollbackTrigger(_Model):
    """A live canary condition that rolls the workload back to the old model."""

    metric: TriggerMetric
    """What is compared between the canary (new) and the control (old) in the same window:
    ``error_rate`` (failed requests), ``pass_rate`` (live answers failing the workload's
    reference-free checks, e.g. JSON validity), ``feedback`` (share of negative user feedback),
    ``p95_latency``, ``ttft_p95`` or ``cost_per_request``."""
    max_increase_points: float | None = Field(default=None, ge=0)
    """For rates: the largest increase in percentage points tolerated (for ``pass_rate``: the
    largest drop)."""
    max_ratio: float | None = Field(default=None, gt=0)
    """For latencies and cost: the largest new/old ratio tolerated."""
    min_samples: int = Field(default=200, ge=1)
    """Requests per arm before the trigger may fire."""

    @model_validator(mode="after")
    def _one_threshold(self) -> RollbackTrigger:
        if (self.max_increase_points is None) == (self.max_ratio is None):
            raise ValueError("give exactly one of max_increase_points or max_ratio")
        rate = self.metric in ("error_rate", "pass_rate", "feedback")
        if rate and self.max_ratio is not None:
            raise ValueError(f"{self.metric} is a rate: give max_increase_points, not max_ratio")
        if not rate and self.max_increase_points is not None:
            raise ValueError(f"{self.metric} is compared as a ratio: give max_ratio, not max_increase_points")
        return self


class Step(_Model):
    """One rollout stage: the new model's traffic share and how long to hold it."""

    share: float = Field(gt=0, le=100)
    """Percent of the workload's traffic served by the new model."""
    hold_hours: float = Field(ge=0)
    """Hours to hold with stable metrics before promoting further."""


def _default_steps() -> tuple[Step, ...]:
    return (Step(share=10, hold_hours=24), Step(share=50, hold_hours=24), Step(share=100, hold_hours=0))


Approval = Literal["none", "first", "before_full", "every_step"]


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
    min_requests_per_arm: int = Field(default=200, ge=1)
    """Requests each arm (canary and control) must have served in a step before it may be promoted."""
    approval: Approval = "first"
    """Who promotes: ``first`` (the default: a person approves the first step out of shadow, the
    canary; the controller promotes the later steps on evidence), ``none`` (the controller alone,
    from the canary on), ``before_full`` (a person approves only the last step, to 100 %),
    ``every_step`` (a person approves every promotion)."""
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    """False-rollback rate tolerated over a whole step however often it is checked (always-valid tests)."""
    check_every_minutes: float = Field(default=1.0, gt=0)
    """How often the controller looks at the evidence."""
    webhook_url_env: str | None = Field(default=None, pattern=ENV_NAME.pattern)
    """Environment variable holding a Slack-compatible webhook URL, told of promotions, rollbacks
    and approvals needed (a variable, so the URL's secret never sits in the file)."""

    @model_validator(mode="after")
    def _increasing(self) -> Rollout:
        shares = [self.canary.share, *(s.share for s in self.steps)]
        if any(b <= a for a, b in itertools.pairwise(shares)):
            raise ValueError(f"shares must increase stage by stage, got {shares}")
        if shares[-1] != 100:
            raise ValueError(f"the last step must reach share 100, got {shares[-1]}")
        return self

    @property
    def schedule(self) -> tuple[Step, ...]:
        """Every step in order: the canary, then the promotions (the last one at 100 %)."""
        return (self.canary, *self.steps)
