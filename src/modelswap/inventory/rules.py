"""The migration file's workload rules as one SQL ``CASE``, applied to millions of log records at once.

The semantics are the gateway's (``workload_match.py``): the first workload, in file order,
with any rule whose every condition holds wins. Header names are case-insensitive; metadata
and header values, user prefixes and key names match exactly; a path prefix matches whole
segments. The gateway's ``default_workload`` is *not* applied: traffic no rule recognises is
what the inventory proposes workloads for. ``tests/inventory/test_rules.py`` checks the SQL
against ``WorkloadMatcher`` on the same records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from modelswap.config import MatchRule, Workload
from modelswap.inventory.sqltext import lit
from modelswap.workload_match import normalize_prefix


@dataclass(frozen=True, slots=True)
class RuleInputs:
    """What the rules look at, so readers extract only that: metadata keys, header names, and flags."""

    metadata_keys: tuple[str, ...] = ()
    header_names: tuple[str, ...] = ()
    """Lower-cased."""
    user: bool = False
    key_name: bool = False
    path: bool = False

    def meta_column(self, key: str) -> str:
        return f"meta_{self.metadata_keys.index(key)}"

    def header_column(self, name: str) -> str:
        return f"hdr_{self.header_names.index(name.lower())}"


def rule_inputs(workloads: Iterable[Workload]) -> RuleInputs:
    """The record fields the workloads' match rules need."""
    meta: list[str] = []
    headers: list[str] = []
    user = key = path = False
    for w in workloads:
        for rule in w.match:
            for k in rule.metadata or {}:
                if k not in meta:
                    meta.append(k)
            for h in rule.header or {}:
                if h.lower() not in headers:
                    headers.append(h.lower())
            user |= rule.user_prefix is not None
            key |= rule.api_key is not None
            path |= rule.path_prefix is not None
    return RuleInputs(tuple(meta), tuple(headers), user, key, path)


def _condition(rule: MatchRule, inputs: RuleInputs) -> str:
    parts = [f"{inputs.header_column(name)} = {lit(value)}" for name, value in (rule.header or {}).items()]
    parts += [f"{inputs.meta_column(key)} = {lit(value)}" for key, value in (rule.metadata or {}).items()]
    if rule.user_prefix is not None:
        parts.append(f"starts_with(user_id, {lit(rule.user_prefix)})")
    if rule.api_key is not None:
        parts.append(f"key_name = {lit(rule.api_key)}")
    if rule.path_prefix is not None:
        prefix = normalize_prefix(rule.path_prefix)
        if prefix:
            parts.append(f"(path = {lit(prefix)} OR starts_with(path, {lit(prefix + '/')}))")
        else:
            parts.append("path IS NOT NULL")
    return " AND ".join(parts) or "false"


def rules_sql(workloads: Iterable[Workload], inputs: RuleInputs) -> str:
    """SQL giving each record's workload by the rules, or NULL when none matches."""
    whens = [
        f"WHEN {_condition(rule, inputs)} THEN {lit(w.name)}"
        for w in workloads
        for rule in w.match  # rules in file order, workload by workload: the gateway's order
    ]
    if not whens:
        return "NULL::VARCHAR"
    return "CASE " + " ".join(whens) + " END"
