"""Canary vs control in the same window: figures with intervals, and the rollback triggers judged
by always-valid sequential tests (pure, over arrays read from the store's records).

Each trigger is a one-sided mixture SPRT (``stats/sequential.py``), so the controller may look
every minute for the whole step and the chance of a false rollback stays at most ``alpha``; the
budget is split evenly between the triggers (Bonferroni), so it holds for all of them together.

* **rates** (``error_rate``, ``pass_rate`` = live answers failing the workload's reference-free
  checks, ``feedback`` = negative user feedback): H0 ``rate_new - rate_old <= max_increase``;
* **latency** (``p95_latency``, ``ttft_p95``) with ``max_ratio`` r: H0 "at most 5 % of canary
  requests are slower than r × the control's p95", i.e. the canary's p95 is within r times the
  control's (the control's p95 is taken as known: it usually has 99 times the requests);
* **cost** with ``max_ratio`` r: H0 ``mean_new - r · mean_old <= 0``.

Latency is also compared as a whole distribution by Mann-Whitney, as Kayenta does; that figure is
shown, never acted on, because a fixed-sample test re-run every minute would inflate false alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from modelswap.config_rollout import RollbackTrigger
from modelswap.stats import (
    Interval,
    ShiftTest,
    latency_shift_test,
    mixture_log_lr,
    quantile_interval,
    rate_increase_look,
    wilson_interval,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
RATE_METRICS = frozenset({"error_rate", "pass_rate", "feedback"})
TAIL = 0.05
"""The share of requests above a p95: what the latency triggers test."""
MAX_SHIFT_SAMPLE = 5000
"""Latencies per arm the Mann-Whitney figure uses at most (evenly spaced picks beyond that)."""


def _floats(values: Any) -> FloatArray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def _bools(values: Any) -> BoolArray:
    return np.asarray(values, dtype=np.bool_).reshape(-1)


@dataclass(frozen=True)
class ArmSample:
    """One arm's requests in the analysis window."""

    failed: BoolArray
    """Per request: it failed (non-2xx after retries)."""
    latency_ms: FloatArray = field(default_factory=lambda: _floats([]))
    """Latencies of the successful requests."""
    ttft_ms: FloatArray = field(default_factory=lambda: _floats([]))
    """Times to first token of the successful streams."""
    cost_usd: FloatArray = field(default_factory=lambda: _floats([]))
    """Costs of the priced successful requests."""
    quality_failed: BoolArray = field(default_factory=lambda: _bools([]))
    """Per scored live answer: it failed a reference-free check (e.g. not valid JSON)."""
    feedback_negative: BoolArray = field(default_factory=lambda: _bools([]))
    """Per user feedback: it was negative (score below 0.5)."""

    @classmethod
    def of(cls, **columns: Any) -> ArmSample:
        """Build from plain sequences (lists, arrays)."""
        conv: dict[str, Any] = {
            k: _bools(v) if k in ("failed", "quality_failed", "feedback_negative") else _floats(v)
            for k, v in columns.items()
        }
        return cls(**conv)

    @property
    def n(self) -> int:
        return int(self.failed.size)

    def events(self, metric: str) -> tuple[int, int]:
        """(events, trials) of a rate metric."""
        column = {"error_rate": self.failed, "pass_rate": self.quality_failed, "feedback": self.feedback_negative}
        values = column[metric]
        return int(values.sum()), int(values.size)


@dataclass(frozen=True)
class ArmFigures:
    """What people see of one arm: counts and rates with 95 % intervals, latency percentiles, cost."""

    requests: int
    error_rate: float | None
    error_interval: Interval | None
    p50_ms: float | None
    p95_ms: float | None
    p95_interval: Interval | None
    cost_per_request: float | None
    quality_fail_rate: float | None
    feedback_negative_rate: float | None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, Interval) else value
        return out


def _rate(values: BoolArray) -> float | None:
    return float(values.mean()) if values.size else None


def figures_of(arm: ArmSample) -> ArmFigures:
    """An arm's figures (None where it has no data)."""
    errors = int(arm.failed.sum())
    p95_iv = None
    if arm.latency_ms.size:
        try:
            q = quantile_interval(arm.latency_ms, 95.0)
            p95_iv = Interval(q.lower, q.upper)
        except ValueError:
            p95_iv = None
    lat = arm.latency_ms
    return ArmFigures(
        requests=arm.n,
        error_rate=errors / arm.n if arm.n else None,
        error_interval=wilson_interval(errors, arm.n) if arm.n else None,
        p50_ms=float(np.percentile(lat, 50)) if lat.size else None,
        p95_ms=float(np.percentile(lat, 95)) if lat.size else None,
        p95_interval=p95_iv,
        cost_per_request=float(arm.cost_usd.mean()) if arm.cost_usd.size else None,
        quality_fail_rate=_rate(arm.quality_failed),
        feedback_negative_rate=_rate(arm.feedback_negative),
    )


@dataclass(frozen=True)
class TriggerResult:
    """One rollback trigger judged on the window."""

    metric: str
    old: float | None
    """The control's figure (a rate, a p95 in ms, a mean cost)."""
    new: float | None
    """The canary's figure."""
    p_value: float
    """Always-valid p-value of H0 "within the tolerance" (1 before enough data)."""
    fired: bool
    enough_data: bool
    alpha: float
    """This trigger's share of the false-rollback budget."""
    text: str
    """What a person reads: the figures, the tolerance and the evidence."""

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.2f} %"


def _verb(fired: bool, enough: bool, t: RollbackTrigger) -> str:
    return "fired" if fired else "within tolerance" if enough else f"waiting for {t.min_samples} per arm"


def _ratio(new: float, old: float) -> str:
    return f"×{new / old:.2f}" if old else "×∞"


def _judge_rate(t: RollbackTrigger, control: ArmSample, canary: ArmSample, alpha: float) -> TriggerResult:
    eo, no = control.events(t.metric)
    en, nn = canary.events(t.metric)
    tolerance = (t.max_increase_points or 0.0) / 100
    if min(no, nn) < 1:
        return TriggerResult(t.metric, None, None, 1.0, False, False, alpha, f"{t.metric}: no data yet")
    look = rate_increase_look(
        eo, no, en, nn, tolerance, alpha=alpha, tau=max(0.01, tolerance), min_samples=t.min_samples
    )
    old, new = eo / no, en / nn
    verb = _verb(look.reject, look.enough_data, t)
    text = (
        f"{t.metric}: new {_pct(new)} vs old {_pct(old)} ({(new - old) * 100:+.2f} points, tolerated "
        f"+{t.max_increase_points:g}; n = {nn} / {no}); always-valid p = {look.p_value:.3g} → {verb}"
    )
    return TriggerResult(t.metric, old, new, look.p_value, look.reject, look.enough_data, alpha, text)


def _one_sided_p(estimate: float, variance: float, tau: float) -> float:
    if estimate <= 0:
        return 1.0
    llr = float(mixture_log_lr(estimate, variance, 0.0, tau))
    return float(min(1.0, np.exp(-llr)))


def _judge_latency(t: RollbackTrigger, control: ArmSample, canary: ArmSample, alpha: float) -> TriggerResult:
    column = "ttft_ms" if t.metric == "ttft_p95" else "latency_ms"
    old_v, new_v = getattr(control, column), getattr(canary, column)
    ratio = t.max_ratio or 1.0
    if min(old_v.size, new_v.size) < 1:
        return TriggerResult(t.metric, None, None, 1.0, False, False, alpha, f"{t.metric}: no data yet")
    old_p95, new_p95 = float(np.percentile(old_v, 95)), float(np.percentile(new_v, 95))
    slower = float(np.mean(new_v > ratio * old_p95))
    enough = min(old_v.size, new_v.size) >= t.min_samples
    p = _one_sided_p(slower - TAIL, TAIL * (1 - TAIL) / new_v.size, TAIL) if enough else 1.0
    fired = enough and p <= alpha
    verb = _verb(fired, enough, t)
    text = (
        f"{t.metric}: new {new_p95:,.0f} ms vs old {old_p95:,.0f} ms ({_ratio(new_p95, old_p95)}, "
        f"tolerated ×{ratio:g}; {slower:.1%} of canary requests above ×{ratio:g} the old p95); "
        f"always-valid p = {p:.3g} → {verb}"
    )
    return TriggerResult(t.metric, old_p95, new_p95, p, fired, enough, alpha, text)


def _judge_cost(t: RollbackTrigger, control: ArmSample, canary: ArmSample, alpha: float) -> TriggerResult:
    old_v, new_v = control.cost_usd, canary.cost_usd
    ratio = t.max_ratio or 1.0
    if min(old_v.size, new_v.size) < 2:
        return TriggerResult(t.metric, None, None, 1.0, False, False, alpha, f"{t.metric}: no priced requests yet")
    old_m, new_m = float(old_v.mean()), float(new_v.mean())
    enough = min(old_v.size, new_v.size) >= t.min_samples
    variance = float(new_v.var(ddof=1) / new_v.size + ratio**2 * old_v.var(ddof=1) / old_v.size)
    tau = max(0.1 * ratio * old_m, 1e-12)
    p = _one_sided_p(new_m - ratio * old_m, variance, tau) if enough else 1.0
    fired = enough and p <= alpha
    verb = _verb(fired, enough, t)
    text = (
        f"cost_per_request: new ${new_m * 1000:.3f} vs old ${old_m * 1000:.3f} per 1k requests "
        f"({_ratio(new_m, old_m)}, tolerated ×{ratio:g}); always-valid p = {p:.3g} → {verb}"
    )
    return TriggerResult(t.metric, old_m, new_m, p, fired, enough, alpha, text)


def judge_trigger(t: RollbackTrigger, control: ArmSample, canary: ArmSample, alpha: float) -> TriggerResult:
    """One trigger on the window, at level ``alpha``."""
    if t.metric in RATE_METRICS:
        return _judge_rate(t, control, canary, alpha)
    if t.metric == "cost_per_request":
        return _judge_cost(t, control, canary, alpha)
    return _judge_latency(t, control, canary, alpha)


@dataclass(frozen=True)
class Analysis:
    """The canary against the control over one window."""

    control: ArmFigures
    canary: ArmFigures
    triggers: tuple[TriggerResult, ...]
    latency_shift: ShiftTest | None

    @property
    def breaches(self) -> tuple[str, ...]:
        """The texts of the triggers that fired."""
        return tuple(t.text for t in self.triggers if t.fired)

    @property
    def healthy(self) -> bool:
        return not self.breaches

    def as_json(self) -> dict[str, Any]:
        shift = self.latency_shift
        return {
            "control": self.control.as_json(),
            "canary": self.canary.as_json(),
            "triggers": [t.as_json() for t in self.triggers],
            "latency_shift": None
            if shift is None
            else {"p_value": shift.p_value, "prob_new_greater": shift.prob_new_greater},
        }


def _thin(values: FloatArray) -> FloatArray:
    if values.size <= MAX_SHIFT_SAMPLE:
        return values
    return values[np.linspace(0, values.size - 1, MAX_SHIFT_SAMPLE).astype(np.int64)]


def analyse(
    control: ArmSample, canary: ArmSample, triggers: Sequence[RollbackTrigger], alpha: float = 0.05
) -> Analysis:
    """Figures of both arms and every trigger judged at ``alpha / len(triggers)``."""
    each = alpha / max(1, len(triggers))
    judged = tuple(judge_trigger(t, control, canary, each) for t in triggers)
    shift = None
    if control.latency_ms.size >= 2 and canary.latency_ms.size >= 2:
        shift = latency_shift_test(_thin(control.latency_ms), _thin(canary.latency_ms))
    return Analysis(figures_of(control), figures_of(canary), judged, shift)
