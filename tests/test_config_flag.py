"""``config_flag``: the store and workload names, read without building the settings models."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import Migration, load_migration
from modelswap.config_flag import DEFAULT_STORE, read_flag_target


@pytest.fixture
def migration_file(tmp_path: Path) -> Path:
    assert CliRunner().invoke(app, ["init", str(tmp_path)]).exit_code == 0
    return tmp_path / "migration.yaml"


def test_the_light_read_finds_what_the_full_load_finds(migration_file: Path) -> None:
    target = read_flag_target(migration_file)
    migration = load_migration(migration_file)
    assert target is not None
    assert (target.store, target.workloads) == (migration.store, tuple(w.name for w in migration.workloads))
    assert target.store == f"sqlite:///{migration_file.parent.resolve() / 'modelswap.db'}"


def test_the_default_store_is_the_migrations() -> None:
    assert Migration.model_fields["store"].default == DEFAULT_STORE


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("workloads:\n", "workloads: [\n"),
        ("  - name: extraction ", "  - name: Extraction "),
        ("  - name: extraction ", "  - name: ticket-triage "),
        ("store: sqlite:///modelswap.db", "store: [1]"),
        ("version: 1", "version: 2"),
    ],
)
def test_anything_odd_is_left_to_the_full_check(migration_file: Path, old: str, new: str) -> None:
    text = migration_file.read_text()
    assert old in text
    migration_file.write_text(text.replace(old, new, 1))
    assert read_flag_target(migration_file) is None


def test_a_missing_file_is_left_to_the_full_check(tmp_path: Path) -> None:
    assert read_flag_target(tmp_path / "nope.yaml") is None
