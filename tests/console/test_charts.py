"""Server-side SVG charts: labels are escaped, empty data says so, values land inside the frame."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.console.charts import Point, bar_chart, histogram, line_chart


def _svg(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # well-formed XML or this raises


def test_labels_are_escaped() -> None:
    evil = "<script>alert(1)</script>"
    markup = line_chart(evil, {evil: [Point(evil, 1.0, 0.5, 1.5), Point("b", 2.0)]})
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    _svg(markup)


def test_empty_data_is_said_in_words() -> None:
    assert "no data yet" in line_chart("Pass rate", {"old": []})
    assert "no data yet" in histogram("Latency", {})
    assert "no data yet" in bar_chart("Cost", {"old": [Point("d", None)]})


def test_points_stay_inside_the_viewbox() -> None:
    markup = line_chart("x", {"old": [Point(str(i), float(i), i - 0.5, i + 0.5) for i in range(10)]})
    root = _svg(markup)
    width, height = (float(v) for v in root.get("viewBox", "").split()[2:])
    # the markup may or may not declare the SVG namespace: match the local name, and check every point is there
    circles = [e for e in root.iter() if e.tag.rpartition("}")[2] == "circle"]
    assert len(circles) == 10
    for circle in circles:
        assert 0 <= float(circle.get("cx", -1)) <= width and 0 <= float(circle.get("cy", -1)) <= height
    ys = [float(y) for y in re.findall(r'cy="([\d.]+)"', markup)]
    assert ys == sorted(ys, reverse=True)  # rising values draw higher on screen


def test_histogram_bars_are_percentages_of_each_series() -> None:
    markup = histogram("Latency", {"old": [10.0] * 3 + [20.0], "new": [30.0] * 4}, bins=4)
    _svg(markup)
    bars = re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="([\d.]+)"', markup)
    heights = sorted(float(h) for w, h in bars if w != "10")  # legend swatches are 10×10
    assert len(heights) == 3  # old: 75 % and 25 %; new: 100 %
    assert abs(heights[0] * 3 - heights[1]) < 0.5 and abs(heights[0] * 4 - heights[2]) < 0.5


def test_bar_chart_groups_by_label() -> None:
    markup = bar_chart("Cost", {"old": [Point("d1", 2.0), Point("d2", 1.0)], "new": [Point("d1", 1.0)]}, unit="$")
    _svg(markup)
    assert markup.count("<rect") >= 3 and "old d1: 2$" in markup


def test_money_reads_as_people_write_it() -> None:
    from modelswap.console.app import usd

    assert [usd(v) for v in (None, 0, 1234.5, 12.0, 0.5, 0.0571, 0.000035, 0.0000351234)] == [
        "–",
        "$0.00",
        "$1,234.50",
        "$12.00",
        "$0.50",
        "$0.0571",
        "$0.000035",
        "$0.0000351",
    ]


def test_the_last_date_label_ends_inside_the_chart() -> None:
    from modelswap.console.charts import W

    svg = line_chart("t", {"new": [Point(f"2026-12-0{d}", d) for d in range(1, 8)]})
    last = re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)" class="tick">2026-12-07', svg)
    assert last and last[0][1] == "end" and float(last[0][0]) <= W


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_money_never_fails_and_never_goes_scientific(value: float) -> None:
    from modelswap.console.app import usd

    text = usd(value)
    assert text.lstrip("-").startswith("$") and "e" not in text and len(text.split(".")[1]) >= 2
    assert float(text.replace("$", "").replace(",", "")) == pytest.approx(value, rel=0.01, abs=1e-8)


@given(st.text(max_size=300))
def test_a_signed_in_name_is_one_short_line(name: str) -> None:
    from modelswap.console.access import MAX_NAME, visitor_name

    tidy = visitor_name(name)
    assert 0 < len(tidy) <= MAX_NAME and "\n" not in tidy and tidy == tidy.strip()
