"""Routing calibrations: stored whole, read back per workload, newest last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modelswap.store import RouteCalibrationRow, Store

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _row(workload: str, minutes: int, threshold: float | None) -> RouteCalibrationRow:
    return RouteCalibrationRow(
        workload=workload,
        created_at=T0 + timedelta(minutes=minutes),
        run_id=f"run-{minutes}",
        cheap_model="claude-haiku-5-5",
        strong_model="claude-sonnet-5-5",
        signal={"type": "verifier", "scorer": {"type": "json_valid"}},
        threshold=threshold,
        settings={"margin_points": 2.0, "seed": 0},
        verification=None if threshold is None else {"saving": 0.7},
        curve=[{"threshold": 0.0, "share_cheap": 1.0, "pass_rate": 0.8}],
    )


def test_calibrations_round_trip_per_workload(store: Store) -> None:
    first = store.routing.add_calibration(_row("extraction", 0, None))
    second = store.routing.add_calibration(_row("extraction", 5, 1.0))
    store.routing.add_calibration(_row("triage", 1, 0.5))
    assert second > first
    rows = store.routing.calibrations("extraction")
    assert [r.threshold for r in rows] == [None, 1.0]
    latest = store.routing.latest("extraction")
    assert latest is not None and latest.created_at == T0 + timedelta(minutes=5)
    assert latest.verification == {"saving": 0.7} and latest.curve[0]["share_cheap"] == 1.0
    assert store.routing.latest("nope") is None
    assert len(store.routing.calibrations()) == 3
