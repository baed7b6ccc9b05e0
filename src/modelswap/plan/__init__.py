"""The migration plan: 12 items in 3 phases, each ticked by evidence from the store or by hand.

    from modelswap.plan import load_checklist, tick, to_markdown

    plan = load_checklist(store, migration)          # evidence + ticks → states, progress
    tick(store, "red-team", by="alice", note="done by the security team")
    print(to_markdown(load_checklist(store, migration)))

Evidence rules are pure (``evaluate`` over ``PlanFacts``); ``read_facts`` is the only reader.
"""

from modelswap.plan.adjustments import Requirements, SuiteCheck, requirements
from modelswap.plan.checklist import Checklist, ItemStatus, build_checklist, load_checklist, preset_of, ticks_from
from modelswap.plan.evidence import STATES, CheckResult, Evidence, State, evaluate
from modelswap.plan.export import iso, to_dict, to_json, to_markdown
from modelswap.plan.facts import NightlyGates, NightlyScore, PlanFacts, read_facts
from modelswap.plan.items import ITEMS, PHASES, Item, Phase, UnknownItem, item, items_of
from modelswap.plan.progress import PhaseProgress, Progress
from modelswap.plan.ticks import describe_tick, history, resolve, tick, untick

__all__ = [
    "ITEMS",
    "PHASES",
    "STATES",
    "CheckResult",
    "Checklist",
    "Evidence",
    "Item",
    "ItemStatus",
    "NightlyGates",
    "NightlyScore",
    "Phase",
    "PhaseProgress",
    "PlanFacts",
    "Progress",
    "Requirements",
    "State",
    "SuiteCheck",
    "UnknownItem",
    "build_checklist",
    "describe_tick",
    "evaluate",
    "history",
    "iso",
    "item",
    "items_of",
    "load_checklist",
    "preset_of",
    "read_facts",
    "requirements",
    "resolve",
    "tick",
    "ticks_from",
    "to_dict",
    "to_json",
    "to_markdown",
    "untick",
]
