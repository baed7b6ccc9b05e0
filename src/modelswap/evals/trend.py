"""The nightly trend of a workload: old vs new pass rate, night by night, with intervals.

One point per night (UTC date of the run's start; if a night has several finished nightly
runs, the latest counts). Each point has both arms' pass rates with Wilson intervals and the
paired difference new − old in points (Tango's interval, on the cases both arms decided).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from modelswap.evals.results import ArmFigures, is_finished, outcomes, paired_outcomes, run_figures
from modelswap.stats import Interval, discordance, paired_difference_interval
from modelswap.store import EvalResultRow, EvalRunRow, Store
from modelswap.store.summaries import eval_runs


@dataclass(frozen=True, slots=True)
class Difference:
    """New − old pass rate in points on the cases both arms decided, with a paired interval."""

    points: float
    interval: Interval
    """In points, at the trend's confidence."""
    n: int


@dataclass(frozen=True, slots=True)
class NightPoint:
    """One night of the trend."""

    night: date
    run_id: str
    started_at: datetime
    arms: Mapping[str, ArmFigures]
    difference: Difference | None


def night_of(run: EvalRunRow) -> date:
    """The (UTC) night a run belongs to."""
    return run.started_at.astimezone(UTC).date()


def point(
    run: EvalRunRow, rows: Iterable[EvalResultRow], *, confidence: float = 0.95, old: str = "old", new: str = "new"
) -> NightPoint:
    """The trend point of one run (pure)."""
    rows = list(rows)
    figures = run_figures(rows, confidence)
    old_pass, new_pass = paired_outcomes(outcomes(rows), old, new)
    difference = None
    if old_pass:
        table = discordance(old_pass, new_pass)
        ci = paired_difference_interval(table, confidence)
        difference = Difference(100 * table.difference, Interval(100 * ci.lower, 100 * ci.upper), table.n)
    return NightPoint(night_of(run), run.id, run.started_at, figures, difference)


def nightly_runs(runs: Sequence[EvalRunRow], arms: Sequence[str] = ("old", "new")) -> list[EvalRunRow]:
    """The run that counts for each night: finished, nightly, covering ``arms``; oldest night first."""
    by_night: dict[date, EvalRunRow] = {}
    for run in sorted(runs, key=lambda r: (r.started_at, r.id)):
        if run.nightly and is_finished(run) and set(arms) <= set(run.endpoints):
            by_night[night_of(run)] = run
    return [by_night[night] for night in sorted(by_night)]


def nightly_trend(
    store: Store,
    workload: str,
    *,
    confidence: float = 0.95,
    last: int | None = None,
    old: str = "old",
    new: str = "new",
) -> list[NightPoint]:
    """The workload's nightly trend, oldest night first (only the ``last`` nights if given)."""
    runs = nightly_runs(eval_runs(store, workload, nightly=True), (old, new))
    if last is not None:
        runs = runs[-last:] if last > 0 else []
    return [point(run, store.evals.results(run.id), confidence=confidence, old=old, new=new) for run in runs]
