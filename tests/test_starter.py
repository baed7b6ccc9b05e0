"""The starter migration file names the models picked for the day and what they cost against each other."""

from __future__ import annotations

from datetime import date

import pytest

from modelswap.catalog import Scenario, scenarios
from modelswap.catalog.cost import price_for
from modelswap.catalog.current import preset_models
from modelswap.starter import render

TODAY = date(2026, 12, 2)


def list_price_difference(old: str, new: str) -> str:
    """What the starter should say, from the catalog's prices at 3 input tokens per output token."""
    p_old, p_new = price_for(old), price_for(new)
    saved = 1 - (3 * p_new.input + p_new.output) / (3 * p_old.input + p_old.output)
    if abs(saved) < 0.005:
        return f"{new} costs about the same as {old}"
    return f"{new} costs {abs(saved) * 100:.0f} % {'less' if saved > 0 else 'more'} than {old}"


@pytest.mark.parametrize("preset", scenarios(), ids=lambda s: s.slug)
def test_the_starter_names_the_picked_models_and_their_list_price_difference(preset: Scenario) -> None:
    old, new = preset_models(preset, TODAY)
    text = render(preset.slug, TODAY)
    assert f"    model: {old.model}\n" in text and f"    model: {new.model}\n" in text
    header = " ".join(line.removeprefix("#").strip() for line in text.splitlines() if line.startswith("#"))
    assert list_price_difference(old.model, new.model) in header, header
    assert preset.title in header
