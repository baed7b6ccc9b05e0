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


def _threshold(r: GateResult) -> float:
    """The value the interval is held against: −margin (pass rate), +margin (error rate), max ratio."""
    if "points" not in r.metric:
        return r.margin
    return r.margin if r.metric.startswith("error-rate") else -r.margin


def _share(r: GateResult) -> bool:
    """A share with a ceiling in percent (the escalation rate), not a difference or a ratio."""
    return r.metric.endswith("(%)")


def estimate_cell(r: GateResult) -> str:
    """``−1.0 pts`` / ``0.0 pts`` / ``×1.12`` / ``12.0 %`` / ``—``: one style in every report."""
    if r.estimate is None:
        return "—"
    if _share(r):
        d = 1 if r.interval is None else fmt.decimals_for(r.interval, r.margin)
        return f"{fmt.number(r.estimate, d)} %"
    if "points" in r.metric:
        d = 1 if r.interval is None else fmt.decimals_for(r.interval, _threshold(r))
        return f"{fmt.signed(r.estimate, d)} pts"
    d = 2 if r.interval is None else fmt.decimals_for(r.interval, r.margin, start=2)
    return f"×{fmt.number(r.estimate, d)}"


def interval_cell(r: GateResult) -> str:
    """``[−4.2, −1.9]`` with as many decimals as keep a bound from reading as the threshold."""
    if r.interval is None:
        return "—"
    lo, hi = r.interval
    if _share(r):
        d = fmt.decimals_for((lo, hi), r.margin)
        return f"[{fmt.number(lo, d)}, {fmt.number(hi, d)}] %"
    if "points" in r.metric:
        d = fmt.decimals_for((lo, hi), _threshold(r))
        return f"[{fmt.signed(lo, d)}, {fmt.signed(hi, d)}]"
    d = fmt.decimals_for((lo, hi), r.margin, start=2)
    return f"[{fmt.bound(lo, d)}, {fmt.bound(hi, d)}]"


def limit_cell(r: GateResult) -> str:
    """What the interval must clear: ``> −2 pts``, ``< +1 pts``, ``≤ ×1.2``, ``< 30 %``."""
    if _share(r):
        return f"< {fmt.plain(r.margin)} %"
    if "points" not in r.metric:
        return f"≤ ×{fmt.plain(r.margin)}"
    if r.metric.startswith("error-rate"):
        return f"< {'+' if r.margin else ''}{fmt.plain(r.margin)} pts"
    return f"> {fmt.plain(-r.margin)} pts"


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
            f"| {_cell(r.gate)} | {_ICON[r.verdict]} | {estimate_cell(r)} | {interval_cell(r)} | {limit_cell(r)} "
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


def render_junit(
    results: Sequence[GateResult], suite: str = "modelswap.gates", *, allow_inconclusive: bool = False
) -> str:
    """JUnit XML: one testcase per gate, with the reason. FAIL → ``<failure type="GateFailed">``;
    INCONCLUSIVE → ``<failure type="inconclusive">`` (not enough evidence is not a green build),
    or ``<skipped>`` with ``allow_inconclusive``."""
    inconclusive = sum(r.verdict is Verdict.INCONCLUSIVE for r in results)
    failures = sum(r.verdict is Verdict.FAIL for r in results) + (0 if allow_inconclusive else inconclusive)
    skipped = inconclusive if allow_inconclusive else 0
    counts = {"tests": str(len(results)), "failures": str(failures), "errors": "0", "skipped": str(skipped)}
    root = ET.Element("testsuites", {"name": suite, **counts})
    ts = ET.SubElement(root, "testsuite", {"name": suite, **counts})
    for r in results:
        case = ET.SubElement(ts, "testcase", {"classname": suite, "name": r.gate})
        if r.verdict is Verdict.FAIL:
            ET.SubElement(case, "failure", {"message": r.reason, "type": "GateFailed"}).text = r.reason
        elif r.verdict is Verdict.INCONCLUSIVE and allow_inconclusive:
            ET.SubElement(case, "skipped", {"message": r.reason})
        elif r.verdict is Verdict.INCONCLUSIVE:
            ET.SubElement(case, "failure", {"message": r.reason, "type": "inconclusive"}).text = r.reason
        out = ET.SubElement(case, "system-out")
        out.text = f"{r.verdict.value}: {r.reason}" + (f" [{r.method}]" if r.method else "")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
