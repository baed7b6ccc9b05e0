"""Catalog data and lookup: coverage, published prices, alias resolution, clear errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from modelswap.catalog import (
    CatalogDataError,
    ModelInfo,
    Price,
    UnknownModel,
    all_models,
    load_catalog,
    lookup,
    require,
)
from modelswap.catalog.models import default_catalog

REQUIRED = [
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "o3",
    "o4-mini",
    "claude-opus-4-1",
    "claude-opus-4-7",
    "claude-opus-4",
    "claude-sonnet-4",
    "claude-sonnet-4-5",
    "claude-haiku-4",
    "claude-haiku-4-5",
    "claude-3-5-haiku",
    "gemini-2.5-pro",
    "gemini-2.5-flash",
]


def test_catalog_covers_the_models_migrations_start_from_or_go_to() -> None:
    ids = {info.id for info in all_models()}
    assert set(REQUIRED) <= ids


@pytest.mark.parametrize("info", all_models(), ids=lambda info: info.id)
def test_every_model_records_where_and_when_its_price_was_checked(info: ModelInfo) -> None:
    assert info.source.startswith("https://")
    assert date(2025, 1, 1) <= info.checked <= date.today()
    assert info.vendor in {"openai", "anthropic", "google"}
    if info.deprecated or info.retires:
        assert info.lifecycle_source and info.lifecycle_source.startswith("https://")


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        # Published list prices (USD per 1M tokens: input, output, cached input).
        ("gpt-5", (1.25, 10.0, 0.125)),
        ("gpt-4o", (2.50, 10.0, 1.25)),
        ("claude-opus-4-1", (15.0, 75.0, 1.50)),
        ("claude-sonnet-4-5", (3.0, 15.0, 0.30)),
        ("claude-haiku-4-5", (1.0, 5.0, 0.10)),
        ("claude-opus-4-7", (5.0, 25.0, 0.50)),
    ],
)
def test_published_prices(model_id: str, expected: tuple[float, float, float]) -> None:
    price = require(model_id).price
    assert (price.input, price.output, price.cached_input) == pytest.approx(expected)


def test_assumed_entries_say_so() -> None:
    haiku_4 = require("claude-haiku-4")
    assert haiku_4.price == require("claude-haiku-4-5").price
    assert haiku_4.note and "assumed" in haiku_4.note.lower()
    opus_4_7 = require("claude-opus-4-7")
    assert opus_4_7.note and "assumed" in opus_4_7.note.lower()


@pytest.mark.parametrize(
    ("sent", "canonical"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-2024-11-20", "gpt-4o"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-opus-4-0", "claude-opus-4"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        # Longest known prefix wins: not gpt-4o, gpt-5 or claude-opus-4.
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        # A snapshot not listed as an alias still resolves by its date suffix.
        ("gpt-4.1-2099-01-01", "gpt-4.1"),
        # Spellings from routers and clouds.
        ("openai/gpt-4o", "gpt-4o"),
        ("models/gemini-2.5-pro", "gemini-2.5-pro"),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("us.anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1"),
        ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
        ("  GPT-5 ", "gpt-5"),
    ],
)
def test_aliases_and_dated_snapshots_resolve(sent: str, canonical: str) -> None:
    info = lookup(sent)
    assert info is not None and info.id == canonical


def test_an_exact_entry_beats_a_prefix() -> None:
    # The first GPT-4o snapshot kept its launch price; it must not be priced as gpt-4o.
    first = require("gpt-4o-2024-05-13")
    assert first.id == "gpt-4o-2024-05-13"
    assert (first.price.input, first.price.output) == (5.0, 15.0)


@pytest.mark.parametrize(
    "other_model",
    # Different models (and prices) that merely start with a known id.
    ["claude-opus-4-8", "o3-pro", "o3-mini", "gpt-5-chat-latest", "gpt-4o-audio-preview", "gpt-5-pro"],
)
def test_a_suffix_that_is_not_a_snapshot_does_not_resolve(other_model: str) -> None:
    assert lookup(other_model) is None


def test_unknown_model_error_lists_close_matches() -> None:
    with pytest.raises(UnknownModel) as caught:
        require("claude-sonet-4-5")
    assert isinstance(caught.value, KeyError)
    assert "claude-sonnet-4-5" in caught.value.suggestions
    message = str(caught.value)
    assert "unknown model 'claude-sonet-4-5'" in message
    assert "did you mean" in message and "'claude-sonnet-4-5'" in message


def test_data_is_loaded_once() -> None:
    assert default_catalog() is default_catalog()


def test_price_cached_input_defaults_to_input() -> None:
    price = Price(input=2.0, output=8.0)
    assert price.cached_input == 2.0


@pytest.mark.parametrize(
    "fields",
    [
        {"input": -1.0, "output": 1.0},
        {"input": 1.0, "output": float("nan")},
        {"input": 1.0, "output": 2.0, "cached_input": 1.5},  # cache read dearer than input
        {"input": 1.0, "output": 2.0, "batch": 0.5},
    ],
)
def test_bad_prices_are_rejected(fields: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Price.model_validate(fields)


def test_price_is_immutable() -> None:
    price = Price(input=1.0, output=2.0)
    with pytest.raises(ValidationError):
        price.input = 3.0  # type: ignore[misc]


def test_a_valid_custom_file_loads(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(
        """
        models:
          my-model:
            vendor: openai
            family: test
            display_name: Test
            price: {input: 1.0, output: 2.0}
            source: https://example.com/pricing
            checked: 2026-11-25
            aliases: [mm-1]
        """
    )
    catalog = load_catalog(path)
    assert len(catalog) == 1
    found = catalog.lookup("MM-1")
    assert found is not None and found.id == "my-model" and found.price.cached_input == 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            """
            models:
              good: {vendor: openai, family: f, display_name: G, price: {input: 1, output: 2},
                     source: "https://x.example", checked: 2026-11-25}
              broken:
                vendor: openai
                family: f
                display_name: B
                price: {input: -3, output: 2}
                source: https://x.example
                checked: 2026-11-25
            """,
            [":5:", "model 'broken'", "price.input", "greater than or equal to 0"],
        ),
        (
            """
            models:
              no-source: {vendor: openai, family: f, display_name: N, price: {input: 1, output: 2},
                          checked: 2026-11-25}
            """,
            ["model 'no-source'", "source: Field required"],
        ),
        (
            """
            models:
              plain-http: {vendor: openai, family: f, display_name: P, price: {input: 1, output: 2},
                           source: "http://x.example", checked: 2026-11-25}
            """,
            ["model 'plain-http'", "source: String should match pattern"],
        ),
        (
            """
            models:
              backwards: {vendor: openai, family: f, display_name: B, price: {input: 1, output: 2},
                          source: "https://x.example", checked: 2026-11-25,
                          deprecated: 2026-06-01, retires: 2026-01-01,
                          lifecycle_source: "https://x.example/deprecations"}
            """,
            ["model 'backwards'", "retires (2026-01-01) is before deprecated (2026-06-01)"],
        ),
        (
            """
            models:
              a: {vendor: openai, family: f, display_name: A, price: {input: 1, output: 2},
                  source: "https://x.example", checked: 2026-11-25, aliases: [shared]}
              b: {vendor: openai, family: f, display_name: B, price: {input: 1, output: 2},
                  source: "https://x.example", checked: 2026-11-25, aliases: [shared]}
            """,
            ["model 'b'", "'shared' is already used by 'a'"],
        ),
        (
            """
            models:
              a: {id: a, vendor: openai}
            """,
            ["model 'a'", "remove the 'id' field"],
        ),
        ("models:\n  a: just-a-string\n", ["model 'a'", "expected a mapping"]),
        ("models: [a, b]\n", ["expected a top-level 'models:' mapping"]),
        ("models:\n  a: {vendor: [unclosed\n", ["not valid YAML"]),
    ],
)
def test_bad_data_file_gives_a_clear_error(write_yaml: Callable[..., Path], text: str, expected: list[str]) -> None:
    path = write_yaml(text, "models.yaml")
    with pytest.raises(CatalogDataError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_missing_data_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogDataError, match="not found"):
        load_catalog(tmp_path / "absent.yaml")
