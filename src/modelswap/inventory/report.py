"""The inventory for people and machines: a Rich table, Markdown, and JSON.

All three show the same numbers; JSON (``inventory_dict``) carries them unrounded.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import orjson
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from modelswap.inventory.figures import WorkloadFigures
from modelswap.inventory.inventory import Inventory
from modelswap.inventory.proposals import Proposal
from modelswap.inventory.sources import ReadReport, SkippedFile
from modelswap.inventory.spend import SpendReport, WorkloadSpend

EXAMPLE_CHARS = 160


def _money(v: float | None) -> str:
    if v is None:
        return "—"
    if abs(v) >= 100:
        return f"${v:,.0f}"
    if abs(v) >= 1:
        return f"${v:,.2f}"
    return f"${v:,.4f}"


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f}"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _short(text: str | None, n: int = EXAMPLE_CHARS) -> str:
    if not text:
        return "(none)"
    one = " ".join(text.split())
    return one if len(one) <= n else one[: n - 1] + "…"


def _candidates(inv: Inventory) -> list[str]:
    names: list[str] = []
    for w in inv.workloads:
        for e in w.cost_per_day:
            if e not in names:
                names.append(e)
    return names


def _saving(w: WorkloadFigures) -> str:
    if w.saving_per_day is None:
        return "—"
    return f"{_money(w.saving_per_day)} ({_pct(w.saving_fraction)})"


def _period(inv: Inventory) -> str:
    if inv.period is None:
        return "no requests"
    start, end = inv.period.start.date().isoformat(), inv.period.end.date().isoformat()
    return f"{start} → {end} ({inv.period.days} day{'s' if inv.period.days != 1 else ''})"


def _label(w: WorkloadFigures) -> str:
    if w.proposal is not None:
        return f"{w.name} [{w.proposal.id}, proposed]"
    if w.named_by:
        fields = ", ".join(w.named_by)
        return f"{w.name} [named by {fields}]" if w.origin == "tag" else f"{w.name} [+ named by {fields}]"
    if w.origin in ("rule", "tag"):
        return w.name
    return f"{w.name} [{w.origin}]"


def _unknown(w: WorkloadFigures) -> str:
    return f"unknown for {w.usage_unknown:,} req" if w.usage_unknown else "—"


def _columns(inv: Inventory) -> list[tuple[str, Any]]:
    cols: list[tuple[str, Any]] = [
        ("workload", _label),
        ("req/day", lambda w: f"{w.requests_per_day:,.1f}"),
        ("share", lambda w: _pct(w.share)),
        ("tok in/out", lambda w: f"{w.prompt_tokens_per_request:,.0f}/{w.completion_tokens_per_request:,.0f}"),
    ]
    for e in _candidates(inv):
        cols.append((f"$/day {e}", lambda w, e=e: _money(w.cost_per_day.get(e))))
    if any(w.saving_per_day is not None for w in inv.workloads):
        cols.append(("saving/day", _saving))
    if any(w.usage_unknown for w in inv.workloads):
        cols.append(("tokens & $", _unknown))
    if any(w.logged_cost_per_day is not None for w in inv.workloads):
        cols.append(("$/day logged", lambda w: _money(w.logged_cost_per_day)))
    cols += [
        ("p50/p95/p99 ms", lambda w: f"{_ms(w.latency_ms.p50)}/{_ms(w.latency_ms.p95)}/{_ms(w.latency_ms.p99)}"),
        ("TTFT p50/p95", lambda w: f"{_ms(w.ttft_ms.p50)}/{_ms(w.ttft_ms.p95)}" if w.ttft_ms.n else "—"),
        ("errors", lambda w: _pct(w.error_rate)),
    ]
    return cols


def _legend(inv: Inventory) -> str:
    priced = ", ".join(f"{e} = {m}" for e, m in inv.endpoints.items())
    text = (
        "tok in/out: tokens per request. "
        + (
            f"$/day at each endpoint's price ({priced}), same token counts. "
            if priced
            else "$/day at each model's price. "
        )
        + "Latency over successful requests; percentiles as numpy's default (linear)."
    )
    if any(w.usage_unknown for w in inv.workloads):
        text += (
            " tokens & $: successful requests that logged no token counts; $/day covers the other "
            "requests (add the unknown), tok in/out are per request with known usage."
        )
    return text


def _read_lines(reports: list[ReadReport], skipped: list[SkippedFile] | None = None) -> list[str]:
    out = [str(f) for f in skipped or []]
    for r in reports:
        line = f"{r.location} ({r.format}): {r.records:,} records"
        if r.companion:
            line = f"{r.location} ({r.format}, prompts from {', '.join(r.companion)}): {r.records:,} records"
        if r.skipped:
            line += "; skipped " + ", ".join(f"{n:,} {why}" for why, n in r.skipped.items())
        if r.malformed:
            reasons = ", ".join(f"{n:,} {why}" for why, n in sorted(r.by_reason.items(), key=lambda kv: -kv[1]))
            line += f"; {r.malformed:,} refused ({reasons})"
        out.append(line)
        out += [f"  {m}" for m in r.examples]
        if r.malformed > len(r.examples):
            out.append(f"  … and {r.malformed - len(r.examples):,} more")
    return out


def _proposal_lines(p: Proposal) -> list[str]:
    tools = f"; tools: {', '.join(p.tools)}" if p.tools else ""
    return [
        f"{p.id} {p.name}: {p.requests:,} requests on {p.model}{tools}; fingerprint(s) {', '.join(p.fingerprints[:4])}"
        + (f" and {len(p.fingerprints) - 4} more" if len(p.fingerprints) > 4 else ""),
        f"  system: {_short(p.example_system)}",
        f"  user:   {_short(p.example_user)}",
        f"  e.g. {p.example_where}",
    ]


def naming_hint(proposals: list[Proposal]) -> str:
    """How to name proposals: by fingerprint (P-numbers are this table's order, which changes with the logs read)."""
    example = proposals[0].fingerprints[0][:8] if proposals and proposals[0].fingerprints else "3f2a9c1b"
    return (
        f"Proposed workloads (name one by a fingerprint: --name {example}=support-chat; P1, P2, … are "
        "this table's order, which changes with the logs read; keep them: --accept-workloads)"
    )


def render_table(inv: Inventory) -> RenderableType:
    """The inventory as Rich renderables: the workload table, then proposals, sources and warnings."""
    table = Table(
        title=f"Inventory — {inv.scope}, {_period(inv)}, {inv.total_requests:,} requests", title_justify="left"
    )
    cols = _columns(inv)
    for i, (title, _) in enumerate(cols):
        table.add_column(title, justify="left" if i == 0 else "right", no_wrap=i == 0, overflow="fold")
    for w in inv.workloads:
        table.add_row(*(fn(w) for _, fn in cols))
    parts: list[RenderableType] = [table, Text(_legend(inv), style="dim")]
    if inv.proposals:
        parts.append(Text("\n" + naming_hint(inv.proposals), style="bold"))
        for p in inv.proposals:
            parts.append(Text("\n".join(_proposal_lines(p))))
    if inv.other_models:
        seen = ", ".join(f"{m} ({n:,})" for m, n in inv.other_models.items())
        parts.append(Text(f"\nNot on the old model (counted, not inventoried): {seen}"))
    parts.append(Text("\nRead:\n" + "\n".join(_read_lines(inv.reports, inv.skipped_files))))
    for warning in inv.warnings:
        parts.append(Text(f"! {warning}", style="yellow"))
    return Group(*parts)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(inv: Inventory) -> str:
    """The inventory as a Markdown document (a table per workload, proposals, sources)."""
    cols = _columns(inv)
    lines = [
        f"# Inventory — {inv.scope}",
        "",
        f"Period: {_period(inv)}. Requests: {inv.total_requests:,}. "
        f"Taken {inv.created_at.isoformat(timespec='seconds')}.",
        "",
        "| " + " | ".join(_md_escape(t) for t, _ in cols) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(_md_escape(str(fn(w))) for _, fn in cols) + " |" for w in inv.workloads]
    lines += ["", _legend(inv)]
    if inv.proposals:
        lines += ["", "## Proposed workloads", "", naming_hint(inv.proposals), ""]
        for p in inv.proposals:
            head, *rest = _proposal_lines(p)
            lines.append(f"- **{_md_escape(head)}**")
            lines += [f"  - {_md_escape(r.strip())}" for r in rest]
    if inv.other_models:
        lines += ["", "Not on the old model (counted, not inventoried): "]
        lines[-1] += ", ".join(f"{m} ({n:,})" for m, n in inv.other_models.items())
    lines += ["", "## Sources", ""]
    lines += [
        f"- {_md_escape(line.strip())}" if not line.startswith("  ") else f"  - {_md_escape(line.strip())}"
        for line in _read_lines(inv.reports, inv.skipped_files)
    ]
    if inv.warnings:
        lines += ["", "## Warnings", ""] + [f"- {_md_escape(w)}" for w in inv.warnings]
    return "\n".join(lines) + "\n"


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def inventory_dict(inv: Inventory) -> dict[str, Any]:
    """The inventory as plain JSON-able values (numbers unrounded)."""
    plain: dict[str, Any] = orjson.loads(orjson.dumps(asdict(inv), default=_default, option=orjson.OPT_NON_STR_KEYS))
    return plain


def to_json(inv: Inventory) -> str:
    """The inventory as indented JSON."""
    return orjson.dumps(inventory_dict(inv), option=orjson.OPT_INDENT_2).decode() + "\n"


# ---- the spend tracker -----------------------------------------------------------------------

SPEND_LEGEND = (
    "actual: recorded cost of served requests; new arm: the part the new model served; same on old: those "
    "requests at the baseline cost per request; saved so far: same on old − new arm (requests the old model "
    "served are neither a saving nor a loss); shadow: cost of mirrored calls (not in actual)."
)


def _saved(w: WorkloadSpend) -> str:
    if w.realised_saving_usd is None:
        return "— (no new traffic)" if not w.new_requests else "—"
    return _money(w.realised_saving_usd)


def _baseline_cell(w: WorkloadSpend) -> str:
    n = f", n={w.baseline_sample:,}" if w.baseline_sample is not None else ""
    return f"{_money(w.baseline_cost_per_request)} ({w.baseline_source}{n})"


def _spend_columns() -> list[tuple[str, Any]]:
    def share(w: WorkloadSpend) -> str:
        return _pct(w.new_share)

    return [
        ("workload", lambda w: w.workload),
        ("days", lambda w: str(len(w.days))),
        (
            "requests old / new",
            lambda w: (
                f"{sum(d.requests.get('old', 0) for d in w.days):,} / {sum(d.requests.get('new', 0) for d in w.days):,}"
            ),
        ),
        ("on new", share),
        ("actual $", lambda w: _money(w.actual_usd)),
        ("new arm $", lambda w: _money(sum(d.cost_usd.get("new", 0.0) for d in w.days))),
        (
            "same on old $",
            lambda w: (
                _money(sum(d.counterfactual_usd or 0.0 for d in w.days))
                if w.baseline_cost_per_request is not None and w.new_requests
                else "—"
            ),
        ),
        ("saved so far", _saved),
        ("shadow $", lambda w: _money(w.shadow_cost_usd)),
        ("baseline $/req", _baseline_cell),
        ("new $/req", lambda w: _money(w.new_cost_per_request)),
        ("saving/day at 100%", lambda w: _money(w.saving_per_day_at_full)),
    ]


def render_spend(report: SpendReport) -> RenderableType:
    """The spend tracker as a Rich table."""
    since = report.since.date().isoformat() if report.since else "the first record"
    table = Table(title=f"Spend — {since} → {report.until.date().isoformat()}", title_justify="left")
    cols = _spend_columns()
    for i, (title, _) in enumerate(cols):
        table.add_column(title, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for w in report.workloads:
        table.add_row(*(fn(w) for _, fn in cols))
    note = Text(SPEND_LEGEND)
    notes = [Text(f"! {w.workload}: {w.saving_note}", style="yellow") for w in report.workloads if w.saving_note]
    return Group(table, note, *notes)


def spend_markdown(report: SpendReport) -> str:
    """The spend tracker as Markdown."""
    cols = _spend_columns()
    lines = [
        "# Spend",
        "",
        "| " + " | ".join(t for t, _ in cols) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(_md_escape(str(fn(w))) for _, fn in cols) + " |" for w in report.workloads]
    lines += ["", SPEND_LEGEND]
    lines += [f"- {w.workload}: {w.saving_note}" for w in report.workloads if w.saving_note]
    return "\n".join(lines) + "\n"


def spend_dict(report: SpendReport) -> dict[str, Any]:
    """The spend tracker as plain JSON-able values, with the derived totals."""
    data: dict[str, Any] = orjson.loads(orjson.dumps(asdict(report), default=_default))
    for w, wd in zip(report.workloads, data["workloads"], strict=True):
        wd["actual_usd"] = w.actual_usd
        wd["shadow_cost_usd"] = w.shadow_cost_usd
        wd["realised_saving_usd"] = w.realised_saving_usd
        wd["saving_note"] = w.saving_note
        wd["new_requests"] = w.new_requests
        wd["saving_per_day_at_full_usd"] = w.saving_per_day_at_full
    return data
