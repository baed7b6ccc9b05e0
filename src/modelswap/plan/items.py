"""The migration plan's items (12 built in) in 3 phases: what each one is and what proves it done.

Each item is declared beside its evidence rule, with ``@plan_item(...)`` (``registry.py``) in
the rule modules (``scope_rules``, ``shadow_rules``, ``cutover_rules``); ``ITEMS`` lists them
in order. A 13th item is one module with one decorated rule.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload


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

_REGISTERED: dict[str, Item] = {}


def register_item(new: Item) -> Item:
    """Add an item to the plan (``registry.plan_item`` does, with its rule); numbers and keys are unique."""
    previous = _REGISTERED.get(new.key)
    if previous is not None and previous != new:
        raise ValueError(f"plan item {new.key!r} is already registered as number {previous.number}")
    clash = next((i for i in _REGISTERED.values() if i.number == new.number and i.key != new.key), None)
    if clash is not None:
        raise ValueError(f"plan item number {new.number} is already {clash.key!r}")
    if new.phase not in {p.key for p in PHASES}:
        raise ValueError(
            f"plan item {new.key!r}: unknown phase {new.phase!r}; known: {', '.join(p.key for p in PHASES)}"
        )
    _REGISTERED[new.key] = new
    return new


def unregister_item(key: str) -> None:
    """Take an item off the plan (for a test that added one)."""
    _REGISTERED.pop(key, None)


class _Items(Sequence[Item]):
    """The registered items in plan order (by number), read live from the registry."""

    def _ordered(self) -> list[Item]:
        return sorted(_REGISTERED.values(), key=lambda i: i.number)

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Item]: ...
    def __getitem__(self, index: int | slice) -> Item | Sequence[Item]:
        return self._ordered()[index]

    def __len__(self) -> int:
        return len(_REGISTERED)


ITEMS: Sequence[Item] = _Items()
"""Every item of the plan, in order; each rule module registers its own (``registry.plan_item``)."""


class UnknownItem(KeyError):
    """An item reference that is neither a key nor a number 1–12; the message lists the keys."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref

    def __str__(self) -> str:
        close = difflib.get_close_matches(self.ref, list(_REGISTERED), n=1)
        guess = f"did you mean {close[0]!r}? " if close else ""
        keys = ", ".join(f"{i.number} {i.key}" for i in ITEMS)
        return f"unknown plan item {self.ref!r}: {guess}use a number 1–{len(ITEMS)} or a key: {keys}"


def item(ref: str | int) -> Item:
    """The item with this key (``baseline``) or number (``2``, ``"2"``); ``UnknownItem`` otherwise."""
    text = str(ref).strip().lower()
    if text.isdecimal() and 1 <= int(text) <= len(ITEMS):
        return ITEMS[int(text) - 1]
    found = _REGISTERED.get(text) or _REGISTERED.get(text.replace("_", "-"))
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
