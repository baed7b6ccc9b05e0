"""The headline: the most urgent state leads, for each workload and for the migration."""

from __future__ import annotations

from datetime import UTC, datetime

from modelswap.console.data import WorkloadView
from modelswap.console.status import daily_series, migration_status, workload_status
from modelswap.rollout.routing import RoutingState


def view(name: str, verdicts: tuple[str, ...] = (), rollback: bool = False) -> WorkloadView:
    v = WorkloadView(name, RoutingState(stage="shadow", share=0.0, rollback=rollback))
    v.gates = [{"name": f"g{i}", "verdict": verdict, "reason": ""} for i, verdict in enumerate(verdicts)]
    return v


def test_each_workload_says_where_it_stands() -> None:
    assert workload_status(view("a", ("PASS", "FAIL"), rollback=True)).text.startswith("rolled back")
    assert workload_status(view("a", ("PASS", "FAIL"))).text == "blocked: g1 failed"
    assert workload_status(view("a", ("PASS", "INCONCLUSIVE"))).level == "warn"
    assert workload_status(view("a")).level == "idle"
    assert workload_status(view("a", ("PASS", "PASS"))).level == "good"


def test_the_migration_headline_leads_with_the_most_urgent() -> None:
    ok, waiting, failing = view("a", ("PASS",)), view("b", ("INCONCLUSIVE",)), view("c", ("FAIL",))
    assert migration_status([ok, waiting, failing]).text == "Blocked: 1 of 3 workloads fail a gate (c)"
    assert migration_status([ok, waiting]).text == "Gathering evidence: 1 of 2 workloads not decided yet"
    assert migration_status([ok]).level == "good"
    rolled = migration_status([ok, view("d", ("PASS",), rollback=True)])
    assert rolled.level == "bad" and rolled.text.startswith("Rolled back: d")


def test_daily_series_share_errors_and_p95_per_day() -> None:
    v = view("a")
    day1, day2 = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
    for ts, arm, ok, ms in [(day1, "old", True, 10.0), (day1, "old", False, 20.0), (day2, "new", True, 30.0)]:
        v.arms[arm].add(ts, ms, 0.001, ok)
        v.served_by_day.setdefault(ts.date().isoformat(), {}).setdefault(arm, 0)
        v.served_by_day[ts.date().isoformat()][arm] += 1
    series = daily_series([v])
    assert series.days == ["2026-12-01", "2026-12-02"]
    assert series.new_share == [0.0, 100.0]
    assert series.error_rate["old"] == [50.0, None]
    assert series.p95["new"] == [None, 30.0]
