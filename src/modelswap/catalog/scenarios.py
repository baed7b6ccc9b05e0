"""Scenario presets: the common migrations, their typical risk, and what that risk changes in the plan.

Read from ``data/scenarios.yaml``; every ``from``/``to`` model must be a catalog id, and each
preset's stated saving can be recomputed from catalog prices with ``catalog_saving``.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from modelswap.catalog._load import DATA_DIR, CatalogDataError, read_entries, validate_entry
from modelswap.catalog.cost import price_for
from modelswap.catalog.deprecations import DEFAULT_WITHIN_DAYS, deprecation_warnings
from modelswap.catalog.models import Catalog, Price, default_catalog

SCENARIOS_FILE = DATA_DIR / "scenarios.yaml"
DEFAULT_SHADOW_DAYS = 14
HIGH_RISK_MIN_SHADOW_DAYS = 21

Risk = Literal["low", "medium", "high"]
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class SuggestedGate(BaseModel):
    """A non-regression gate to propose for the workload: one metric, one margin."""

    model_config = _FROZEN

    metric: str = Field(min_length=1, description="pass_rate, p95_latency_ms, tool_call_validity, ...")
    max_drop_points: float | None = Field(default=None, ge=0, description="Rate that should stay high.")
    max_increase_points: float | None = Field(default=None, ge=0, description="Rate that should stay low.")
    max_increase_pct: float | None = Field(default=None, ge=0, description="Quantity that should stay low.")
    max_ratio: float | None = Field(default=None, gt=0, description="Ceiling of new/old (0.4: at most 40 %).")
    confidence: float = Field(default=0.95, gt=0.5, lt=1)

    @model_validator(mode="after")
    def _one_margin(self) -> Self:
        margins = (self.max_drop_points, self.max_increase_points, self.max_increase_pct, self.max_ratio)
        if sum(m is not None for m in margins) != 1:
            raise ValueError("set exactly one of max_drop_points, max_increase_points, max_increase_pct, max_ratio")
        return self


class TypicalSaving(BaseModel):
    """The saving people usually see, as text and as a range of the old spend saved."""

    model_config = _FROZEN

    text: str = Field(min_length=1)
    low: float = Field(ge=-5, le=1, description="Fraction saved; negative means the new model costs more.")
    high: float = Field(ge=-5, le=1)
    token_inflation: float = Field(default=1.0, gt=0, description="Target/source tokens for the same text.")
    output_inflation: float = Field(default=1.0, gt=0, description="Extra factor on billed output tokens.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        return self


class PlanImpact(BaseModel):
    """What the scenario's risk changes in the migration plan."""

    model_config = _FROZEN

    shadow_min_days: int = Field(default=DEFAULT_SHADOW_DAYS, ge=1)
    extra_evals: tuple[str, ...] = Field(default=(), description="Eval suites beyond the golden set.")
    confidence_gate: bool = Field(default=False, description="Route per request behind a confidence gate.")
    target_share: float = Field(default=1.0, gt=0, le=1, description="Steady-state share on the new model.")
    review_sample: int = Field(default=200, ge=1, description="Shadow pairs for human review (item 7).")
    gates: tuple[SuggestedGate, ...] = Field(min_length=1)
    plan_notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _routing_needs_gate(self) -> Self:
        if self.target_share < 1 and not self.confidence_gate:
            raise ValueError("target_share below 1 means routing: set confidence_gate: true")
        return self


class Scenario(BaseModel):
    """A migration preset: from which model to which, how risky, and what it changes."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    slug: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    title: str = Field(min_length=1)
    from_model: str = Field(alias="from")
    to_model: str = Field(alias="to")
    risk: Risk
    risk_description: str = Field(min_length=1)
    typical_saving: TypicalSaving
    plan: PlanImpact

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.from_model == self.to_model:
            raise ValueError("from and to are the same model")
        if self.risk == "high" and self.plan.shadow_min_days < HIGH_RISK_MIN_SHADOW_DAYS:
            raise ValueError(f"high risk needs plan.shadow_min_days >= {HIGH_RISK_MIN_SHADOW_DAYS}")
        return self

    def lifecycle_warnings(self, today: date, within_days: int = DEFAULT_WITHIN_DAYS) -> list[str]:
        """Deprecation/retirement warnings for both models on ``today``."""
        return [
            *deprecation_warnings(self.from_model, today, within_days),
            *deprecation_warnings(self.to_model, today, within_days),
        ]


class UnknownScenario(KeyError):
    """A scenario slug that is not a preset; the message lists the valid slugs."""

    def __init__(self, slug: str, valid: tuple[str, ...]) -> None:
        super().__init__(slug)
        self.slug = slug
        self.valid = valid

    def __str__(self) -> str:
        close = difflib.get_close_matches(self.slug, self.valid, n=1)
        guess = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown scenario {self.slug!r}: {guess}valid scenarios: {', '.join(self.valid)}"


def load_scenarios(path: Path = SCENARIOS_FILE, catalog: Catalog | None = None) -> dict[str, Scenario]:
    """Read and validate a scenarios file; every from/to must be a catalog id."""
    catalog = catalog if catalog is not None else default_catalog()
    entries, lines = read_entries(path, "scenarios")
    loaded: dict[str, Scenario] = {}
    for slug, payload in entries.items():
        line = lines.get(slug)
        item = validate_entry(Scenario, slug, payload, path=path, line=line, kind="scenario", id_field="slug")
        for field, model_id in (("from", item.from_model), ("to", item.to_model)):
            info = catalog.lookup(model_id)
            if info is None or info.id != model_id:
                known = f"use the catalog id {info.id!r}" if info else "it is not in the price catalog"
                raise CatalogDataError(f"{path}:{line}: scenario '{slug}': {field}: {model_id!r}: {known}")
        loaded[slug] = item
    return loaded


@functools.cache
def _default_scenarios() -> dict[str, Scenario]:
    return load_scenarios(SCENARIOS_FILE)


def scenarios() -> tuple[Scenario, ...]:
    """Every packaged scenario preset, in data-file order."""
    return tuple(_default_scenarios().values())


def scenario(slug: str) -> Scenario:
    """The preset with this slug; raise ``UnknownScenario`` listing valid slugs otherwise."""
    presets = _default_scenarios()
    try:
        return presets[slug]
    except KeyError:
        raise UnknownScenario(slug, tuple(presets)) from None


def catalog_saving(
    preset: Scenario | str,
    *,
    input_per_output: float = 3.0,
    cached_fraction: float = 0.0,
    token_inflation: float = 1.0,
    output_inflation: float = 1.0,
    target_share: float | None = None,
    overrides: Mapping[str, Price] | None = None,
) -> float:
    """Fraction of the old model's spend saved at list prices (negative: the move costs more).

    The mix is ``input_per_output`` prompt tokens per completion token, ``cached_fraction`` of
    the prompt read from cache. The new model uses ``token_inflation`` × the tokens for the same
    text and ``output_inflation`` × the billed output; it serves ``target_share`` of traffic
    (default: the preset's planned share), the rest stays on the old model.
    """
    item = scenario(preset) if isinstance(preset, str) else preset
    share = item.plan.target_share if target_share is None else target_share
    if input_per_output <= 0 or token_inflation <= 0 or output_inflation <= 0:
        raise ValueError("input_per_output, token_inflation and output_inflation must be positive")
    if not 0 <= cached_fraction <= 1 or not 0 <= share <= 1:
        raise ValueError("cached_fraction and target_share must be between 0 and 1")
    old_price, new_price = price_for(item.from_model, overrides), price_for(item.to_model, overrides)
    old = old_price.usd(input_per_output, 1.0, input_per_output * cached_fraction)
    new_prompt = input_per_output * token_inflation
    new = new_price.usd(new_prompt, token_inflation * output_inflation, new_prompt * cached_fraction)
    if old == 0:
        raise ValueError(f"{item.from_model} costs nothing at this mix; a saving is undefined")
    return 1.0 - (share * new + (1.0 - share) * old) / old


def _costs(fraction: float) -> str:
    """``67 % less than``, ``35 % more than`` or ``about the same as`` (within half a percent)."""
    if abs(fraction) < 0.005:
        return "about the same as"
    return f"{abs(fraction) * 100:.0f} % {'less' if fraction > 0 else 'more'} than"


def _assumptions(saving: TypicalSaving, share: float) -> list[str]:
    parts = []
    if saving.token_inflation != 1:
        parts.append(f"the new model counting {saving.token_inflation:g}× the tokens for the same text")
    if saving.output_inflation != 1:
        parts.append(f"the new model billing {saving.output_inflation:g}× the output tokens")
    if share < 1:
        parts.append(f"{share * 100:.0f} % of requests on the new model")
    return parts


def saving_text(preset: Scenario, old_model: str, new_model: str, *, explain: bool = True) -> str:
    """The preset's typical saving for the models actually picked, computed from catalog list prices.

    First at the same tokens on both sides (3:1 input:output, no cache), then under the preset's
    stated token and output inflation and planned share, then (with ``explain``) the preset's own
    explanation.
    """
    picked = preset.model_copy(update={"from_model": old_model, "to_model": new_model})
    stated = preset.typical_saving
    nominal = catalog_saving(picked, target_share=1.0)
    text = f"{new_model} costs {_costs(nominal)} {old_model} at list prices (same tokens, 3:1 input:output)"
    assumed = _assumptions(stated, preset.plan.target_share)
    if assumed:
        adjusted = catalog_saving(
            picked, token_inflation=stated.token_inflation, output_inflation=stated.output_inflation
        )
        text += f"; {_costs(adjusted).removesuffix(' than').removesuffix(' as')} with {' and '.join(assumed)}"
    return f"{text}. {stated.text}" if explain else text
