"""The spend tracker: what each workload actually costs per day through the gateway, against its baseline.

From the store's records (the gateway priced every request it served, and every shadow
call): per workload and UTC day, requests and cost per arm, the cost of shadow copies, and
what the requests the *new* model served would have cost at the baseline's cost per request.
That minus what they did cost is the saving realised so far: requests the old model served are
neither a saving nor a loss, so before the new model has served anything there is no saving or
loss to report (None, with ``saving_note`` saying why), whatever the baseline. The new arm's
observed cost per request gives the saving per day once all traffic is on it.

The baseline cost per request is the workload's latest baseline snapshot (``modelswap inventory
--baseline``), else its latest inventory evidence, else the old arm's cost per request in the
same records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from modelswap.evals.baseline_figures import read_baseline
from modelswap.store import Store
from modelswap.store.evidence import read_evidence


@dataclass(frozen=True, slots=True)
class SpendDay:
    """One workload's day: served requests and cost per arm, shadow cost, and the counterfactual."""

    day: date
    requests: dict[str, int]
    """Served requests per arm (``old``, ``new``)."""
    cost_usd: dict[str, float]
    """Recorded cost of served requests per arm."""
    shadow_cost_usd: float
    """Recorded cost of shadow copies (the price of running both models)."""
    counterfactual_usd: float | None
    """The new arm's priced requests of the day at the baseline cost per request: what they would
    have cost on the old model (None without a baseline)."""
    priced: dict[str, int] = field(default_factory=dict)
    """Served requests per arm with a recorded cost."""

    @property
    def actual_usd(self) -> float:
        return sum(self.cost_usd.values())

    @property
    def saving_usd(self) -> float | None:
        """What the new arm's requests saved against the baseline (negative: a loss)."""
        if self.counterfactual_usd is None:
            return None
        return self.counterfactual_usd - self.cost_usd.get("new", 0.0)


@dataclass(frozen=True, slots=True)
class WorkloadSpend:
    """A workload's spend so far and the saving at full rollout."""

    workload: str
    days: list[SpendDay]
    baseline_cost_per_request: float | None
    baseline_source: str
    """``baseline``, ``inventory``, ``old arm`` or ``none``."""
    baseline_sample: int | None
    """Requests (or eval cases) the baseline cost per request rests on, when known."""
    new_cost_per_request: float | None
    """Observed on the new arm (served requests with a recorded cost)."""
    new_share: float
    """Share of served requests on the new arm over the period."""
    requests_per_day: float

    @property
    def actual_usd(self) -> float:
        return sum(d.actual_usd for d in self.days)

    @property
    def shadow_cost_usd(self) -> float:
        return sum(d.shadow_cost_usd for d in self.days)

    @property
    def new_requests(self) -> int:
        return sum(d.requests.get("new", 0) for d in self.days)

    @property
    def realised_saving_usd(self) -> float | None:
        """Saving so far on the requests the new model served; None before it served any, or without a baseline."""
        if not self.new_requests:
            return None
        savings = [d.saving_usd for d in self.days]
        return None if any(s is None for s in savings) else sum(s for s in savings if s is not None)

    @property
    def saving_note(self) -> str:
        """Why there is no saving to report ("" when there is one)."""
        if not self.new_requests:
            return "the new model has served no traffic yet: no saving or loss to report"
        if self.baseline_cost_per_request is None:
            return "no baseline cost per request to compare with (run modelswap baseline)"
        return ""

    @property
    def saving_per_day_at_full(self) -> float | None:
        """Requests per day × (baseline − new cost per request): the saving once the new model serves all."""
        if self.baseline_cost_per_request is None or self.new_cost_per_request is None:
            return None
        return self.requests_per_day * (self.baseline_cost_per_request - self.new_cost_per_request)


@dataclass(frozen=True, slots=True)
class SpendReport:
    """Spend per workload over a window of days."""

    since: datetime | None
    until: datetime
    workloads: list[WorkloadSpend] = field(default_factory=list)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _baseline(store: Store, workload: str) -> tuple[float | None, str, int | None]:
    """The reference cost per request, where it comes from, and the sample it rests on."""
    baseline = read_baseline(store, workload)
    if baseline is not None and isinstance(baseline.cost_per_request_usd, int | float):
        return float(baseline.cost_per_request_usd), "baseline", _int(baseline.cost_sample)
    for ev in reversed(read_evidence(store, "inventory", workload=workload)):
        figures = ev.figures or {}
        per_request = figures.get("cost_per_request") or {}
        value = per_request.get("old", per_request.get("actual"))
        if isinstance(value, int | float):
            requests, unknown = _int(figures.get("requests")), _int(figures.get("usage_unknown")) or 0
            return float(value), "inventory", None if requests is None else requests - unknown
    return None, "none", None


@dataclass
class _Tally:
    requests: int = 0
    priced: int = 0
    cost: float = 0.0


def _tallies(
    store: Store, since: datetime | None, until: datetime
) -> tuple[dict[str, dict[date, dict[str, _Tally]]], dict[str, dict[date, float]]]:
    """Served requests per (workload, day, arm) and shadow cost per (workload, day), grouped by the database."""
    arm_days, shadow_days = store.requests.daily_spend(since, until)
    tallies: dict[str, dict[date, dict[str, _Tally]]] = {}
    shadow_cost: dict[str, dict[date, float]] = {}
    for x in arm_days:
        tally = tallies.setdefault(x.workload, {}).setdefault(x.day, {}).setdefault(x.arm, _Tally())
        tally.requests += x.requests
        tally.priced += x.priced
        tally.cost += x.cost_usd
    for sd in shadow_days:
        shadow_cost.setdefault(sd.workload, {})[sd.day] = sd.cost_usd
    return tallies, shadow_cost


def _day(d: date, by_arm: dict[str, _Tally], shadow_cost: float, baseline: float | None) -> SpendDay:
    new = by_arm.get("new")
    return SpendDay(
        day=d,
        requests={arm: x.requests for arm, x in by_arm.items()},
        cost_usd={arm: x.cost for arm, x in by_arm.items()},
        shadow_cost_usd=shadow_cost,
        counterfactual_usd=None if baseline is None else baseline * (new.priced if new is not None else 0),
        priced={arm: x.priced for arm, x in by_arm.items()},
    )


def spend_report(
    store: Store,
    workloads: Sequence[str] | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> SpendReport:
    """Actual spend per workload per day from the gateway's records, against each workload's baseline."""
    until = until or datetime.now(UTC)
    tallies, shadow = _tallies(store, since, until)
    names = list(workloads) if workloads is not None else sorted(set(tallies) | set(shadow))
    report = SpendReport(since=since, until=until)
    for name in names:
        per_day = tallies.get(name, {})
        arms: dict[str, _Tally] = {}
        for by_arm in per_day.values():
            for arm, tally in by_arm.items():
                total_arm = arms.setdefault(arm, _Tally())
                total_arm.requests += tally.requests
                total_arm.priced += tally.priced
                total_arm.cost += tally.cost
        baseline, source, sample = _baseline(store, name)
        old = arms.get("old")
        if baseline is None and old is not None and old.priced:
            baseline, source, sample = old.cost / old.priced, "old arm", old.priced
        new = arms.get("new")
        all_days = sorted(set(per_day) | set(shadow.get(name, {})))
        days = [_day(d, per_day.get(d, {}), shadow.get(name, {}).get(d, 0.0), baseline) for d in all_days]
        total = sum(x.requests for x in arms.values())
        span = (all_days[-1] - all_days[0]).days + 1 if all_days else 1
        report.workloads.append(
            WorkloadSpend(
                workload=name,
                days=days,
                baseline_cost_per_request=baseline,
                baseline_source=source,
                baseline_sample=sample,
                new_cost_per_request=new.cost / new.priced if new is not None and new.priced else None,
                new_share=(new.requests if new is not None else 0) / total if total else 0.0,
                requests_per_day=total / span,
            )
        )
    return report
