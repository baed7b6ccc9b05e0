"""Cost of a request: known answers worked by hand, overrides, and clear errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.catalog import Price, UnknownModel, Usage, cost, price_for, require


@pytest.mark.parametrize(
    ("model", "usage", "expected"),
    [
        # gpt-5 ($1.25 in / $10 out / $0.125 cached): 1M prompt of which 200k cached, 500k completion
        #   = 0.8 × 1.25 + 0.2 × 0.125 + 0.5 × 10 = 1.0 + 0.025 + 5.0 = 6.025
        ("gpt-5", Usage(1_000_000, 500_000, 200_000), 6.025),
        # gpt-4o ($2.50 / $10 / $1.25): 2M prompt of which 1M cached, 500k completion
        #   = 1 × 2.50 + 1 × 1.25 + 0.5 × 10 = 8.75
        ("gpt-4o", Usage(2_000_000, 500_000, 1_000_000), 8.75),
        # claude-sonnet-4-5 ($3 / $15 / $0.30): 100k prompt of which 80k cache reads, 2k completion
        #   = 0.02 × 3 + 0.08 × 0.30 + 0.002 × 15 = 0.06 + 0.024 + 0.03 = 0.114
        ("claude-sonnet-4-5", Usage(100_000, 2_000, 80_000), 0.114),
        # claude-opus-4-1 ($15 / $75): 10k prompt, 1k completion, no cache
        #   = 0.01 × 15 + 0.001 × 75 = 0.15 + 0.075 = 0.225
        ("claude-opus-4-1", Usage(10_000, 1_000), 0.225),
        # claude-haiku-4-5 ($1 / $5 / $0.10): one typical chat turn, 1,200 prompt (1,000 cached), 300 out
        #   = 200 × 1e-6 + 1,000 × 0.1e-6 + 300 × 5e-6 = 0.0002 + 0.0001 + 0.0015 = 0.0018
        ("claude-haiku-4-5", Usage(1_200, 300, 1_000), 0.0018),
    ],
)
def test_known_answers(model: str, usage: Usage, expected: float) -> None:
    assert cost(usage, model) == pytest.approx(expected, rel=1e-12)


def test_dated_snapshot_costs_the_same_as_its_model() -> None:
    usage = Usage(12_345, 678, 1_000)
    assert cost(usage, "gpt-4o-2024-08-06") == cost(usage, "gpt-4o")
    assert cost(usage, "claude-sonnet-4-5-20250929") == cost(usage, "claude-sonnet-4-5")


def test_a_price_can_be_given_directly() -> None:
    # No cached_input: cached tokens are billed at the input rate. 1M × $2 + 1M × $4 = $6.
    assert cost(Usage(1_000_000, 1_000_000, 400_000), Price(input=2.0, output=4.0)) == pytest.approx(6.0)


def test_empty_usage_costs_nothing() -> None:
    assert cost(Usage(0, 0), "gpt-5") == 0.0


def test_override_for_the_id_as_sent_wins_over_the_catalog() -> None:
    negotiated = Price(input=1.0, output=5.0, cached_input=0.1)
    overrides = {"gpt-5": negotiated}
    # 1M prompt × $1 + 1M completion × $5 = $6 (the catalog would say 1.25 + 10 = $11.25).
    assert cost(Usage(1_000_000, 1_000_000), "gpt-5", overrides) == pytest.approx(6.0)
    assert cost(Usage(1_000_000, 1_000_000), "gpt-5") == pytest.approx(11.25)


def test_override_for_the_catalog_id_also_prices_its_snapshots() -> None:
    overrides = {"claude-sonnet-4-5": Price(input=2.0, output=10.0)}
    assert price_for("claude-sonnet-4-5-20250929", overrides) == overrides["claude-sonnet-4-5"]


def test_override_prices_a_model_the_catalog_does_not_know() -> None:
    fine_tune = "ft:gpt-4o-mini:acme:support:abc123"
    overrides = {fine_tune: Price(input=0.30, output=1.20)}
    # 1M × $0.30 + 500k × $1.20 = $0.90
    assert cost(Usage(1_000_000, 500_000), fine_tune, overrides) == pytest.approx(0.90)


def test_unknown_model_without_override_is_a_clear_error() -> None:
    with pytest.raises(UnknownModel) as caught:
        cost(Usage(10, 10), "gpt-5-nanoo")
    message = str(caught.value)
    assert "unknown model 'gpt-5-nanoo'" in message
    assert "'gpt-5-nano'" in message
    assert "price overrides" in message


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"prompt_tokens": -1, "completion_tokens": 0}, "prompt_tokens must be a non-negative integer"),
        ({"prompt_tokens": 1, "completion_tokens": 2.5}, "completion_tokens must be a non-negative integer"),
        ({"prompt_tokens": 1, "completion_tokens": True}, "completion_tokens must be a non-negative integer"),
        ({"prompt_tokens": 10, "completion_tokens": 1, "cached_tokens": 11}, "cached tokens are a subset"),
    ],
)
def test_bad_usage_is_rejected(fields: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Usage(**fields)  # type: ignore[arg-type]


@given(
    prompt=st.integers(0, 10_000_000),
    completion=st.integers(0, 10_000_000),
    cached_share=st.floats(0, 1),
)
def test_cost_is_the_sum_of_its_parts_and_caching_never_costs_more(
    prompt: int, completion: int, cached_share: float
) -> None:
    cached = int(prompt * cached_share)
    price = require("claude-sonnet-4-5").price
    total = cost(Usage(prompt, completion, cached), price)
    by_hand = ((prompt - cached) * 3.0 + cached * 0.30 + completion * 15.0) / 1e6
    assert total == pytest.approx(by_hand, rel=1e-9, abs=1e-12)
    assert total <= cost(Usage(prompt, completion, 0), price) + 1e-12
