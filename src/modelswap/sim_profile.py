"""The simulator's settings as the migration file states them: per-model profile overrides and ``SimConfig``.

Plain data at the config layer, so ``config.py`` can hold a ``simulator:`` section without
importing the simulator; ``sim/profiles.py`` applies these to the model profiles.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Vendor = Literal["openai", "anthropic"]
WrongAnswers = Literal["plausible", "invalid"]


class ProfileOverride(BaseModel):
    """Fields to change on one model's profile; unset fields keep the file's value.

    ``quality`` may be a single number (every task kind gets it) or a per-kind mapping
    merged over the base profile's.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    vendor: Vendor | None = None
    display_name: str | None = None
    created: int | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    tokens_per_s: float | None = None
    error_rate: float | None = None
    rate_limit_rate: float | None = None
    price_in_per_mtok: float | None = None
    price_out_per_mtok: float | None = None
    quality: float | dict[str, float] | None = None
    hard_quality: dict[str, float] | None = None
    wrong_answers: WrongAnswers | None = None


class SimConfig(BaseModel):
    """Everything the simulator can be told; immutable once built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(0, description="Seeds every answer, latency and fault; same seed, same behaviour.")
    models: dict[str, ProfileOverride] = Field(
        default_factory=dict,
        description="Per-model overrides; an id not in models.yaml is added, starting from `default`.",
    )
    time_scale: float = Field(1.0, ge=0, description="Multiplies every delay (0 = instant, 0.01 = 100x).")
    error_scale: float = Field(1.0, ge=0, description="Multiplies every error and 429 rate (0 = no faults).")
    require_api_key: bool = Field(False, description="Answer 401 when a request carries no API key.")
    api_keys: frozenset[str] | None = Field(
        None, description="If set (and keys are required), only these keys are accepted."
    )
    accept_unknown_models: bool = Field(
        False, description="Serve any model id with the `default` profile instead of answering 404."
    )
    retry_after_s: float = Field(1.0, ge=0, description="Retry-After on a 429, before time_scale.")
