"""Candidates: endpoint names or catalog ids, reached as the file reaches their vendor; retired ones left out."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelswap.catalog import Catalog, ModelInfo
from modelswap.choose.candidates import ChooseError, resolve_candidates, with_candidates
from modelswap.config import Migration, parse_migration

TODAY = date(2026, 12, 2)
SOURCE = "https://example.com/pricing"


def info(model: str, vendor: str, retires: date | None = None, deprecated: date | None = None) -> ModelInfo:
    return ModelInfo(
        id=model,
        vendor=vendor,
        family=model,
        display_name=model.upper(),
        price={"input": 1.0, "output": 2.0},
        source=SOURCE,
        checked=date(2026, 11, 1),
        retires=retires,
        deprecated=deprecated,
        lifecycle_source=SOURCE if retires or deprecated else None,
    )


CATALOG = Catalog(
    [
        info("big-1", "openai"),
        info("small-1", "openai"),
        info("gone-1", "openai", retires=date(2026, 10, 1), deprecated=date(2026, 4, 1)),
        info("going-1", "openai", retires=date(2027, 1, 10), deprecated=date(2026, 10, 1)),
        info("claude-x", "anthropic"),
        info("gem-1", "google"),
    ]
)


def migration(tmp_path: Path, old: dict[str, Any], new: dict[str, Any], **extra: dict[str, Any]) -> Migration:
    doc = {"endpoints": {"old": old, "new": new, **extra}, "workloads": [{"name": "w"}]}
    return parse_migration(yaml.safe_dump(doc, sort_keys=False), str(tmp_path / "migration.yaml"), tmp_path)


OPENAI = {"provider": "openai", "base_url": "https://api.example.com/v1", "api_key_env": "OPENAI_KEY"}
ANTHROPIC = {"provider": "anthropic", "base_url": "https://claude.example.com", "api_key_env": "ANTHROPIC_KEY"}


def test_endpoint_names_are_taken_as_they_are_and_the_default_is_every_endpoint_but_old(tmp_path: Path) -> None:
    m = migration(tmp_path, {"provider": "sim", "model": "big-1"}, {"provider": "sim", "model": "small-1"},
                  alt={"provider": "sim", "model": "claude-x"})  # fmt: skip
    chosen = resolve_candidates(m, [], TODAY, catalog=CATALOG)
    assert chosen.arms == ("new", "alt") and not chosen.added and not chosen.excluded


def test_a_catalog_id_on_a_simulated_migration_runs_on_the_simulator(tmp_path: Path) -> None:
    m = migration(tmp_path, {"provider": "sim", "model": "big-1"}, {"provider": "sim", "model": "small-1"})
    chosen = resolve_candidates(m, ["claude-x"], TODAY, catalog=CATALOG)
    assert chosen.arms == ("claude-x",)
    assert chosen.added["claude-x"].provider == "sim" and chosen.added["claude-x"].model == "claude-x"
    assert "claude-x" in with_candidates(m, chosen).endpoints and "claude-x" not in m.endpoints


def test_a_catalog_id_copies_the_endpoint_that_reaches_its_vendor(tmp_path: Path) -> None:
    m = migration(tmp_path, {**OPENAI, "model": "big-1", "price": {"input": 9, "output": 9}},
                  {**ANTHROPIC, "model": "claude-x"})  # fmt: skip
    chosen = resolve_candidates(m, ["small-1", "CLAUDE-X"], TODAY, catalog=CATALOG)
    small = chosen.added["small-1"]
    assert (small.provider, small.base_url, small.api_key_env, small.price) == (
        "openai", "https://api.example.com/v1", "OPENAI_KEY", None)  # fmt: skip
    assert chosen.arms == ("small-1", "new")  # claude-x is what ``new`` serves: that endpoint, not a copy
    with pytest.raises(ChooseError, match=r"google model, and no endpoint .* reaches google"):
        resolve_candidates(m, ["gem-1"], TODAY, catalog=CATALOG)


def test_unknown_names_and_old_itself_are_refused_with_what_to_write(tmp_path: Path) -> None:
    m = migration(tmp_path, {"provider": "sim", "model": "big-1"}, {"provider": "sim", "model": "small-1"})
    with pytest.raises(ChooseError, match=r"unknown candidate 'smal-1'.*did you mean 'small-1'"):
        resolve_candidates(m, ["smal-1"], TODAY, catalog=CATALOG)
    with pytest.raises(ChooseError, match="'old' is the baseline"):
        resolve_candidates(m, ["old"], TODAY, catalog=CATALOG)
    with pytest.raises(ChooseError, match="candidate name of 100,000 characters"):
        resolve_candidates(m, ["x" * 100_000], TODAY, catalog=CATALOG)
    with pytest.raises(ChooseError, match="at most 32"):
        resolve_candidates(m, [f"c{i}" for i in range(33)], TODAY, catalog=CATALOG)


def test_retired_models_are_left_out_with_a_line_and_retiring_ones_flagged(tmp_path: Path) -> None:
    m = migration(tmp_path, {"provider": "sim", "model": "big-1"}, {"provider": "sim", "model": "gone-1"})
    chosen = resolve_candidates(m, ["new", "going-1", "small-1"], TODAY, catalog=CATALOG)
    assert chosen.arms == ("going-1", "small-1")
    assert len(chosen.excluded) == 1 and "new left out" in chosen.excluded[0]
    assert "retired on 2026-10-01" in chosen.excluded[0]
    assert "retires on 2027-01-10 (in 39 days)" in chosen.flags["going-1"] and "small-1" not in chosen.flags
    with pytest.raises(ChooseError, match=r"no candidate left.*retired"):
        resolve_candidates(m, ["new"], TODAY, catalog=CATALOG)
