"""What an evidence rule says about a plan item, and the context every rule reads.

``Evidence`` is a rule's verdict: a state (``done``, ``in_progress``, ``not_started``,
``manual``), a one-line summary, key figures, progress and when it became sufficient.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from modelswap.config import Migration
from modelswap.plan.adjustments import Requirements
from modelswap.plan.facts import PlanFacts
from modelswap.plan.items import item

State = Literal["done", "in_progress", "not_started", "manual"]
STATES: tuple[State, ...] = ("done", "in_progress", "not_started", "manual")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """An extra check the scenario adds to an item, and whether the store proves it."""

    label: str
    met: bool
    detail: str
    why: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the records say about one item."""

    state: State
    summary: str
    """One line: done how, or how far along."""
    figures: tuple[str, ...] = ()
    """Key figures, one line each (per workload as a rule)."""
    progress: float = 0.0
    """0–1 within the item."""
    done_at: datetime | None = None
    """When the evidence became sufficient (None: not done, or proven by the migration file)."""
    source: str = ""
    """What the rule reads: ``baselines in the store``, ``the migration file``, ..."""
    checks: tuple[CheckResult, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    """The key figures as numbers, for the JSON export."""


@dataclass(frozen=True, slots=True)
class Context:
    """What every rule reads: the migration file, the facts from the store, the requirements."""

    migration: Migration
    facts: PlanFacts
    reqs: Requirements

    @property
    def names(self) -> list[str]:
        return [w.name for w in self.migration.workloads]

    @property
    def now(self) -> datetime:
        return self.facts.now


def by_count(k: int, n: int) -> State:
    """The state of an "every workload" rule with ``k`` of ``n`` workloads proven."""
    return "done" if k == n else "not_started" if k == 0 else "in_progress"


def missing(names: Iterable[str]) -> str:
    """``; missing: a, b`` (empty when none are missing)."""
    listed = list(names)
    return f"; missing: {', '.join(listed)}" if listed else ""


def manual_note(key: str) -> str:
    """The summary of an item modelswap cannot prove yet."""
    note = item(key).manual_note
    return f"manual: {note}" if note else "manual"
