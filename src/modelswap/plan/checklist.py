"""The plan as a team sees it: each item's state, by whom or by what evidence, when, and progress.

``build_checklist`` is pure (migration, facts, ticks → ``Checklist``); ``load_checklist``
reads the store first. The console, the CLI and the export all show a ``Checklist``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from modelswap.catalog.scenarios import Scenario, scenario
from modelswap.config import Migration
from modelswap.plan.adjustments import DEFAULT_NIGHTLY_NIGHTS, requirements
from modelswap.plan.evidence import Evidence, State, evaluate
from modelswap.plan.facts import PlanFacts, read_facts
from modelswap.plan.items import ITEMS, PHASES, Item, Phase, item
from modelswap.plan.progress import Progress, progress
from modelswap.plan.ticks import resolve
from modelswap.store import PlanTickRow, PlanTicks, Store


@dataclass(frozen=True, slots=True)
class ItemStatus:
    """One item of the plan, resolved: evidence and the latest tick weighed together."""

    item: Item
    state: State
    summary: str
    """One line: how it was done, or how far along it is."""
    done_by: str | None
    """``evidence`` or the person who ticked it by hand; None while not done."""
    done_at: datetime | None
    evidence: Evidence
    """What the records say, whatever the ticks."""
    tick: PlanTickRow | None
    """The latest tick or untick by hand, if any."""
    notes: tuple[str, ...] = ()
    """What the scenario changes for this item."""

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def by(self) -> str:
        """Who or what did it: ``evidence: baselines in the store``, ``alice (by hand)``, or empty."""
        if self.done_by == "evidence":
            return f"evidence: {self.evidence.source}" if self.evidence.source else "evidence"
        if self.done_by:
            return f"{self.done_by} (by hand)"
        return ""


@dataclass(frozen=True, slots=True)
class Checklist:
    """The whole plan at one moment."""

    migration: str
    source: str
    scenario: Scenario | None
    generated_at: datetime
    items: tuple[ItemStatus, ...]
    progress: Progress
    notes: tuple[str, ...]
    """The scenario's advice for the whole migration."""
    history: tuple[PlanTickRow, ...]
    """Every tick and untick by hand, oldest first."""

    def item(self, ref: str | int) -> ItemStatus:
        """An item by key or number (``UnknownItem`` otherwise)."""
        key = item(ref).key
        return next(s for s in self.items if s.item.key == key)

    def phase_items(self, phase: Phase | str) -> tuple[ItemStatus, ...]:
        key = phase if isinstance(phase, str) else phase.key
        return tuple(s for s in self.items if s.item.phase == key)

    @property
    def phases(self) -> tuple[Phase, ...]:
        return PHASES


def preset_of(migration: Migration) -> Scenario | None:
    """The migration's scenario preset, if it names one."""
    return scenario(migration.scenario) if migration.scenario else None


def build_checklist(
    migration: Migration,
    facts: PlanFacts,
    ticks: PlanTicks,
    *,
    preset: Scenario | None = None,
    nightly_nights: int = DEFAULT_NIGHTLY_NIGHTS,
) -> Checklist:
    """Evaluate every item's evidence, weigh it against the ticks, count progress. Pure."""
    preset = preset if preset is not None else preset_of(migration)
    reqs = requirements(migration, preset, nightly_nights=nightly_nights, today=facts.now.date())
    evidence = evaluate(migration, facts, reqs)
    latest: Mapping[str, PlanTickRow] = ticks.latest
    statuses = []
    for it in ITEMS:
        ev = evidence[it.key]
        tick = latest.get(it.key)
        r = resolve(ev, tick)
        statuses.append(ItemStatus(it, r.state, r.summary, r.done_by, r.done_at, ev, tick, reqs.notes.get(it.key, ())))
    return Checklist(
        migration=migration.name,
        source=migration.source,
        scenario=preset,
        generated_at=facts.now,
        items=tuple(statuses),
        progress=progress((s.item.phase, s.done) for s in statuses),
        notes=reqs.plan_notes,
        history=tuple(ticks.history),
    )


def load_checklist(
    store: Store,
    migration: Migration,
    *,
    now: datetime | None = None,
    nightly_nights: int = DEFAULT_NIGHTLY_NIGHTS,
) -> Checklist:
    """Read the store and build the plan as of ``now`` (default: the current time, UTC)."""
    moment = now or datetime.now(UTC)
    facts = read_facts(store, migration, moment)
    return build_checklist(migration, facts, store.plan.ticks(), nightly_nights=nightly_nights)


def ticks_from(rows: Sequence[PlanTickRow]) -> PlanTicks:
    """A ``PlanTicks`` from a list of rows, oldest first (for building a checklist by hand)."""
    latest: dict[str, PlanTickRow] = {}
    for row in rows:
        latest[row.item_key] = row
    return PlanTicks(latest=latest, history=tuple(rows))
