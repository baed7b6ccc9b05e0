"""The plan exported: a timestamped Markdown checklist (GitHub task lists) and JSON with the same content.

The Markdown pastes into an issue tracker as is: one ``- [x]`` / ``- [ ]`` line per item,
grouped by phase, each with its state, when and by whom or by what evidence, and the key
figures below it. Text people typed (names, notes) is folded to one line so it cannot
break the list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from modelswap.plan.checklist import Checklist, ItemStatus
from modelswap.plan.figures import pct, when
from modelswap.store import PlanTickRow

STATE_LABELS: Mapping[str, str] = {
    "done": "done",
    "in_progress": "in progress",
    "not_started": "not started",
    "manual": "manual: tick by hand",
}


def iso(ts: datetime | None) -> str | None:
    """UTC ISO 8601 with a ``Z``: ``2025-03-01T12:00:00Z``."""
    if ts is None:
        return None
    return ts.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _line(text: str) -> str:
    """User or model text on one Markdown line: whitespace folded, HTML-ish brackets escaped."""
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")


def _item_line(s: ItemStatus) -> str:
    box = "x" if s.done else " "
    head = f"- [{box}] **{s.item.number}. {_line(s.item.title)}** — {STATE_LABELS[s.state]}"
    if s.done and s.done_by == "evidence":
        head += f" · by evidence ({_line(s.evidence.source)})" + (f" on {when(s.done_at)}" if s.done_at else "")
    elif s.done and s.done_by:
        head += f" · ticked by hand by {_line(s.done_by)} on {when(s.done_at)}"
    elif s.state == "in_progress":
        head += f" ({pct(s.evidence.progress, 0)})"
    return head


def _item_details(s: ItemStatus) -> list[str]:
    out = [f"  - {_line(s.summary)}"]
    if s.done and s.done_by != "evidence" and s.evidence.state != "done":
        out.append(f"  - evidence: {_line(s.evidence.summary)}")
    out.extend(f"  - {_line(f)}" for f in s.evidence.figures)
    for c in s.evidence.checks:
        out.append(f"  - {'✓' if c.met else '✗'} {_line(c.label)}: {_line(c.detail)} ({_line(c.why)})")
    out.extend(f"  - note: {_line(n)}" for n in s.notes)
    if not s.done and s.state != "manual":
        out.append(f"  - needs: {s.item.needs}")
    return out


def _tick_line(t: PlanTickRow) -> str:
    note = f": {_line(t.note)}" if t.note else ""
    return f"- {when(t.ts)} — {_line(t.actor)} {t.state} {t.item_key}{note}"


def to_markdown(plan: Checklist) -> str:
    """The plan as a Markdown checklist, grouped by phase, headed by migration, scenario, time and progress."""
    p = plan.progress
    scenario = f"{plan.scenario.title} (risk {plan.scenario.risk})" if plan.scenario else "none"
    phases = " · ".join(f"{x.phase.title} {x.done}/{x.total}" for x in p.phases)
    lines = [
        f"# Migration plan: {_line(plan.migration)}",
        "",
        f"- **Scenario:** {_line(scenario)}",
        f"- **Migration file:** `{plan.source}`",
        f"- **Generated:** {iso(plan.generated_at)}",
        f"- **Progress:** {p.done} of {p.total} items done ({pct(p.fraction, 0)}) — {phases}",
    ]
    for phase in plan.phases:
        pp = p.of(phase.key)
        lines += ["", f"## {phase.title} ({phase.weeks}) — {pp.done}/{pp.total}", ""]
        for s in plan.phase_items(phase):
            lines.append(_item_line(s))
            lines.extend(_item_details(s))
    if plan.notes:
        lines += ["", "## Scenario notes", ""]
        lines.extend(f"- {_line(n)}" for n in plan.notes)
    if plan.history:
        lines += ["", "## Ticks by hand", ""]
        lines.extend(_tick_line(t) for t in plan.history)
    lines += ["", f"_Exported by modelswap at {iso(plan.generated_at)}._", ""]
    return "\n".join(lines)


def _plain(value: Any) -> Any:
    """Datetimes to ISO strings, tuples to lists, recursively."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _tick_json(t: PlanTickRow | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"item": t.item_key, "state": t.state, "actor": t.actor, "ts": iso(t.ts), "note": t.note}


def _item_json(s: ItemStatus) -> dict[str, Any]:
    ev = s.evidence
    return {
        "number": s.item.number,
        "key": s.item.key,
        "title": s.item.title,
        "needs": s.item.needs,
        "state": s.state,
        "done": s.done,
        "done_by": s.done_by,
        "done_at": iso(s.done_at),
        "summary": s.summary,
        "evidence": {
            "state": ev.state,
            "summary": ev.summary,
            "source": ev.source,
            "progress": round(ev.progress, 4),
            "done_at": iso(ev.done_at),
            "figures": list(ev.figures),
            "checks": [{"label": c.label, "met": c.met, "detail": c.detail, "why": c.why} for c in ev.checks],
            "data": _plain(ev.data),
        },
        "tick": _tick_json(s.tick),
        "notes": list(s.notes),
        "manual_only": s.item.manual_note is not None and ev.state == "manual",
    }


def to_dict(plan: Checklist) -> dict[str, Any]:
    """The plan as JSON-ready values: the same content as the Markdown."""
    p = plan.progress
    return {
        "migration": plan.migration,
        "source": plan.source,
        "scenario": (
            {"slug": plan.scenario.slug, "title": plan.scenario.title, "risk": plan.scenario.risk}
            if plan.scenario
            else None
        ),
        "generated_at": iso(plan.generated_at),
        "progress": {
            "done": p.done,
            "total": p.total,
            "fraction": round(p.fraction, 4),
            "phases": [
                {"key": x.phase.key, "done": x.done, "total": x.total, "fraction": round(x.fraction, 4)}
                for x in p.phases
            ],
        },
        "phases": [
            {
                "key": phase.key,
                "title": phase.title,
                "weeks": phase.weeks,
                "items": [_item_json(s) for s in plan.phase_items(phase)],
            }
            for phase in plan.phases
        ],
        "notes": list(plan.notes),
        "history": [_tick_json(t) for t in plan.history],
    }


def to_json(plan: Checklist, *, indent: int | None = 2) -> str:
    """The plan as JSON text."""
    return json.dumps(to_dict(plan), indent=indent, ensure_ascii=False) + "\n"
