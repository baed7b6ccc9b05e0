"""Plan fixtures: a three-workload migration (written in full or left to defaults), a SQLite store, a fixed clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelswap.config import Migration, parse_migration
from modelswap.store import Store, open_store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WORKLOADS = ("ticket-triage", "extraction", "order-tools")


def at(hours: float = 0, days: float = 0) -> datetime:
    """A fixed, aware time after T0 (tests never read the clock)."""
    return T0 + timedelta(hours=hours, days=days)


def migration_text(*, scenario: str | None = None, written: bool = True, store: str = "sqlite:///modelswap.db") -> str:
    """A migration file; ``written`` spells out gates and rollback triggers for every workload."""
    blocks = []
    for name in WORKLOADS:
        block = f"  - name: {name}\n    match: [{{header: {{x-modelswap-workload: {name}}}}}]\n"
        if written:
            block += (
                "    gates: {pass_rate: {max_drop_points: 2}, p95_latency: {max_ratio: 1.2}}\n"
                "    rollback_triggers: [{metric: error_rate, max_increase_points: 2}]\n"
            )
        blocks.append(block)
    head = f"name: demo-migration\nstore: {store}\n" + (f"scenario: {scenario}\n" if scenario else "")
    return (
        head
        + "endpoints:\n  old: {provider: sim, model: gpt-4o}\n  new: {provider: sim, model: gpt-5}\n"
        + "workloads:\n"
        + "".join(blocks)
        + "rollout: {shadow_min_days: 14}\n"
    )


@pytest.fixture
def make_migration(tmp_path: Path) -> Callable[..., Migration]:
    def make(**kwargs: object) -> Migration:
        text = migration_text(**kwargs)  # type: ignore[arg-type]
        return parse_migration(text, str(tmp_path / "migration.yaml"), tmp_path)

    return make


@pytest.fixture
def migration(make_migration: Callable[..., Migration]) -> Migration:
    return make_migration()


@pytest.fixture
def store(migration: Migration) -> Iterator[Store]:
    opened = open_store(migration.store)
    try:
        yield opened
    finally:
        opened.close()
