"""A calibration as the store keeps it (``route_calibrations``), and its curve read back for charts."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from modelswap.routing.calibrate import Calibration, CurvePoint, Verification
from modelswap.routing.replay import Replay
from modelswap.store import RouteCalibrationRow

__all__ = ["calibration_row", "curve_of", "verification_json"]


def verification_json(v: Verification) -> dict[str, Any]:
    """The held-out figures as plain JSON (intervals as [lower, upper])."""
    return {
        "n": v.n,
        "pass_rate": v.pass_rate,
        "strong_pass_rate": v.strong_pass_rate,
        "difference_points": v.difference_estimate,
        "difference_interval": list(v.difference),
        "cost_ratio": v.cost_ratio,
        "cost_ratio_interval": list(v.cost_ratio_interval),
        "saving": v.saving,
        "saving_interval": list(v.saving_interval),
        "escalation": v.escalation,
        "escalation_interval": list(v.escalation_interval),
        "non_inferior": v.non_inferior,
    }


def calibration_row(
    replayed: Replay, result: Calibration, signal: Mapping[str, Any], now: datetime
) -> RouteCalibrationRow:
    """The row ``modelswap route calibrate`` stores."""
    settings = {
        "margin_points": result.margin_points,
        "confidence": result.confidence,
        "split": result.split,
        "seed": result.seed,
        "needs_answer": result.needs_answer,
        "picked_on": result.picked_on,
        "cases": len(replayed.cases),
    }
    return RouteCalibrationRow(
        workload=replayed.workload,
        created_at=now,
        run_id=replayed.run_id,
        cheap_model=replayed.cheap_model,
        strong_model=replayed.strong_model,
        signal=dict(signal),
        threshold=result.threshold,
        settings=settings,
        verification=None if result.verification is None else verification_json(result.verification),
        curve=[dataclasses.asdict(p) for p in result.curve],
    )


def curve_of(row: RouteCalibrationRow) -> list[CurvePoint]:
    """The stored curve as points (entries that do not read as one are skipped)."""
    names = [f.name for f in dataclasses.fields(CurvePoint)]
    points = []
    for entry in row.curve:
        if isinstance(entry, Mapping) and all(isinstance(entry.get(n), int | float) for n in names):
            points.append(CurvePoint(**{n: float(entry[n]) for n in names}))
    return points
