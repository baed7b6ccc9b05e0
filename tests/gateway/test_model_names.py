"""Which model names route like a migrated model: exact names, catalog aliases and dated snapshots."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.gateway.model_names import ModelNames

NAMES = ModelNames(["old", "new"], ["gpt-4o", "claude-opus-4-1"])


def test_snapshots_and_aliases_of_a_migrated_model_are_migrated() -> None:
    for name in ["gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20", "claude-opus-4-1-20250805", "old", "new"]:
        assert name in NAMES, name


def test_other_models_are_not() -> None:
    for name in ["gpt-4o-mini", "gpt-4o-2024-05-13", "claude-opus-4", "claude-opus-4-1x", "text-embedding-3-small"]:
        assert name not in NAMES, name


def test_a_model_outside_the_catalog_matches_only_exactly() -> None:
    names = ModelNames(["old", "new"], ["acme-large", "acme-small"])
    assert "acme-large" in names and "acme-large-2025-01-01" not in names and "gpt-4o" not in names


def test_iterating_lists_the_exact_names_for_messages() -> None:
    assert sorted(NAMES) == ["claude-opus-4-1", "gpt-4o", "new", "old"] and len(NAMES) == 4


@settings(deadline=None)
@given(st.text(max_size=200))
def test_any_name_is_answered(name: str) -> None:
    assert isinstance(NAMES.migrated(name), bool) and (name in NAMES) is NAMES.migrated(name)


def test_the_memo_stays_bounded_and_non_strings_are_not_models() -> None:
    names = ModelNames(["old", "new"], ["gpt-4o", "gpt-5"])
    for i in range(5000):
        names.migrated(f"model-{i}")
    assert len(names._memo) <= 4096
    assert 1 not in names  # type: ignore[operator]
