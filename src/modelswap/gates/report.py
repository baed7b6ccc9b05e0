"""Gate results rendered for people (Markdown), machines (JSON) and CI systems (JUnit XML). Pure."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from modelswap.gates import _format as fmt
from modelswap.gates.result import GateResult, Verdict, overall

_ICON = {Verdict.PASS: "✅ PASS", Verdict.FAIL: "❌ FAIL", Verdict.INCONCLUSIVE: "⚠️ INCONCLUSIVE"}


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _estimate(r: GateResult) -> str:
    if r.estimate is None:
        return "—"
    if r.gate == "pass_rate" or "points" in r.metric:
        return f"{fmt.signed(r.estimate, 1)} pts"
    return f"×{r.estimate:.3g}"


def _interval(r: GateResult) -> str:
    if r.interval is None:
        return "—"
    lo, hi = r.interval
    if "points" in r.metric:
        d = fmt.decimals_for((lo, hi), -r.margin)
        return f"[{fmt.signed(lo, d)}, {fmt.signed(hi, d)}]"
    d = fmt.decimals_for((lo, hi), r.margin, start=2)
    return f"[{fmt.number(lo, d)}, {fmt.number(hi, d)}]"


def _limit(r: GateResult) -> str:
    if "points" in r.metric:
        return f"> {fmt.plain(-r.margin)} pts"
    return f"≤ ×{fmt.plain(r.margin)}"


def render_markdown(results: Sequence[GateResult], title: str = "Quality gates") -> str:
    """A Markdown section: the overall verdict, a table with one row per gate, then the reasons."""
    lines = [f"## {title}: {overall(results).value}", ""]
    if not results:
        lines.append("No gates were evaluated, so nothing can be signed off.")
        return "\n".join(lines) + "\n"
    lines += [
        "| gate | verdict | estimate | interval | must be | confidence | n | more cases needed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        more = "—" if r.more_cases_needed is None else fmt.count(r.more_cases_needed)
        lines.append(
            f"| {_cell(r.gate)} | {_ICON[r.verdict]} | {_estimate(r)} | {_interval(r)} | {_limit(r)} "
            f"| {fmt.percent(r.confidence)} | {fmt.count(r.n)} | {more} |"
        )
    lines.append("")
    for r in results:
        method = f" _({_cell(r.method)})_" if r.method else ""
        lines.append(f"- **{_cell(r.gate)}** — {r.verdict.value}: {_cell(r.reason)}{method}")
    return "\n".join(lines) + "\n"


def to_json(results: Sequence[GateResult]) -> dict[str, Any]:
    """A JSON-ready dict (no NaN or infinity): the overall verdict and every gate's result."""
    return {
        "overall": overall(results).value,
        "gates": [
            {
                "gate": r.gate,
                "metric": r.metric,
                "verdict": r.verdict.value,
                "estimate": _finite(r.estimate),
                "interval": None if r.interval is None else [_finite(r.interval[0]), _finite(r.interval[1])],
                "margin": r.margin,
                "confidence": r.confidence,
                "n": r.n,
                "more_cases_needed": r.more_cases_needed,
                "reason": r.reason,
                "method": r.method,
                "details": {k: (_finite(v) if isinstance(v, float) else v) for k, v in r.details.items()},
            }
            for r in results
        ],
    }


def render_junit(results: Sequence[GateResult], suite: str = "modelswap.gates") -> str:
    """JUnit XML: one testcase per gate; FAIL → ``<failure>``, INCONCLUSIVE → ``<skipped>``, with the reason."""
    failures = sum(r.verdict is Verdict.FAIL for r in results)
    skipped = sum(r.verdict is Verdict.INCONCLUSIVE for r in results)
    counts = {"tests": str(len(results)), "failures": str(failures), "errors": "0", "skipped": str(skipped)}
    root = ET.Element("testsuites", {"name": suite, **counts})
    ts = ET.SubElement(root, "testsuite", {"name": suite, **counts})
    for r in results:
        case = ET.SubElement(ts, "testcase", {"classname": suite, "name": r.gate})
        if r.verdict is Verdict.FAIL:
            ET.SubElement(case, "failure", {"message": r.reason, "type": "GateFailed"}).text = r.reason
        elif r.verdict is Verdict.INCONCLUSIVE:
            ET.SubElement(case, "skipped", {"message": r.reason})
        out = ET.SubElement(case, "system-out")
        out.text = f"{r.verdict.value}: {r.reason}" + (f" [{r.method}]" if r.method else "")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
