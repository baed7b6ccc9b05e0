"""The migration plan's 12 items in 3 phases: what each one is and what proves it done."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of the migration (about a week or two) and its items."""

    key: str
    title: str
    weeks: str


@dataclass(frozen=True, slots=True)
class Item:
    """One checkbox of the plan."""

    number: int
    key: str
    """Stable id used by ticks, the CLI and the export (``baseline``)."""
    phase: str
    title: str
    needs: str
    """The evidence that ticks it, in a sentence."""
    manual_note: str | None = None
    """Set when modelswap cannot (yet) prove the item from its own records: why, and what to do."""


PHASES: tuple[Phase, ...] = (
    Phase("scope", "Scope + baseline", "week 1"),
    Phase("shadow", "Shadow eval", "weeks 2–3"),
    Phase("cutover", "Cutover", "week 4"),
)

ITEMS: tuple[Item, ...] = (
    Item(
        1,
        "inventory",
        "scope",
        "Inventory: which workloads use the old model, at what volume",
        "an inventory snapshot recorded for every workload (requests, tokens, cost)",
        manual_note="run `modelswap inventory -c migration.yaml` on your logs (it records evidence), or tick by hand",
    ),
    Item(
        2,
        "baseline",
        "scope",
        "Baseline: pass rate, cost, P95 latency per workload",
        "a stored baseline for every workload",
    ),
    Item(
        3,
        "quality-gate",
        "scope",
        "Quality gate: non-regression threshold per workload",
        "gates configured for every workload in the migration file",
    ),
    Item(
        4,
        "go-no-go",
        "scope",
        "Go/no-go criteria: what triggers a rollback",
        "rollback triggers configured for every workload in the migration file",
    ),
    Item(
        5,
        "shadow",
        "shadow",
        "Shadow mode: 100 % of traffic, both models run, only the old serves",
        "shadow pairs for every workload spanning at least the minimum shadow days",
    ),
    Item(
        6,
        "nightly-scoring",
        "shadow",
        "Score both models against the golden set nightly",
        "finished nightly eval runs of both models on enough nights for every workload, "
        "and its gates PASS on the latest (FAIL or INCONCLUSIVE never ticks it)",
    ),
    Item(
        7,
        "diff-review",
        "shadow",
        "Diff outputs on 200 real requests with human review",
        "human verdicts on at least the review sample of shadow pairs",
    ),
    Item(
        8,
        "red-team",
        "shadow",
        "Red-team the new model: injection, jailbreak, output leak",
        "red-team probes run against both models for every workload",
        manual_note="no red-team runner records results yet; tick by hand when the red-team is done",
    ),
    Item(
        9,
        "canary",
        "cutover",
        "Canary 1 % for 48 h; promote if metrics stable",
        "every workload held at the canary share or more for the hold time without a rollback",
    ),
    Item(
        10,
        "promote",
        "cutover",
        "Promote 10 % → 50 % → 100 % with 24 h pauses",
        "every workload at 100 %, each promotion step held for its pause",
    ),
    Item(
        11,
        "rollback-drill",
        "cutover",
        "Rollback plan rehearsed and wired (one-click flag)",
        "a rollback followed by its undo (a drill) recorded for every workload",
    ),
    Item(
        12,
        "retention",
        "cutover",
        "Old model stays deployable 30 days after 100 %",
        "healthy probes of the old model for the retention window after 100 %",
        manual_note="no health probes of the old model are recorded yet; tick by hand when the window has passed",
    ),
)

_BY_KEY = {i.key: i for i in ITEMS}


class UnknownItem(KeyError):
    """An item reference that is neither a key nor a number 1–12; the message lists the keys."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref

    def __str__(self) -> str:
        close = difflib.get_close_matches(self.ref, list(_BY_KEY), n=1)
        guess = f"did you mean {close[0]!r}? " if close else ""
        keys = ", ".join(f"{i.number} {i.key}" for i in ITEMS)
        return f"unknown plan item {self.ref!r}: {guess}use a number 1–{len(ITEMS)} or a key: {keys}"


def item(ref: str | int) -> Item:
    """The item with this key (``baseline``) or number (``2``, ``"2"``); ``UnknownItem`` otherwise."""
    text = str(ref).strip().lower()
    if text.isdigit() and 1 <= int(text) <= len(ITEMS):
        return ITEMS[int(text) - 1]
    found = _BY_KEY.get(text) or _BY_KEY.get(text.replace("_", "-"))
    if found is None:
        raise UnknownItem(str(ref))
    return found


def phase(key: str) -> Phase:
    """The phase with this key."""
    for p in PHASES:
        if p.key == key:
            return p
    raise KeyError(f"unknown phase {key!r}; known: {', '.join(p.key for p in PHASES)}")


def items_of(phase_key: str) -> tuple[Item, ...]:
    """The items of one phase, in plan order."""
    return tuple(i for i in ITEMS if i.phase == phase_key)
