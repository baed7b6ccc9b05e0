"""Key figures as people read them: rates with intervals, latencies, costs, durations.

Pure formatting over numbers. The Wilson interval here is the one-line textbook formula the
plan needs for its summaries; decisions (gates) use ``modelswap.stats``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Any


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when there is no data."""
    if n <= 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def pct(fraction: float, digits: int = 1) -> str:
    """0.912 → ``91.2 %``."""
    return f"{fraction * 100:.{digits}f} %"


def rate_with_interval(successes: int, n: int) -> str:
    """``91.2 % [89.8, 92.5]`` (95 % Wilson interval, in percent)."""
    if n <= 0:
        return "no data"
    lo, hi = wilson(successes, n)
    return f"{pct(successes / n)} [{lo * 100:.1f}, {hi * 100:.1f}]"


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def num(value: float) -> str:
    """A count or amount without trailing zeros: 3.0 → ``3``, 3.25 → ``3.2``."""
    return f"{value:.1f}".removesuffix(".0")


def when(ts: datetime | None) -> str:
    """A timestamp as UTC ISO to the minute, the way the plan shows it."""
    return "" if ts is None else ts.strftime("%Y-%m-%d %H:%M UTC")


def share(percent: float) -> str:
    return f"{percent:g} %"


def number(figures: Mapping[str, Any], *names: str) -> float | None:
    for name in names:
        value = figures.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    return None


def _as_fraction(value: float) -> float:
    """Rates are stored as fractions; tolerate percent (anything above 1)."""
    return value / 100 if value > 1 else value


def baseline_pass_rate(figures: Mapping[str, Any]) -> float | None:
    """The pass rate (fraction) a baseline snapshot records, if it records one."""
    value = number(figures, "pass_rate", "pass_rate_old")
    return None if value is None else _as_fraction(value)


def baseline_p95_ms(figures: Mapping[str, Any]) -> float | None:
    """The p95 latency (ms) a baseline snapshot records, if any."""
    return number(figures, "p95_latency_ms", "latency_p95_ms")


def baseline_cost(figures: Mapping[str, Any]) -> float | None:
    """The mean cost per request (USD) a baseline snapshot records, if any."""
    return number(figures, "cost_per_request_usd", "cost_per_request")


def latency(ms: float) -> str:
    """1234 → ``1.23 s``; 870 → ``870 ms``."""
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


def usd(amount: float) -> str:
    return f"${amount:.4f}"


def baseline_figures(figures: Mapping[str, Any]) -> str:
    """A baseline snapshot in one line: pass rate [interval], p95 latency, cost per request.

    Reads ``pass_rate`` (fraction; ``pass_rate_ci`` = [low, high] or ``cases``/``passed``
    for the interval), ``p95_latency_ms``, ``cost_per_request_usd``; a ``summary`` string wins.
    """
    summary = figures.get("summary")
    if isinstance(summary, str) and summary:
        return summary
    parts = []
    rate = baseline_pass_rate(figures)
    passed, cases = number(figures, "passed"), number(figures, "cases", "n")
    ci = figures.get("pass_rate_ci")
    if rate is not None:
        text = f"pass rate {pct(rate)}"
        if isinstance(ci, list | tuple) and len(ci) == 2 and all(isinstance(c, int | float) for c in ci):
            lo, hi = (_as_fraction(float(c)) for c in ci)
            text += f" [{lo * 100:.1f}, {hi * 100:.1f}]"
        elif passed is not None and cases:
            lo, hi = wilson(int(passed), int(cases))
            text += f" [{lo * 100:.1f}, {hi * 100:.1f}]"
        parts.append(text)
    p95 = baseline_p95_ms(figures)
    if p95 is not None:
        parts.append(f"p95 {latency(p95)}")
    cost = baseline_cost(figures)
    if cost is not None:
        parts.append(f"{usd(cost)}/request")
    if not parts:
        shown = [f"{k} {v}" for k, v in figures.items() if isinstance(v, int | float | str)][:4]
        parts.extend(shown)
    return ", ".join(parts) if parts else "no figures"


def evidence_figures(figures: Mapping[str, Any] | None) -> str:
    """A recorded piece of evidence in one line: its ``summary``, else its scalar figures."""
    if not figures:
        return ""
    summary = figures.get("summary")
    if isinstance(summary, str) and summary:
        return summary
    shown = [f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()]
    return ", ".join(s for s, (_, v) in zip(shown, figures.items(), strict=True) if isinstance(v, int | float | str))
