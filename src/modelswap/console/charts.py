"""Charts as inline SVG, rendered on the server: they work offline and every label is escaped.

Pure functions from numbers to markup; the templates embed the result with ``|safe``
because everything user-controlled inside it went through ``escape``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

W, H = 640, 240
PAD_L, PAD_R, PAD_T, PAD_B = 64, 16, 30, 40
COLORS = {"old": "#64748b", "new": "#2563eb", "bad": "#dc2626"}


@dataclass(frozen=True, slots=True)
class Point:
    """One x position (a label) with a value and an optional interval."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None


def _scale(value: float, lo: float, hi: float, out_lo: float, out_hi: float) -> float:
    if hi == lo:
        return (out_lo + out_hi) / 2
    return out_lo + (value - lo) * (out_hi - out_lo) / (hi - lo)


def _frame(title: str, body: str, y_lo: float, y_hi: float, unit: str) -> str:
    ticks = []
    for i in range(5):
        v = y_lo + (y_hi - y_lo) * i / 4
        y = _scale(v, y_lo, y_hi, H - PAD_B, PAD_T)
        ticks.append(
            f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_num(v)}{escape(unit)}</text>'
        )
    return (
        f'<svg viewBox="0 0 {W} {H}" class="chart" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<text x="{PAD_L}" y="16" class="title">{escape(title)}</text>{"".join(ticks)}{body}</svg>'
    )


def line_chart(title: str, series: dict[str, Sequence[Point]], unit: str = "") -> str:
    """Lines per series (e.g. old and new pass rate by night) with shaded intervals."""
    values = [v for pts in series.values() for p in pts for v in (p.value, p.low, p.high) if v is not None]
    if not values:
        return f'<p class="empty">{escape(title)}: no data yet</p>'
    y_lo, y_hi = min(values), max(values)
    pad = (y_hi - y_lo) * 0.1 or max(abs(y_hi) * 0.1, 1.0)
    y_lo, y_hi = (max(0.0, y_lo - pad) if y_lo >= 0 else y_lo - pad), y_hi + pad  # rates and times are never negative
    labels = list(dict.fromkeys(p.label for pts in series.values() for p in pts))
    xs = {lab: _scale(i, 0, max(len(labels) - 1, 1), PAD_L + 10, W - PAD_R - 10) for i, lab in enumerate(labels)}
    parts = []
    for name, pts in series.items():
        color = COLORS.get(name, "#0f766e")
        band = [(xs[p.label], p.low, p.high) for p in pts if p.low is not None and p.high is not None]
        if len(band) >= 2:
            top = " ".join(f"{x:.1f},{_scale(h, y_lo, y_hi, H - PAD_B, PAD_T):.1f}" for x, _, h in band)
            bottom = " ".join(f"{x:.1f},{_scale(lo, y_lo, y_hi, H - PAD_B, PAD_T):.1f}" for x, lo, _ in reversed(band))
            parts.append(f'<polygon points="{top} {bottom}" fill="{color}" opacity="0.15"/>')
        line = [(xs[p.label], _scale(p.value, y_lo, y_hi, H - PAD_B, PAD_T)) for p in pts if p.value is not None]
        if line:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
            parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in line)
    step = max(1, len(labels) // 8)
    for i, lab in enumerate(labels):
        if i % step == 0:
            parts.append(_xlabel(xs[lab], lab))
    parts.append(_legend(list(series)))
    return _frame(title, "".join(parts), y_lo, y_hi, unit)


def histogram(title: str, series: dict[str, Sequence[float]], bins: int = 24, unit: str = "ms") -> str:
    """Overlaid histograms (e.g. latency of old and new)."""
    values = [v for vs in series.values() for v in vs]
    if not values:
        return f'<p class="empty">{escape(title)}: no data yet</p>'
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins or 1.0
    shares: dict[str, list[float]] = {}
    for name, vs in series.items():
        tally = [0] * bins
        for v in vs:
            tally[min(int((v - lo) / width), bins - 1)] += 1
        shares[name] = [x / max(len(vs), 1) * 100 for x in tally]
    top = max(max(c) for c in shares.values()) or 1.0
    bar_w = (W - PAD_L - PAD_R) / bins
    parts = []
    for name, pcts in shares.items():
        color = COLORS.get(name, "#0f766e")
        for i, pct in enumerate(pcts):
            if pct:
                y = _scale(pct, 0, top, H - PAD_B, PAD_T)
                parts.append(
                    f'<rect x="{PAD_L + i * bar_w:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" '
                    f'height="{H - PAD_B - y:.1f}" fill="{color}" opacity="0.55"/>'
                )
    for i in range(0, bins + 1, max(1, bins // 6)):
        x = PAD_L + i * bar_w
        parts.append(_xlabel(x, f"{lo + i * width:.0f}{unit}"))
    parts.append(_legend(list(series)))
    return _frame(title, "".join(parts), 0, top, "%")


def bar_chart(title: str, series: dict[str, Sequence[Point]], unit: str = "") -> str:
    """Grouped bars per label (e.g. cost per day, old and new)."""
    values = [p.value for pts in series.values() for p in pts if p.value is not None]
    if not values:
        return f'<p class="empty">{escape(title)}: no data yet</p>'
    top = max(values) * 1.1 or 1.0
    labels = list(dict.fromkeys(p.label for pts in series.values() for p in pts))
    group_w = (W - PAD_L - PAD_R) / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    parts = []
    for si, (name, pts) in enumerate(series.items()):
        color = COLORS.get(name, "#0f766e")
        for p in pts:
            if p.value is None:
                continue
            x = PAD_L + labels.index(p.label) * group_w + group_w * 0.1 + si * bar_w
            y = _scale(p.value, 0, top, H - PAD_B, PAD_T)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{H - PAD_B - y:.1f}" fill="{color}">'
                f"<title>{escape(name)} {escape(p.label)}: {p.value:.4g}{escape(unit)}</title></rect>"
            )
    for i, lab in enumerate(labels):
        parts.append(_xlabel(PAD_L + (i + 0.5) * group_w, lab))
    parts.append(_legend(list(series)))
    return _frame(title, "".join(parts), 0, top, unit)


def _num(v: float) -> str:
    """A short axis label: 3 significant digits; tiny non-zero values as plain decimals with 2 of them."""
    if v != 0 and abs(v) < 0.001:  # small money: 0.00046, not 4.6e-04
        return f"{v:.{min(9, 1 - math.floor(math.log10(abs(v))))}f}"
    return f"{v:.3g}"


def _xlabel(x: float, text: str) -> str:
    """An x-axis label centred under ``x``, or ending at it near the right edge (a date is not clipped there)."""
    anchor = "end" if x > W - PAD_R - 40 else "middle"
    x = min(x + 10, W - 2) if anchor == "end" else x
    return f'<text x="{x:.1f}" y="{H - PAD_B + 16}" text-anchor="{anchor}" class="tick">{escape(text)}</text>'


def _legend(names: list[str]) -> str:
    out = []
    for i, name in enumerate(names):
        x = PAD_L + i * 90
        color = COLORS.get(name, "#0f766e")
        out.append(
            f'<rect x="{x}" y="{H - 14}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="{H - 5}" class="tick">{escape(name)}</text>'
        )
    return "".join(out)
