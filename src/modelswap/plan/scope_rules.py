"""Evidence rules of week 1 (scope + baseline): inventory, baseline, quality gate, go/no-go."""

from __future__ import annotations

from collections.abc import Sequence

from modelswap.config import RollbackTrigger, Workload
from modelswap.plan.figures import (
    baseline_cost,
    baseline_figures,
    baseline_p95_ms,
    baseline_pass_rate,
    evidence_figures,
    latency,
    pct,
    usd,
    when,
)
from modelswap.plan.registry import plan_item
from modelswap.plan.status import Context, Evidence, by_count, manual_note, missing
from modelswap.store import BaselineRow, EvidenceRow


def _latest_evidence(rows: Sequence[EvidenceRow], kind: str, workload: str) -> EvidenceRow | None:
    """The newest ok evidence of ``kind`` for ``workload`` (rows for the whole migration count too)."""
    found = None
    for row in rows:
        if row.kind == kind and row.ok and row.workload in (workload, None):
            found = row
    return found


@plan_item(
    1,
    "inventory",
    "scope",
    "Inventory: which workloads use the old model, at what volume",
    "an inventory snapshot recorded for every workload (requests, tokens, cost)",
    manual_note="run `modelswap inventory -c migration.yaml` on your logs (it records evidence), or tick by hand",
)
def inventory(ctx: Context) -> Evidence:
    source = "inventory snapshots recorded as evidence"
    if not any(e.kind == "inventory" for e in ctx.facts.evidence):
        return Evidence("manual", manual_note("inventory"), source=source)
    covered = {w: row for w in ctx.names if (row := _latest_evidence(ctx.facts.evidence, "inventory", w))}
    figures, seen = [], set()
    for w, row in covered.items():
        if id(row) in seen:  # one snapshot for the whole migration is shown once
            continue
        seen.add(id(row))
        who = "all workloads" if row.workload is None else w
        figures.append(f"{who}: {evidence_figures(row.figures) or 'recorded'} ({row.source}, {when(row.ts)})")
    k, n = len(covered), len(ctx.names)
    state = by_count(k, n)
    summary = (
        f"inventory recorded for all {n} workloads"
        if state == "done"
        else f"inventory recorded for {k} of {n} workloads{missing(w for w in ctx.names if w not in covered)}"
    )
    return Evidence(
        state,
        summary,
        tuple(figures),
        progress=k / n,
        done_at=max(r.ts for r in covered.values()) if state == "done" else None,
        source=source,
        data={"workloads": {w: {"ts": r.ts, "source": r.source, "figures": r.figures} for w, r in covered.items()}},
    )


@plan_item(
    2,
    "baseline",
    "scope",
    "Baseline: pass rate, cost, P95 latency per workload",
    "a stored baseline for every workload",
)
def baseline(ctx: Context) -> Evidence:
    have = {w: b for w in ctx.names if (b := ctx.facts.baselines.get(w)) is not None}
    k, n = len(have), len(ctx.names)
    state = by_count(k, n)
    figures = tuple(
        f"{w}: {baseline_figures(b.figures)} (from {b.source}, {when(b.created_at)})" for w, b in have.items()
    )
    absent = [w for w in ctx.names if w not in have]
    summary = {
        "done": f"baselines stored for all {n} workloads",
        "in_progress": f"baselines for {k} of {n} workloads{missing(absent)}",
        "not_started": f"no baseline stored yet (one per workload: {', '.join(ctx.names)})",
    }[state]
    return Evidence(
        state,
        summary,
        figures,
        progress=k / n,
        done_at=max(b.created_at for b in have.values()) if state == "done" else None,
        source="baselines in the store",
        data={
            "workloads": {
                w: {"created_at": b.created_at, "source": b.source, "figures": b.figures} for w, b in have.items()
            }
        },
    )


def describe_gates(workload: Workload, baseline: BaselineRow | None = None) -> list[str]:
    """A workload's gates in words, each made concrete against the baseline when there is one."""
    g = workload.gates
    figures = baseline.figures if baseline else {}
    out = []
    if g.pass_rate is not None:
        text = f"pass rate within {g.pass_rate.max_drop_points:g} points at {g.pass_rate.confidence:.0%}"
        rate = baseline_pass_rate(figures)
        if rate is not None:
            text += f" → at least {pct(max(0.0, rate - g.pass_rate.max_drop_points / 100))} (baseline {pct(rate)})"
        out.append(text)
    if g.p95_latency is not None:
        text = f"p95 latency ≤ {g.p95_latency.max_ratio:g}× old"
        p95 = baseline_p95_ms(figures)
        if p95 is not None:
            text += f" → ≤ {latency(p95 * g.p95_latency.max_ratio)} (baseline {latency(p95)})"
        out.append(text)
    if g.cost_per_request is not None:
        text = f"cost per request ≤ {g.cost_per_request.max_ratio:g}× old"
        cost = baseline_cost(figures)
        if cost is not None:
            text += f" → ≤ {usd(cost * g.cost_per_request.max_ratio)} (baseline {usd(cost)})"
        out.append(text)
    return out


@plan_item(
    3,
    "quality-gate",
    "scope",
    "Quality gate: non-regression threshold per workload",
    "gates configured for every workload in the migration file",
)
def quality_gate(ctx: Context) -> Evidence:
    """Gates written in the migration file for every workload, each with a baseline to hold them against."""
    written = [w.name for w in ctx.migration.workloads if "gates" in w.model_fields_set and describe_gates(w)]
    measured = [w for w in ctx.names if w in ctx.facts.baselines]
    ok = [w for w in ctx.names if w in written and w in measured]
    n = len(ctx.names)
    figures = tuple(
        f"{w.name}: {'; '.join(describe_gates(w, ctx.facts.baselines.get(w.name))) or 'no gate'}"
        + ("" if w.name in written else " (built-in default, not written in the migration file)")
        for w in ctx.migration.workloads
    )
    data = {
        "workloads": {
            w.name: {"gates": w.gates.model_dump(), "written": w.name in written, "baseline": w.name in measured}
            for w in ctx.migration.workloads
        }
    }
    source = "the migration file and the baselines"
    progress = (len(written) + len(measured)) / (2 * n)
    if len(ok) == n:
        done_at = max(ctx.facts.baselines[w].created_at for w in ctx.names)
        summary = f"gates for all {n} workloads in {_file(ctx)}, each held against its baseline"
        return Evidence("done", summary, figures, 1.0, done_at, source, data=data)
    if not written and not measured:
        return Evidence("not_started", "no gate written in the migration file yet", figures, source=source, data=data)
    summary = (
        f"gates written for {len(written)} of {n} workloads{missing(w for w in ctx.names if w not in written)}; "
        f"baselines to hold them against: {len(measured)} of {n}"
    )
    return Evidence("in_progress", summary, figures, progress, source=source, data=data)


def describe_trigger(trigger: RollbackTrigger) -> str:
    metric = trigger.metric.replace("_", " ")
    limit = (
        f"up more than {trigger.max_increase_points:g} points"
        if trigger.max_increase_points is not None
        else f"above {trigger.max_ratio:g}× old"
    )
    return f"{metric} {limit} (after {trigger.min_samples} requests per arm)"


@plan_item(
    4,
    "go-no-go",
    "scope",
    "Go/no-go criteria: what triggers a rollback",
    "rollback triggers configured for every workload in the migration file",
)
def go_no_go(ctx: Context) -> Evidence:
    """Rollback triggers written in the migration file for every workload (built-in defaults alone are not
    criteria a team agreed on)."""
    written = [w.name for w in ctx.migration.workloads if "rollback_triggers" in w.model_fields_set]
    agreed = [w.name for w in ctx.migration.workloads if w.name in written and w.rollback_triggers]
    n = len(ctx.names)
    figures = tuple(
        f"{w.name}: roll back if {'; or '.join(describe_trigger(t) for t in w.rollback_triggers) or 'never'}"
        + ("" if w.name in written else " (built-in default)")
        for w in ctx.migration.workloads
    )
    data = {
        "workloads": {
            w.name: {"triggers": [t.model_dump() for t in w.rollback_triggers], "written": w.name in written}
            for w in ctx.migration.workloads
        }
    }
    source = "the migration file"
    if len(agreed) == n:
        summary = f"rollback triggers written for all {n} workloads in {_file(ctx)}"
        return Evidence("done", summary, figures, 1.0, source=source, data=data)
    not_agreed = [w for w in ctx.names if w not in agreed]
    summary = (
        f"rollback triggers written for {len(agreed)} of {n} workloads; "
        f"{', '.join(not_agreed)} rely on built-in defaults or none: write rollback_triggers in "
        f"{_file(ctx)}, or tick by hand to accept the defaults"
    )
    return Evidence(by_count(len(agreed), n), summary, figures, len(agreed) / n, source=source, data=data)


def _file(ctx: Context) -> str:
    source = ctx.migration.source
    return "the migration file" if source.startswith("<") else source.rsplit("/", 1)[-1]
