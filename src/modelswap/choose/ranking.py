"""Ranking candidate models for one workload: the Pareto front and the pick (pure).

Three objectives, read off each candidate's eval on the workload's golden set: pass rate (higher
is better), mean cost per request and p95 latency (lower is better). A candidate is on the
**Pareto front** when no other candidate is at least as good on all three and better on one. The
**pick** is the cheapest candidate whose every gate against the old model says PASS (ties: the
higher pass rate, then the lower p95, then the name). A figure that could not be measured counts
as the worst possible value: a candidate whose calls all failed has no pass rate, and it never
dominates anything for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

PASS = "PASS"


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its interval (either may be missing: too little data)."""

    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class GateLine:
    """One gate's verdict for a candidate against the old model, with its sentence."""

    gate: str
    verdict: str
    reason: str


@dataclass(frozen=True, slots=True)
class CandidateFigures:
    """One candidate's figures on a workload's golden set, paired with the old model's."""

    name: str
    """The arm: an endpoint name of the migration file, or a catalog model id."""
    model: str
    judged: int
    """Cases with a verdict (a failed call counts as a failed case)."""
    passed: int
    pass_rate: Estimate
    """Share of cases passed, Wilson interval."""
    difference: Estimate
    """Paired pass-rate difference candidate − old in points, the pass-rate gate's interval."""
    cost: Estimate
    """Mean USD per request, bootstrap interval."""
    p95: Estimate
    """p95 latency in ms, distribution-free order-statistic interval."""
    verdict: str
    """Every gate of the workload at once: PASS, FAIL or INCONCLUSIVE."""
    gates: tuple[GateLine, ...] = ()
    errors: int = 0
    """Calls that failed after their retries."""
    lifecycle: str = ""
    """A warning from the catalog (retires soon, deprecated), or empty."""


@dataclass(frozen=True, slots=True)
class Ranked:
    """A candidate in the ranking."""

    figures: CandidateFigures
    rank: int
    on_front: bool
    picked: bool


@dataclass(frozen=True, slots=True)
class Ranking:
    """One workload's candidates, best first, with the front and the pick."""

    workload: str
    rows: tuple[Ranked, ...]
    pick: str | None
    front: tuple[str, ...] = field(default=())
    """Names on the Pareto front, in rank order."""


def _objectives(f: CandidateFigures) -> tuple[float, float, float]:
    """(pass rate, −cost, −p95): higher is better on each; a missing figure is the worst."""
    rate = f.pass_rate.value if f.pass_rate.value is not None else -math.inf
    cost = -f.cost.value if f.cost.value is not None else -math.inf
    p95 = -f.p95.value if f.p95.value is not None else -math.inf
    return rate, cost, p95


def dominates(a: CandidateFigures, b: CandidateFigures) -> bool:
    """``a`` is at least as good as ``b`` on pass rate, cost and p95, and better on one."""
    x, y = _objectives(a), _objectives(b)
    return all(u >= v for u, v in zip(x, y, strict=True)) and any(u > v for u, v in zip(x, y, strict=True))


def pareto_front(items: Sequence[CandidateFigures]) -> list[str]:
    """Names of the candidates no other candidate dominates, in the order given."""
    return [a.name for a in items if not any(dominates(b, a) for b in items if b is not a)]


def _pick_key(f: CandidateFigures) -> tuple[float, float, float, str]:
    rate, cost, p95 = _objectives(f)
    return -cost, -rate, -p95, f.name


def cheapest_passing(items: Sequence[CandidateFigures]) -> str | None:
    """The cheapest candidate whose every gate passed (None when none did)."""
    passing = [f for f in items if f.verdict == PASS]
    return min(passing, key=_pick_key).name if passing else None


def _order_key(f: CandidateFigures) -> tuple[int, float, float, float, str]:
    """Candidates passing every gate first, cheapest first; then the rest, best pass rate first."""
    rate, cost, p95 = _objectives(f)
    if f.verdict == PASS:
        return 0, -cost, -rate, -p95, f.name
    return 1, -rate, -cost, -p95, f.name


def rank(workload: str, items: Sequence[CandidateFigures]) -> Ranking:
    """The workload's ranking: passing candidates cheapest first (the first is the pick), then
    the others by pass rate; each row says whether it is on the Pareto front."""
    names = [f.name for f in items]
    if len(set(names)) != len(names):
        raise ValueError(f"candidate names must be unique, got {names}")
    front = pareto_front(items)
    pick = cheapest_passing(items)
    ordered = sorted(items, key=_order_key)
    rows = tuple(Ranked(f, i + 1, f.name in front, f.name == pick) for i, f in enumerate(ordered))
    return Ranking(workload, rows, pick, tuple(r.figures.name for r in rows if r.on_front))
