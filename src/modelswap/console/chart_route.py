"""The cost–quality curve of a routed workload as SVG: share kept on the cheap model vs pass rate and cost.

Pure, built on ``charts.line_chart``; ``standalone`` wraps it as a file a browser or an image viewer opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from modelswap.console.charts import Point, line_chart

__all__ = ["route_curve_svg", "standalone"]

_STYLE = (
    "<style>.grid{stroke:#e2e8f0}.tick{font:11px sans-serif;fill:#475569}"
    ".title{font:bold 13px sans-serif;fill:#0f172a}</style>"
)


class CurveRow(Protocol):
    """One point of the curve (``routing.calibrate.CurvePoint`` or a stored row of it)."""

    @property
    def share_cheap(self) -> float: ...
    @property
    def pass_rate(self) -> float: ...
    @property
    def strong_pass_rate(self) -> float: ...
    @property
    def cost_ratio(self) -> float: ...


def route_curve_svg(points: Sequence[CurveRow], chosen: CurveRow | None = None) -> str:
    """Routed pass rate, the strong model's pass rate and routed cost (% of the strong model's), in
    percent, against the share of requests the cascade keeps on the cheap model (x labels, ascending);
    the title names the share at the ``chosen`` point. Give it a thinned curve: every point is labelled."""
    ordered = sorted(points, key=lambda p: p.share_cheap)
    labels = [f"{p.share_cheap * 100:.0f} %" for p in ordered]
    series: dict[str, Sequence[Point]] = {
        "routed": [Point(lab, 100 * p.pass_rate) for lab, p in zip(labels, ordered, strict=True)],
        "old": [Point(lab, 100 * p.strong_pass_rate) for lab, p in zip(labels, ordered, strict=True)],
        "new": [Point(lab, 100 * p.cost_ratio) for lab, p in zip(labels, ordered, strict=True)],
    }
    title = "Kept cheap vs pass rate, cost (%)"
    if chosen is not None:
        title += f" · picked {chosen.share_cheap * 100:.0f} %"
    svg = line_chart(title, series, unit=" %")
    # The chart's palette keys series by arm; the legend names them for what they show here.
    return svg.replace(">old</text>", ">strong</text>").replace(">new</text>", ">cost</text>")


def standalone(svg: str) -> str:
    """An inline chart as a standalone SVG file (namespace and styles included)."""
    return svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1).replace("<title>", f"{_STYLE}<title>", 1)
