"""The Pareto chart: the front filled, the pick ringed, cheaper to the left and better higher up, names escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from modelswap.choose.ranking import CandidateFigures, Estimate, rank
from modelswap.console.chart_pareto import pareto_chart

NS = "{http://www.w3.org/2000/svg}"


def cand(name: str, rate: float, cost: float, p95: float, verdict: str = "PASS") -> CandidateFigures:
    return CandidateFigures(
        name, f"{name}-model", 100, int(rate * 100), Estimate(rate, rate - 0.05, rate + 0.03),
        Estimate(0.0), Estimate(cost, cost * 0.9, cost * 1.1), Estimate(p95, p95 * 0.8, p95 * 1.3), verdict,
    )  # fmt: skip


def _points(svg: ET.Element) -> dict[str, tuple[float, float, float, str]]:
    """data-name → (cx, cy, r, fill) of each candidate's main circle."""
    out = {}
    for g in svg.iter(f"{NS}g"):
        circles = [c for c in g.iter(f"{NS}circle") if c.get("stroke-width") == "2"]
        if circles:
            c = circles[0]
            out[g.get("data-name", "")] = (float(c.get("cx", 0)), float(c.get("cy", 0)), float(c.get("r", 0)),
                                           c.get("fill", ""))  # fmt: skip
    return out


def test_the_front_is_filled_the_pick_ringed_and_positions_follow_cost_and_pass_rate() -> None:
    baseline = cand("old", 0.95, 0.0020, 800, "baseline")
    items = [cand("dear", 0.96, 0.0030, 1200), cand("cheap", 0.92, 0.0005, 400), cand("worse", 0.90, 0.0010, 900)]
    ranking = rank("w", items)
    markup = pareto_chart("w", baseline, ranking.rows, standalone=True)
    svg = ET.fromstring(markup)
    points = _points(svg)
    assert points["cheap"][0] < points["worse"][0] < points["dear"][0]  # cheaper is further left
    assert points["dear"][1] < points["cheap"][1] < points["worse"][1]  # a higher pass rate is higher up (smaller y)
    assert points["dear"][2] > points["worse"][2] > points["cheap"][2]  # a slower p95 is a bigger point
    assert points["worse"][3] == "none" and points["cheap"][3] != "none"  # dominated: hollow
    picked = [g for g in svg.iter(f"{NS}g") if "pick" in (g.get("class") or "").split()]
    assert [g.get("data-name") for g in picked] == ["cheap"] == [ranking.pick]
    assert any(g.get("data-name") == "old" for g in svg.iter(f"{NS}g"))


def test_names_are_escaped_and_a_chart_without_costs_says_so() -> None:
    evil = "<script>alert(1)</script>"
    markup = pareto_chart(evil, None, rank("w", [cand(evil, 0.9, 0.001, 100)]).rows)
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    ET.fromstring(markup)
    empty = CandidateFigures("x", "x", 0, 0, Estimate(None), Estimate(None), Estimate(None), Estimate(None), "FAIL")
    assert "no candidate has both" in pareto_chart("w", None, rank("w", [empty]).rows)
