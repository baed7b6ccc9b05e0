"""The plan-item registry: ``@plan_item(...)`` on an evidence rule adds the item to the plan.

    @plan_item(13, "load-test", "cutover", "Load test at peak traffic", "a load-test run recorded")
    def load_test(ctx: Context) -> Evidence:
        ...

The item (number, key, phase, title, what proves it, and a note when only a person can tick
it) and its rule are declared once, side by side; ``ITEMS``, ``modelswap plan``, the console
and the export list whatever is registered, in number order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from modelswap.plan.items import Item, register_item, unregister_item
from modelswap.plan.status import Context, Evidence

__all__ = ["RULES", "Rule", "plan_item", "remove_item"]

Rule = Callable[[Context], Evidence]

_RULES: dict[str, Rule] = {}
RULES: Mapping[str, Rule] = _RULES
"""Each registered item's evidence rule, by item key."""


def plan_item(
    number: int, key: str, phase: str, title: str, needs: str, manual_note: str | None = None
) -> Callable[[Rule], Rule]:
    """Register ``Item(number, key, phase, title, needs, manual_note)`` with the decorated rule."""

    def register(rule: Rule) -> Rule:
        register_item(Item(number, key, phase, title, needs, manual_note))
        _RULES[key] = rule
        return rule

    return register


def remove_item(key: str) -> None:
    """Take an item and its rule off the plan (for a test that added one)."""
    unregister_item(key)
    _RULES.pop(key, None)
