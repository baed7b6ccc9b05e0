"""The starter migration file names the models picked for the day and what they cost against each other."""

from __future__ import annotations

from datetime import date

from modelswap.starter import render

TODAY = date(2026, 12, 2)


def test_the_starter_names_the_picked_models_and_their_list_price_difference() -> None:
    text = render("opus-to-sonnet", TODAY)
    assert "    model: claude-opus-4-7\n" in text and "    model: claude-sonnet-5-5\n" in text
    assert "claude-sonnet-5-5 costs 60% less than claude-opus-4-7" in text  # $5/$25 -> $2/$10
    assert "claude-opus-4-7 costs the same as claude-opus-4-6" in render("opus-4-1-to-opus-4-7", TODAY)
    assert "claude-sonnet-5-5 costs 16% more than gpt-5" in render("gpt-5-to-sonnet", TODAY)
