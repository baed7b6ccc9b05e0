"""Evidence rules: what the store proves about each plan item. Pure: (migration, facts) → status.

Each rule looks at plain facts (``PlanFacts``) and the requirements the migration file and
its scenario set (``Requirements``), and says ``done`` (with the evidence, when it became
sufficient and the key figures), ``in_progress`` (how far), ``not_started``, or ``manual``
(modelswap has no machinery recording this yet; only a person can tick it). The rules live
one module per phase; this one runs them and adds the scenario's extra checks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from modelswap.config import Migration
from modelswap.plan import cutover_rules, scope_rules, shadow_rules  # noqa: F401  (their items register)
from modelswap.plan.adjustments import Requirements, SuiteCheck
from modelswap.plan.facts import PlanFacts, run_finished
from modelswap.plan.items import ITEMS
from modelswap.plan.registry import RULES
from modelswap.plan.status import STATES, CheckResult, Context, Evidence, State, missing

__all__ = ["RULES", "STATES", "CheckResult", "Context", "Evidence", "State", "evaluate", "suite_names"]

_SUITE_KEYS = frozenset({"suite", "suites", "name", "scorer", "scorers", "eval", "evals", "extra_evals"})


def suite_names(spec: Any, depth: int = 0) -> set[str]:
    """Names an eval run's spec gives its suites and scorers (``suite``, ``suites``, ``scorers``, ...)."""
    found: set[str] = set()
    if depth > 4:
        return found
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in _SUITE_KEYS:
                if isinstance(value, str):
                    found.add(value)
                elif isinstance(value, list | tuple):
                    found.update(v for v in value if isinstance(v, str))
            found |= suite_names(value, depth + 1)
    elif isinstance(spec, list | tuple):
        for value in spec:
            found |= suite_names(value, depth + 1)
    return found


def check_suite(ctx: Context, check: SuiteCheck) -> CheckResult:
    """A suite check is met when every workload has a finished eval run whose spec names the suite."""
    ran = [
        w
        for w in ctx.names
        if any(run_finished(r) and check.suite in suite_names(r.spec) for r in ctx.facts.eval_runs.get(w, ()))
    ]
    detail = f"{len(ran)} of {len(ctx.names)} workloads" + missing(w for w in ctx.names if w not in ran)
    return CheckResult(check.label, len(ran) == len(ctx.names), detail, check.why)


def _with_checks(ctx: Context, key: str, ev: Evidence) -> Evidence:
    checks = tuple(check_suite(ctx, c) for c in ctx.reqs.checks.get(key, ()))
    if not checks:
        return ev
    open_ = [c for c in checks if not c.met]
    progress = ev.progress * (1 + len(checks) - len(open_)) / (1 + len(checks))
    if ev.state == "done" and open_:
        summary = f"{ev.summary}; still needed: {'; '.join(c.label for c in open_)}"
        return replace(ev, state="in_progress", summary=summary, done_at=None, checks=checks, progress=progress)
    return replace(ev, checks=checks, progress=progress if open_ else ev.progress)


def evaluate(migration: Migration, facts: PlanFacts, reqs: Requirements) -> dict[str, Evidence]:
    """Each item's evidence, by item key, in plan order."""
    ctx = Context(migration, facts, reqs)
    return {i.key: _with_checks(ctx, i.key, RULES[i.key](ctx)) for i in ITEMS}
