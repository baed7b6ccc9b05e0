"""A choice as documents: the JSON stored and printed, and Markdown for a pull request (pure).

``workload_json`` is what the store keeps per workload (``store.choices``) and what the console
reads back with ``workload_from_json``; ``to_json`` and ``to_markdown`` cover a whole choice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from modelswap.choose.ranking import CandidateFigures, Estimate, GateLine, Ranking, rank

Json = dict[str, Any]
HEADER = "| # | model | pass | vs old (points) | $/req | p95 ms | gates | |"


@dataclass(frozen=True, slots=True)
class WorkloadChoice:
    """One workload's choice: the old model's figures, the ranked candidates, the eval run."""

    workload: str
    baseline: CandidateFigures
    ranking: Ranking
    eval_run_id: str | None = None
    cases: int = 0
    """Golden cases run (fewer than the file holds under ``--limit``)."""


def _figures_json(f: CandidateFigures) -> Json:
    return asdict(f)


def _estimate(raw: Mapping[str, Any]) -> Estimate:
    return Estimate(raw.get("value"), raw.get("low"), raw.get("high"))


def figures_from_json(raw: Mapping[str, Any]) -> CandidateFigures:
    """Rebuild a candidate's figures from their stored JSON."""
    return CandidateFigures(
        name=str(raw["name"]),
        model=str(raw.get("model") or ""),
        judged=int(raw.get("judged") or 0),
        passed=int(raw.get("passed") or 0),
        pass_rate=_estimate(raw["pass_rate"]),
        difference=_estimate(raw["difference"]),
        cost=_estimate(raw["cost"]),
        p95=_estimate(raw["p95"]),
        verdict=str(raw["verdict"]),
        gates=tuple(GateLine(str(g["gate"]), str(g["verdict"]), str(g["reason"])) for g in raw.get("gates") or ()),
        errors=int(raw.get("errors") or 0),
        lifecycle=str(raw.get("lifecycle") or ""),
    )


def workload_json(choice: WorkloadChoice) -> Json:
    """One workload's choice as stored: baseline, candidates in rank order, front and pick."""
    return {
        "workload": choice.workload,
        "eval_run_id": choice.eval_run_id,
        "cases": choice.cases,
        "baseline": _figures_json(choice.baseline),
        "candidates": [
            {**_figures_json(r.figures), "rank": r.rank, "on_front": r.on_front, "picked": r.picked}
            for r in choice.ranking.rows
        ],
        "front": list(choice.ranking.front),
        "pick": choice.ranking.pick,
    }


def workload_from_json(raw: Mapping[str, Any]) -> WorkloadChoice:
    """Rebuild a stored workload choice (the ranking is recomputed from the figures: the same rules)."""
    items = [figures_from_json(c) for c in raw.get("candidates") or ()]
    return WorkloadChoice(
        workload=str(raw["workload"]),
        baseline=figures_from_json(raw["baseline"]),
        ranking=rank(str(raw["workload"]), items),
        eval_run_id=raw.get("eval_run_id"),
        cases=int(raw.get("cases") or 0),
    )


def to_json(choice_id: str, choices: Sequence[WorkloadChoice], excluded: Sequence[str]) -> Json:
    """The whole choice: every workload, the candidates left out, and whether any workload has a pick."""
    return {
        "choice_id": choice_id,
        "excluded": list(excluded),
        "workloads": [workload_json(c) for c in choices],
        "every_workload_has_a_pick": bool(choices) and all(c.ranking.pick for c in choices),
    }


def _pct(e: Estimate) -> str:
    if e.value is None:
        return "—"
    ci = f" [{e.low * 100:.1f}, {e.high * 100:.1f}]" if e.low is not None and e.high is not None else ""
    return f"{e.value * 100:.1f} %{ci}"


def _points(e: Estimate) -> str:
    if e.value is None:
        return "—"
    ci = f" [{e.low:+.1f}, {e.high:+.1f}]" if e.low is not None and e.high is not None else ""
    return f"{e.value:+.1f}{ci}"


def usd(value: float | None) -> str:
    """Dollars to three significant digits (``$0.0000143``, ``$0.00123``, ``$0.123``), ``—`` when unknown."""
    if value is None:
        return "—"
    if value <= 0 or value >= 0.1:
        return f"${value:.3f}"
    return f"${value:.{2 - math.floor(math.log10(value))}f}"


def _cost(e: Estimate) -> str:
    ci = f" [{usd(e.low)}, {usd(e.high)}]" if e.low is not None and e.high is not None else ""
    return usd(e.value) + ci


def _ms(e: Estimate) -> str:
    if e.value is None:
        return "—"
    ci = f" [{e.low:,.0f}, {e.high:,.0f}]" if e.low is not None and e.high is not None else ""
    return f"{e.value:,.0f}{ci}"


def cells(f: CandidateFigures) -> dict[str, str]:
    """The figures as the table and Markdown show them (intervals in brackets, 95 %)."""
    return {
        "pass": _pct(f.pass_rate),
        "vs old": "—" if f.verdict == "baseline" else _points(f.difference),
        "$/req": _cost(f.cost),
        "p95 ms": _ms(f.p95),
    }


def mark(on_front: bool, picked: bool) -> str:
    """``pick`` for the pick, ``front`` for another front member, else empty."""
    return "pick" if picked else "front" if on_front else ""


def to_markdown(choices: Sequence[WorkloadChoice], excluded: Sequence[str]) -> str:
    """A Markdown report: per workload, the ranking with intervals and the pick."""
    lines = ["# Which model? (`modelswap choose`)"]
    lines += ["", *(f"- {line}" for line in excluded)] if excluded else []
    for choice in choices:
        pick = f"**{choice.ranking.pick}**" if choice.ranking.pick else "none passes every gate"
        lines += ["", f"## {choice.workload}: {pick}", ""]
        lines += [
            "| # | model | pass | vs old (points) | $/req | p95 ms | gates | |",
            "|---|---|---|---|---|---|---|---|",
        ]
        b = cells(choice.baseline)
        lines.append(
            f"| – | old ({choice.baseline.model}) | {b['pass']} | — | {b['$/req']} | {b['p95 ms']} | baseline | |"
        )
        for r in choice.ranking.rows:
            f, c = r.figures, cells(r.figures)
            name = f"{f.name} ({f.model})" if f.model and f.model != f.name else f.name
            row = f"| {r.rank} | {name} | {c['pass']} | {c['vs old']} | {c['$/req']} | {c['p95 ms']} | {f.verdict}"
            lines.append(f"{row} | {mark(r.on_front, r.picked)} |")
        flagged = [f"- {r.figures.name}: {r.figures.lifecycle}" for r in choice.ranking.rows if r.figures.lifecycle]
        lines += ["", *flagged] if flagged else []
        gates = [
            f"- {r.figures.name} · {g.gate} **{g.verdict}**: {g.reason}"
            for r in choice.ranking.rows
            for g in r.figures.gates
        ]
        lines += ["", "Gates against the old model:", "", *gates] if gates else []
    lines.append("")
    return "\n".join(lines)
