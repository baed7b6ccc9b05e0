"""Aggregate reads over the records: counts and spans the plan (and the console) show.

Each function is one or two grouped queries, so reading the whole plan stays cheap however
many requests are stored. Results are small frozen dataclasses keyed by workload.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.rows import EvalRunRow, RolloutEventRow
from modelswap.store.store import Store


@dataclass(frozen=True, slots=True)
class ShadowSpan:
    """A workload's shadow traffic: requests the old model served with the new one mirrored."""

    pairs: int
    answered: int
    """Pairs where the shadow model gave a 2xx answer."""
    first: datetime | None
    last: datetime | None

    @property
    def days(self) -> float:
        """Days between the first and the last shadow pair (0 with fewer than two)."""
        if self.first is None or self.last is None:
            return 0.0
        return (self.last - self.first).total_seconds() / 86400


@dataclass(frozen=True, slots=True)
class ArmPassCount:
    """Golden cases one arm passed in one eval run (a case passes when every scorer passed it)."""

    passed: int
    cases: int


@dataclass(frozen=True, slots=True)
class VerdictTally:
    """Human review verdicts on a workload's shadow pairs."""

    win: int
    tie: int
    loss: int
    pairs: int
    """Distinct shadow pairs with at least one verdict."""
    reviewers: int
    last: datetime | None

    @property
    def verdicts(self) -> int:
        return self.win + self.tie + self.loss


@dataclass(frozen=True, slots=True)
class RedteamTally:
    """Red-team probes run against one arm for one workload (None: not tied to a workload)."""

    attacks_succeeded: int
    probes: int
    runs: int
    last: datetime | None


def shadow_spans(store: Store, workloads: Iterable[str]) -> dict[str, ShadowSpan]:
    """Per workload: shadow pairs (old served, new mirrored), how many answered, first and last time."""
    names = list(workloads)
    r, s = t.requests, t.shadow_pairs
    answered = sa.func.sum(sa.case((sa.and_(s.c.status >= 200, s.c.status < 300), 1), else_=0))
    query = (
        sa.select(r.c.workload, sa.func.count(), answered, sa.func.min(r.c.ts), sa.func.max(r.c.ts))
        .join(s, s.c.request_id == r.c.id)
        .where(r.c.workload.in_(names), r.c.arm == "old", s.c.arm == "new")
        .group_by(r.c.workload)
    )
    out = {name: ShadowSpan(0, 0, None, None) for name in names}
    with store.engine.connect() as conn:
        for workload, count, ok, first, last in conn.execute(query):
            out[workload] = ShadowSpan(int(count), int(ok or 0), _as_datetime(first), _as_datetime(last))
    return out


def _as_datetime(value: object) -> datetime | None:
    """An aggregate of a timestamp column as aware UTC (``min``/``max`` keep the column's type;
    this guards a driver that hands back text instead)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def eval_runs(store: Store, workload: str | None = None, *, nightly: bool | None = None) -> list[EvalRunRow]:
    """Eval runs, oldest first, for one workload or all, optionally only nightly (or only ad hoc) ones."""
    e = t.eval_runs
    query = sa.select(e).order_by(e.c.started_at, e.c.id)
    if workload is not None:
        query = query.where(e.c.workload == workload)
    if nightly is not None:
        query = query.where(e.c.nightly.is_(nightly))
    with store.engine.connect() as conn:
        return [EvalRunRow(**row._mapping) for row in conn.execute(query)]


def pass_counts(store: Store, run_id: str) -> dict[str, ArmPassCount]:
    """Per arm of one eval run: golden cases passed, out of cases with a pass/fail verdict."""
    e = t.eval_results
    all_passed = sa.func.min(sa.case((e.c.passed.is_(True), 1), else_=0))
    per_case = (
        sa.select(e.c.arm, e.c.case_id, all_passed.label("ok"))
        .where(e.c.run_id == run_id, e.c.passed.is_not(None))
        .group_by(e.c.arm, e.c.case_id)
        .subquery()
    )
    query = sa.select(per_case.c.arm, sa.func.sum(per_case.c.ok), sa.func.count()).group_by(per_case.c.arm)
    with store.engine.connect() as conn:
        return {arm: ArmPassCount(int(ok or 0), int(n)) for arm, ok, n in conn.execute(query)}


def verdict_tallies(store: Store, workloads: Iterable[str]) -> dict[str, VerdictTally]:
    """Per workload: win/tie/loss verdicts, distinct pairs reviewed, reviewers, last verdict time."""
    names = list(workloads)
    v, s, r = t.review_verdicts, t.shadow_pairs, t.requests
    joined = v.join(s, s.c.id == v.c.pair_id).join(r, r.c.id == s.c.request_id)
    by_verdict = (
        sa.select(r.c.workload, v.c.verdict, sa.func.count())
        .select_from(joined)
        .where(r.c.workload.in_(names))
        .group_by(r.c.workload, v.c.verdict)
    )
    spread = (
        sa.select(
            r.c.workload,
            sa.func.count(sa.distinct(v.c.pair_id)),
            sa.func.count(sa.distinct(v.c.reviewer)),
            sa.func.max(v.c.ts),
        )
        .select_from(joined)
        .where(r.c.workload.in_(names))
        .group_by(r.c.workload)
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    out = {name: VerdictTally(0, 0, 0, 0, 0, None) for name in names}
    with store.engine.connect() as conn:
        for workload, verdict, n in conn.execute(by_verdict):
            counts[workload][verdict] = int(n)
        for workload, pairs, reviewers, last in conn.execute(spread):
            c = counts[workload]
            out[workload] = VerdictTally(
                c.get("win", 0), c.get("tie", 0), c.get("loss", 0), int(pairs), int(reviewers), _as_datetime(last)
            )
    return out


def redteam_tallies(store: Store) -> dict[tuple[str | None, str], RedteamTally]:
    """Per (workload, arm): probes run, attacks that succeeded, distinct runs, last result time."""
    rt = t.redteam_results
    succeeded = sa.func.sum(sa.case((rt.c.attack_succeeded.is_(True), 1), else_=0))
    query = sa.select(
        rt.c.workload,
        rt.c.arm,
        succeeded,
        sa.func.count(),
        sa.func.count(sa.distinct(rt.c.run_id)),
        sa.func.max(rt.c.ts),
    ).group_by(rt.c.workload, rt.c.arm)
    with store.engine.connect() as conn:
        return {
            (workload, arm): RedteamTally(int(ok or 0), int(n), int(runs), _as_datetime(last))
            for workload, arm, ok, n, runs, last in conn.execute(query)
        }


def rollout_history(store: Store, workloads: Iterable[str]) -> dict[str, list[RolloutEventRow]]:
    """Every rollout event of each workload, oldest first (no limit: the plan replays them all)."""
    names = list(workloads)
    e = t.rollout_events
    query = sa.select(e).where(e.c.workload.in_(names)).order_by(e.c.id)
    out: dict[str, list[RolloutEventRow]] = {name: [] for name in names}
    with store.engine.connect() as conn:
        for row in conn.execute(query):
            out[row.workload].append(RolloutEventRow(**row._mapping))
    return out


def first_verdict_times(store: Store, workloads: Iterable[str]) -> list[datetime]:
    """When each reviewed shadow pair of these workloads got its first verdict, oldest first."""
    v, s, r = t.review_verdicts, t.shadow_pairs, t.requests
    query = (
        sa.select(sa.func.min(v.c.ts).label("first"))
        .select_from(v.join(s, s.c.id == v.c.pair_id).join(r, r.c.id == s.c.request_id))
        .where(r.c.workload.in_(list(workloads)))
        .group_by(v.c.pair_id)
        .order_by("first")
    )
    with store.engine.connect() as conn:
        return [ts for (value,) in conn.execute(query) if (ts := _as_datetime(value)) is not None]
