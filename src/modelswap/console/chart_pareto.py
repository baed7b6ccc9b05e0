"""The Pareto chart of a choice: cost per request (x) against pass rate (y), p95 latency as point size.

Each candidate is a point with whiskers for its two intervals (pass rate: Wilson; cost: bootstrap);
the Pareto front is filled and joined by a step line, the others are hollow; the pick has a ring
and a label; the old model is a grey square for reference. Pure: numbers in, escaped SVG out
(``standalone`` adds the XML namespace a ``.svg`` file needs, as ``modelswap choose --chart`` writes).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from modelswap.choose.ranking import CandidateFigures, Ranked
from modelswap.console.charts import COLORS, _num, _scale

W, H = 640, 360
PAD_L, PAD_R, PAD_T, PAD_B = 64, 24, 34, 58
FRONT, OTHER, PICK = COLORS["new"], "#94a3b8", "#16a34a"
R_MIN, R_MAX = 4.0, 13.0
WHISKER = 'stroke-width="1.5" opacity="0.7"'
STYLE = (
    "<style>.grid{stroke:#e2e8f0}.tick{font:11px sans-serif;fill:#475569}"
    ".title{font:600 13px sans-serif;fill:#0f172a}</style>"
)
"""Text styles for a standalone .svg file (in the console, console.css styles the same classes)."""


def _span(values: Sequence[float], floor: float | None = None) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or max(abs(hi) * 0.1, 1e-6)
    lo = lo - pad if floor is None else max(floor, lo - pad)
    return lo, hi + pad


def _radius(p95: float | None, lo: float, hi: float) -> float:
    if p95 is None:
        return R_MIN
    return _scale(p95, lo, hi, R_MIN, R_MAX) if hi > lo else (R_MIN + R_MAX) / 2


def _axes(x: tuple[float, float], y: tuple[float, float]) -> str:
    parts = []
    for i in range(5):
        yv = y[0] + (y[1] - y[0]) * i / 4
        py = _scale(yv, y[0], y[1], H - PAD_B, PAD_T)
        parts.append(
            f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{py:.1f}" y2="{py:.1f}" class="grid"/>'
            f'<text x="{PAD_L - 6}" y="{py + 4:.1f}" text-anchor="end" class="tick">{_num(yv)}%</text>'
        )
        xv = x[0] + (x[1] - x[0]) * i / 4
        px = _scale(xv, x[0], x[1], PAD_L, W - PAD_R)
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(f'<text x="{px:.1f}" y="{H - PAD_B + 16}" text-anchor="{anchor}" class="tick">${_num(xv)}</text>')
    parts.append(
        f'<text x="{(PAD_L + W - PAD_R) / 2:.1f}" y="{H - PAD_B + 34}" text-anchor="middle" class="tick">'
        "cost per request (USD) · size: p95 latency</text>"
    )
    return "".join(parts)


class _Plot:
    """Positions of one chart: the axes' ranges and the p95 range for point sizes."""

    def __init__(self, points: Sequence[CandidateFigures]) -> None:
        xs = [v for f in points for v in (f.cost.value, f.cost.low, f.cost.high) if v is not None]
        ys = [v * 100 for f in points for v in (f.pass_rate.value, f.pass_rate.low, f.pass_rate.high) if v is not None]
        p95s = [f.p95.value for f in points if f.p95.value is not None]
        self.x = _span(xs, 0.0)
        self.y = _span(ys, 0.0)
        self.y = (self.y[0], min(self.y[1], 100.0) if self.y[0] < 100.0 else self.y[1])
        self.p95 = (min(p95s), max(p95s)) if p95s else (0.0, 0.0)

    def xy(self, f: CandidateFigures) -> tuple[float, float] | None:
        if f.cost.value is None or f.pass_rate.value is None:
            return None
        return (
            _scale(f.cost.value, *self.x, PAD_L, W - PAD_R),
            _scale(f.pass_rate.value * 100, *self.y, H - PAD_B, PAD_T),
        )

    def whiskers(self, f: CandidateFigures, color: str) -> str:
        at = self.xy(f)
        if at is None:
            return ""
        x, y = at
        out = []
        if f.cost.low is not None and f.cost.high is not None:
            x0, x1 = (_scale(v, *self.x, PAD_L, W - PAD_R) for v in (f.cost.low, f.cost.high))
            out.append(f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{color}" {WHISKER}/>')
        if f.pass_rate.low is not None and f.pass_rate.high is not None:
            y0, y1 = (_scale(v * 100, *self.y, H - PAD_B, PAD_T) for v in (f.pass_rate.low, f.pass_rate.high))
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0:.1f}" y2="{y1:.1f}" stroke="{color}" {WHISKER}/>')
        return "".join(out)


def _label(x: float, y: float, text: str) -> str:
    """A point's name beside it, or ending left of it near the right edge (never clipped)."""
    if x > W - PAD_R - 110:
        return f'<text x="{x - 20:.1f}" y="{y:.1f}" text-anchor="end" class="tick label">{escape(text)}</text>'
    return f'<text x="{x:.1f}" y="{y:.1f}" class="tick label">{escape(text)}</text>'


def _tip(f: CandidateFigures) -> str:
    rate = "–" if f.pass_rate.value is None else f"{f.pass_rate.value * 100:.1f} %"
    cost = "–" if f.cost.value is None else f"${f.cost.value:.6f}"
    p95 = "–" if f.p95.value is None else f"{f.p95.value:,.0f} ms"
    return escape(f"{f.name} ({f.model}): pass {rate}, {cost} per request, p95 {p95}, gates {f.verdict}")


def _point(plot: _Plot, row: Ranked) -> str:
    f = row.figures
    at = plot.xy(f)
    if at is None:
        return ""
    x, y = at
    r = _radius(f.p95.value, *plot.p95)
    color = FRONT if row.on_front else OTHER
    fill = color if row.on_front else "none"
    ring = (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r + 4:.1f}" fill="none" stroke="{PICK}" stroke-width="2.5"/>'
        if row.picked
        else ""
    )
    label = f"{f.name} ✓ pick" if row.picked else f.name
    classes = " ".join(["point", *(["front"] if row.on_front else []), *(["pick"] if row.picked else [])])
    return (
        f'<g class="{classes}" data-name="{escape(f.name)}">'
        f"<title>{_tip(f)}</title>{plot.whiskers(f, color)}{ring}"
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}" fill-opacity="0.75" '
        f'stroke="{color}" stroke-width="2"/>'
        f"{_label(x + r + 5, y - r - 2, label)}</g>"
    )


def _baseline(plot: _Plot, f: CandidateFigures) -> str:
    at = plot.xy(f)
    if at is None:
        return ""
    x, y = at
    color = COLORS["old"]
    return (
        f'<g class="point baseline" data-name="old"><title>{_tip(f)}</title>{plot.whiskers(f, color)}'
        f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{color}"/>'
        f'<text x="{x:.1f}" y="{y + 22:.1f}" text-anchor="{"end" if x > W / 2 else "start"}" class="tick label">'
        f"old ({escape(f.model)})</text></g>"
    )


def _front_line(plot: _Plot, rows: Sequence[Ranked]) -> str:
    pts = sorted(at for r in rows if r.on_front and (at := plot.xy(r.figures)) is not None)
    if len(pts) < 2:
        return ""
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    return f'<polyline points="{path}" fill="none" stroke="{FRONT}" stroke-dasharray="4 3" opacity="0.6"/>'


def pareto_chart(
    title: str, baseline: CandidateFigures | None, rows: Sequence[Ranked], *, standalone: bool = False
) -> str:
    """The chart as SVG markup; a paragraph saying so when no candidate has both a cost and a pass rate."""
    points = [r.figures for r in rows] + ([baseline] if baseline is not None else [])
    plotted = [f for f in points if f.cost.value is not None and f.pass_rate.value is not None]
    if not plotted:
        return f'<p class="empty">{escape(title)}: no candidate has both a cost and a pass rate yet</p>'
    plot = _Plot(plotted)
    body = _axes(plot.x, plot.y) + _front_line(plot, rows)
    body += _baseline(plot, baseline) if baseline is not None else ""
    body += "".join(_point(plot, r) for r in sorted(rows, key=lambda r: r.on_front))
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    style = STYLE if standalone else ""
    return (
        f'<svg{ns} viewBox="0 0 {W} {H}" class="chart pareto" role="img" aria-label="{escape(title)}">'
        f"{style}<title>{escape(title)}</title>"
        f'<text x="{PAD_L}" y="18" class="title">{escape(title)}</text>{body}</svg>'
    )
