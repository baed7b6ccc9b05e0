"""Simulated model profiles (latency, errors, prices, quality) and the simulator's settings.

Profiles come from ``data/models.yaml``: a ``default`` profile that every model inherits
from, and per-model overrides. ``SimConfig`` can override any field per model, or add a
model that the file does not know (it then starts from ``default``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from modelswap.sim_profile import ProfileOverride, SimConfig, Vendor, WrongAnswers

__all__ = [
    "TASK_KINDS",
    "ModelProfile",
    "ProfileOverride",
    "SimConfig",
    "Vendor",
    "default_profile",
    "resolve_profiles",
]

TASK_KINDS: tuple[str, ...] = ("arithmetic", "triage", "extraction", "tools", "default")
"""Task kinds with their own quality; anything else (free chat) uses ``default``."""

_Z95 = 1.6448536269514722  # standard normal quantile at 0.95


class ModelProfile(BaseModel):
    """How one simulated model behaves: speed, failure rates, prices and answer quality."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vendor: Vendor = Field(description="Which vendor's model this imitates (for /v1/models `owned_by`).")
    display_name: str = Field(description="Human name, as Anthropic's model list shows it.")
    created: int = Field(description="Unix time the model was 'released' (for /v1/models).")
    latency_p50_ms: float = Field(gt=0, description="Median total latency of a non-streamed answer.")
    latency_p95_ms: float = Field(gt=0, description="95th percentile total latency of a non-streamed answer.")
    ttft_p50_ms: float = Field(gt=0, description="Median time to first token when streaming.")
    ttft_p95_ms: float = Field(gt=0, description="95th percentile time to first token when streaming.")
    tokens_per_s: float = Field(gt=0, description="Output speed after the first token when streaming.")
    error_rate: float = Field(ge=0, le=1, description="Probability an attempt fails with a 5xx.")
    rate_limit_rate: float = Field(ge=0, le=1, description="Probability an attempt gets a 429.")
    price_in_per_mtok: float = Field(ge=0, description="USD per 1M input tokens (reference only).")
    price_out_per_mtok: float = Field(ge=0, description="USD per 1M output tokens (reference only).")
    quality: dict[str, float] = Field(description="P(correct answer) per task kind; must include `default`.")
    hard_quality: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "P(correct answer) on a kind's hard cases, where the task knows which are hard (an extraction "
            "with no amount stated or one written with a thousands separator); `quality` covers the rest."
        ),
    )
    wrong_answers: WrongAnswers = Field(
        default="plausible",
        description=(
            "How a wrong answer looks: `plausible` (well formed, only the golden answer tells) or `invalid` "
            "(a JSON answer breaks its shape, a field missing or a number as text, so a verifier can tell)."
        ),
    )

    @field_validator("hard_quality")
    @classmethod
    def _check_hard_quality(cls, value: dict[str, float]) -> dict[str, float]:
        for kind, q in value.items():
            if not 0.0 <= q <= 1.0:
                raise ValueError(f"hard_quality[{kind!r}] = {q} is not a probability in [0, 1]")
        return value

    @field_validator("quality")
    @classmethod
    def _check_quality(cls, value: dict[str, float]) -> dict[str, float]:
        if "default" not in value:
            raise ValueError("quality must include a `default` entry")
        for kind, q in value.items():
            if not 0.0 <= q <= 1.0:
                raise ValueError(f"quality[{kind!r}] = {q} is not a probability in [0, 1]")
        return value

    @model_validator(mode="after")
    def _check_percentiles(self) -> ModelProfile:
        if self.latency_p95_ms < self.latency_p50_ms:
            raise ValueError("latency_p95_ms must be >= latency_p50_ms")
        if self.ttft_p95_ms < self.ttft_p50_ms:
            raise ValueError("ttft_p95_ms must be >= ttft_p50_ms")
        return self

    def quality_for(self, kind: str, *, hard: bool = False) -> float:
        """Probability of a correct answer for a task kind (``default`` if not listed); on a hard case,
        the kind's ``hard_quality`` when the profile sets one."""
        if hard and kind in self.hard_quality:
            return self.hard_quality[kind]
        return self.quality.get(kind, self.quality["default"])

    def latency_ms(self, z: float) -> float:
        """Total latency (ms) at standard-normal quantile ``z`` of the fitted lognormal."""
        return _lognormal(self.latency_p50_ms, self.latency_p95_ms, z)

    def ttft_ms(self, z: float) -> float:
        """Time to first token (ms) at standard-normal quantile ``z`` of the fitted lognormal."""
        return _lognormal(self.ttft_p50_ms, self.ttft_p95_ms, z)


def _lognormal(p50: float, p95: float, z: float) -> float:
    sigma = (math.log(p95) - math.log(p50)) / _Z95
    return p50 * math.exp(sigma * z)


@lru_cache(maxsize=1)
def _file_profiles() -> tuple[ModelProfile, dict[str, ModelProfile]]:
    """Parse ``data/models.yaml`` once per process: (default profile, named profiles)."""
    text = resources.files("modelswap.sim").joinpath("data/models.yaml").read_text(encoding="utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    default = ModelProfile.model_validate(raw["default"])
    named = {
        model_id: _apply(default, ProfileOverride.model_validate(fields or {}))
        for model_id, fields in raw.get("models", {}).items()
    }
    return default, named


def _apply(base: ModelProfile, override: ProfileOverride) -> ModelProfile:
    """A copy of ``base`` with the override's set fields, validated again."""
    data = base.model_dump()
    changes = override.model_dump(exclude_none=True)
    quality = changes.pop("quality", None)
    data.update(changes)
    if isinstance(quality, int | float):  # one number for every case, hard or not
        data["quality"] = dict.fromkeys(set(base.quality) | set(TASK_KINDS), float(quality))
        data["hard_quality"] = changes.get("hard_quality", {})
    elif isinstance(quality, dict):
        data["quality"] = {**base.quality, **quality}
    return ModelProfile.model_validate(data)


def default_profile() -> ModelProfile:
    """The ``default`` profile every model starts from."""
    return _file_profiles()[0]


def resolve_profiles(config: SimConfig) -> dict[str, ModelProfile]:
    """Every servable model id → its profile, with the config's overrides applied."""
    default, named = _file_profiles()
    profiles = dict(named)
    for model_id, override in config.models.items():
        profiles[model_id] = _apply(profiles.get(model_id, default), override)
    return profiles
