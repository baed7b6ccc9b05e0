"""Scenario presets: the five migrations, their plan impact, and savings checked against prices."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from modelswap.catalog import (
    CatalogDataError,
    Price,
    Scenario,
    UnknownScenario,
    catalog_saving,
    lookup,
    scenario,
    scenarios,
)
from modelswap.catalog.cost import price_for
from modelswap.catalog.current import preset_models
from modelswap.catalog.scenarios import HIGH_RISK_MIN_SHADOW_DAYS, load_scenarios, saving_text

EXPECTED = {
    # slug: (from, to, risk)
    "opus-4-1-to-opus-4-7": ("claude-opus-4-1", "claude-opus-4-7", "low"),
    "opus-to-sonnet": ("claude-opus-4-1", "claude-sonnet-4-5", "medium"),
    "gpt-4o-to-gpt-5": ("gpt-4o", "gpt-5", "low"),
    "gpt-5-to-sonnet": ("gpt-5", "claude-sonnet-4-5", "high"),
    "sonnet-to-haiku-routing": ("claude-sonnet-5-5", "claude-haiku-5-5", "medium"),
}


def test_the_five_presets_load_with_their_models_and_risk() -> None:
    assert {s.slug: (s.from_model, s.to_model, s.risk) for s in scenarios()} == EXPECTED


@pytest.mark.parametrize("preset", scenarios(), ids=lambda s: s.slug)
def test_presets_reference_catalog_models(preset: Scenario) -> None:
    for model_id in (preset.from_model, preset.to_model):
        info = lookup(model_id)
        assert info is not None and info.id == model_id


@pytest.mark.parametrize("preset", scenarios(), ids=lambda s: s.slug)
def test_risk_shapes_the_plan(preset: Scenario) -> None:
    plan = preset.plan
    assert plan.shadow_min_days == (HIGH_RISK_MIN_SHADOW_DAYS if preset.risk == "high" else 14)
    assert plan.gates and all(gate.metric for gate in plan.gates)
    assert any(gate.metric == "pass_rate" and gate.max_drop_points == 2 for gate in plan.gates)
    assert plan.plan_notes and preset.risk_description and preset.typical_saving.text


def test_cross_vendor_adds_tool_use_evals_and_routing_adds_a_confidence_gate() -> None:
    cross = scenario("gpt-5-to-sonnet")
    assert "tool_use" in cross.plan.extra_evals
    assert any(gate.metric == "tool_call_validity" for gate in cross.plan.gates)
    routing = scenario("sonnet-to-haiku-routing")
    assert routing.plan.confidence_gate and routing.plan.target_share < 1
    assert not any(s.plan.confidence_gate for s in scenarios() if s.slug != routing.slug)


@pytest.mark.parametrize("preset", scenarios(), ids=lambda s: s.slug)
def test_stated_saving_is_consistent_with_catalog_prices(preset: Scenario) -> None:
    """The stated range must contain what list prices give at a 3:1 input:output mix, no cache.

    Two points are checked, because token counts are not the same on both sides of a move:
    - nominal: the same tokens on both models, all traffic on the new model;
    - as stated: the preset's own token_inflation (tokenizer: Opus 4.7 counts the same text as
      up to ~35 % more tokens), output_inflation (reasoning tokens billed as output: GPT-5 can
      double its output; GPT-5 → Sonnet breaks even only if GPT-5 billed ~4× the output) and
      the plan's target_share (routing keeps 20 % on Sonnet).
    Worked values: opus 4.1 → 4.7: 66.7 % / 55 %; opus → sonnet: exactly 80 % (every rate ÷ 5);
    gpt-4o → gpt-5: +21.4 % / −35.7 %; gpt-5 → sonnet: −74.5 % / +7.3 %; sonnet 5.5 → haiku 5.5: 95 % / 76 %.
    """
    stated = preset.typical_saving
    nominal = catalog_saving(preset, input_per_output=3.0, target_share=1.0)
    as_stated = catalog_saving(
        preset,
        input_per_output=3.0,
        token_inflation=stated.token_inflation,
        output_inflation=stated.output_inflation,
    )
    assert stated.low <= nominal <= stated.high, (preset.slug, nominal)
    assert stated.low <= as_stated <= stated.high, (preset.slug, as_stated)


@pytest.mark.parametrize(("ratio", "cached"), [(1.0, 0.0), (3.0, 0.0), (10.0, 0.5), (0.2, 0.9)])
def test_opus_to_sonnet_at_list_price_is_exactly_eighty_percent(ratio: float, cached: float) -> None:
    # $15/$75/$1.50 → $3/$15/$0.30: every rate is divided by 5, so any mix saves 80 %.
    saving = catalog_saving("opus-to-sonnet", input_per_output=ratio, cached_fraction=cached)
    assert saving == pytest.approx(0.80)


def test_routing_saving_scales_with_the_share_kept_on_the_cheap_model() -> None:
    # Haiku 5.5 is 1/20 of Sonnet 5.5 per token: saving = share × 19/20.
    assert catalog_saving("sonnet-to-haiku-routing", target_share=0.5) == pytest.approx(0.475)
    assert catalog_saving("sonnet-to-haiku-routing", target_share=0.0) == pytest.approx(0.0)


def test_overrides_change_the_computed_saving() -> None:
    # A negotiated Sonnet price of $1.50/$7.50 against list GPT-5 at 3:1:
    # old = 3 × 1.25 + 10 = 13.75; new = 3 × 1.5 + 7.5 = 12 → 1 − 12/13.75 ≈ 12.7 %.
    overrides = {"claude-sonnet-4-5": Price(input=1.5, output=7.5)}
    assert catalog_saving("gpt-5-to-sonnet", overrides=overrides) == pytest.approx(1 - 12 / 13.75)


@pytest.mark.parametrize(
    "kwargs",
    [{"input_per_output": 0}, {"cached_fraction": 1.5}, {"target_share": -0.1}, {"token_inflation": 0}],
)
def test_catalog_saving_rejects_impossible_mixes(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        catalog_saving("opus-to-sonnet", **kwargs)  # type: ignore[arg-type]


def test_unknown_slug_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownScenario) as caught:
        scenario("opus-to-sonet")
    message = str(caught.value)
    assert "did you mean 'opus-to-sonnet'" in message
    for slug in EXPECTED:
        assert slug in message
    assert isinstance(caught.value, KeyError)


def test_lifecycle_warnings_cover_both_models() -> None:
    warnings = scenario("opus-to-sonnet").lifecycle_warnings(date(2026, 11, 25))
    assert any("claude-opus-4-1" in w and "retired" in w for w in warnings)
    assert any("claude-sonnet-4-5" in w and "retires on 2026-11-30" in w for w in warnings)


SCENARIO = """
scenarios:
  ok-one:
    title: A → B
    from: {source}
    to: claude-sonnet-4-5
    risk: {risk}
    risk_description: Something can go wrong.
    typical_saving: {{text: "some", low: 0.1, high: 0.9}}
    plan:
      shadow_min_days: {days}
      gates: [{gate}]
"""


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"source": "claude-opus-9"},
            ["scenario 'ok-one'", "from: 'claude-opus-9'", "not in the price catalog"],
        ),
        ({"source": "claude-opus-4-1-20250805"}, ["from:", "use the catalog id 'claude-opus-4-1'"]),
        ({"risk": "high"}, ["scenario 'ok-one'", "high risk needs plan.shadow_min_days >= 21"]),
        ({"risk": "extreme"}, ["risk: Input should be 'low', 'medium' or 'high'"]),
        (
            {"gate": "{metric: pass_rate, max_drop_points: 2, max_increase_pct: 5}"},
            ["plan.gates.0", "set exactly one of"],
        ),
    ],
)
def test_bad_scenarios_file_gives_a_clear_error(
    write_yaml: Callable[..., Path], fields: dict[str, str], expected: list[str]
) -> None:
    values = {
        "source": "claude-opus-4-1",
        "risk": "medium",
        "days": "14",
        "gate": "{metric: pass_rate, max_drop_points: 2}",
    } | fields
    path = write_yaml(SCENARIO.format(**values), "scenarios.yaml")
    with pytest.raises(CatalogDataError) as caught:
        load_scenarios(path)
    message = str(caught.value)
    assert f"{path}:3:" in message
    for part in expected:
        assert part in message


ROUTING = "sonnet-to-haiku-routing"


@pytest.mark.parametrize("preset", [s for s in scenarios() if s.slug != ROUTING], ids=lambda s: s.slug)
def test_titles_and_saving_texts_hold_whichever_models_init_picks(preset: Scenario) -> None:
    # init picks the current model of each family, so the preset's words name families, not
    # versions, and carry no price figures: those are computed for the picked models
    assert "→ current " in preset.title, preset.title
    assert not re.search(r"\d+ ?%|\$\d", preset.typical_saving.text), preset.typical_saving.text


@pytest.mark.parametrize("day", [date(2026, 12, 2), date.today()], ids=["2026-12-02", "today"])
@pytest.mark.parametrize("preset", scenarios(), ids=lambda s: s.slug)
def test_saving_text_is_the_catalog_price_difference_of_the_picked_models(preset: Scenario, day: date) -> None:
    old, new = preset_models(preset, day)
    p_old, p_new = price_for(old.model), price_for(new.model)
    saved = 1 - (3 * p_new.input + p_new.output) / (3 * p_old.input + p_old.output)
    text = saving_text(preset, old.model, new.model)
    if abs(saved) < 0.005:
        assert text.startswith(f"{new.model} costs about the same as {old.model} at list prices")
    else:
        more_or_less = "less" if saved > 0 else "more"
        assert text.startswith(f"{new.model} costs {abs(saved) * 100:.0f} % {more_or_less} than {old.model}"), text
    assert text.endswith(preset.typical_saving.text)
    brief = saving_text(preset, old.model, new.model, explain=False)
    assert text.startswith(brief) and preset.typical_saving.text not in brief
