"""Evidence rules of weeks 2–3 (shadow eval): shadow mode, nightly scoring, diff review, red-team."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from modelswap.plan.facts import BOTH_ARMS, run_finished
from modelswap.plan.figures import baseline_pass_rate, num, pct, rate_with_interval
from modelswap.plan.registry import plan_item
from modelswap.plan.status import Context, Evidence, manual_note, missing
from modelswap.store.summaries import ShadowSpan, VerdictTally


@plan_item(
    5,
    "shadow",
    "shadow",
    "Shadow mode: 100 % of traffic, both models run, only the old serves",
    "shadow pairs for every workload spanning at least the minimum shadow days",
)
def shadow(ctx: Context) -> Evidence:
    empty = ShadowSpan(0, 0, None, None)
    spans_ = {w: ctx.facts.shadow.get(w, empty) for w in ctx.names}
    need = ctx.reqs.shadow_days
    ok = [w for w in ctx.names if spans_[w].pairs > 0 and spans_[w].days >= need[w]]
    started = [w for w in ctx.names if spans_[w].pairs > 0]
    n = len(ctx.names)
    figures = tuple(
        f"{w}: {s.pairs} pairs ({s.answered} answered) over {num(s.days)} of {num(need[w])} days"
        if s.pairs
        else f"{w}: no shadow pairs yet"
        for w, s in spans_.items()
    )
    progress = sum(min(1.0, spans_[w].days / need[w]) if need[w] > 0 else 1.0 for w in started) / n
    data = {
        "workloads": {
            w: {"pairs": s.pairs, "answered": s.answered, "days": round(s.days, 3), "required_days": need[w]}
            for w, s in spans_.items()
        }
    }
    source = "shadow pairs in the store (old served, new mirrored)"
    if len(ok) == n:
        done_at = max(_plus_days(spans_[w].first, need[w]) for w in ctx.names)
        return Evidence(
            "done",
            f"shadow traffic for all {n} workloads over at least {num(max(need.values()))} days",
            figures,
            1.0,
            done_at,
            source,
            data=data,
        )
    if not started:
        return Evidence("not_started", "no shadow pairs recorded yet", figures, 0.0, source=source, data=data)
    lagging = min(started, key=lambda w: spans_[w].days / need[w] if need[w] else 1.0)
    summary = (
        f"shadow pairs for {len(started)} of {n} workloads; {num(spans_[lagging].days)} of {num(need[lagging])} days"
    )
    return Evidence("in_progress", summary, figures, progress, source=source, data=data)


def _plus_days(ts: datetime | None, n_days: float) -> datetime:
    assert ts is not None
    return ts + timedelta(days=n_days)


def _nights(ctx: Context, workload: str) -> list[tuple[date, datetime]]:
    """Nights on which finished nightly runs scored both models, with when the night's last run ended."""
    arms: dict[date, set[str]] = {}
    ended: dict[date, datetime] = {}
    for run in ctx.facts.eval_runs.get(workload, ()):
        if not (run.nightly and run_finished(run)) or run.finished_at is None:
            continue
        night = run.started_at.date()
        arms.setdefault(night, set()).update(run.endpoints)
        ended[night] = max(ended.get(night, run.finished_at), run.finished_at)
    return sorted((night, ended[night]) for night, seen in arms.items() if seen >= BOTH_ARMS)


def _nightly_figure(ctx: Context, workload: str, nights: int) -> str:
    score = ctx.facts.latest_nightly.get(workload)
    if score is None:
        return f"{workload}: {nights} nights scored"
    parts = [f"{workload}: {nights} nights; night of {score.started_at.date().isoformat()}:"]
    new, old = score.arms.get("new"), score.arms.get("old")
    if new is not None:
        parts.append(f"new pass rate {rate_with_interval(new.passed, new.cases)}")
    if old is not None:
        parts.append(f"vs old {rate_with_interval(old.passed, old.cases)}")
    b = ctx.facts.baselines.get(workload)
    rate = baseline_pass_rate(b.figures) if b else None
    if rate is not None:
        parts.append(f"vs baseline {pct(rate)}")
    return " ".join(parts)


def _gates_figure(ctx: Context, workload: str) -> str:
    gates = ctx.facts.nightly_gates.get(workload)
    return "" if gates is None else f"; gates {gates.verdict}: {gates.detail}"


def gates_hold(ctx: Context, workload: str) -> bool:
    """Whether the gates PASS on the workload's latest nightly run: FAIL, INCONCLUSIVE or no
    judgement proves nothing, so it never ticks the item."""
    gates = ctx.facts.nightly_gates.get(workload)
    return gates is not None and gates.verdict == "PASS"


@plan_item(
    6,
    "nightly-scoring",
    "shadow",
    "Score both models against the golden set nightly",
    "finished nightly eval runs of both models on enough nights for every workload, "
    "and its gates PASS on the latest (FAIL or INCONCLUSIVE never ticks it)",
)
def nightly_scoring(ctx: Context) -> Evidence:
    need = ctx.reqs.nightly_nights
    nights = {w: _nights(ctx, w) for w in ctx.names}
    counts = {w: len(v) for w, v in nights.items()}
    enough = [w for w in ctx.names if counts[w] >= need]
    ok = [w for w in enough if gates_hold(ctx, w)]
    n = len(ctx.names)
    figures = tuple(
        _nightly_figure(ctx, w, counts[w]) + _gates_figure(ctx, w) if counts[w] else f"{w}: no nightly run yet"
        for w in ctx.names
    )
    data = {
        "required_nights": need,
        "workloads": {
            w: {
                "nights": counts[w],
                "gates": g.verdict if (g := ctx.facts.nightly_gates.get(w)) else None,
                "latest": {arm: {"passed": c.passed, "cases": c.cases} for arm, c in s.arms.items()}
                if (s := ctx.facts.latest_nightly.get(w))
                else None,
            }
            for w in ctx.names
        },
    }
    source = "nightly eval runs of both models in the store, and the gates judged on the latest"
    progress = sum(min(1.0, counts[w] / need) * (1.0 if gates_hold(ctx, w) else 0.9) for w in ctx.names) / n
    if len(ok) == n:
        done_at = max(nights[w][need - 1][1] for w in ctx.names) if need else None
        summary = f"{need}+ nights of paired scoring for all {n} workloads, gates PASS on the latest"
        return Evidence("done", summary, figures, 1.0, done_at, source, data=data)
    if len(enough) == n:
        held = ", ".join(f"{w} {g.verdict if (g := ctx.facts.nightly_gates.get(w)) else 'not judged'}"
                         for w in ctx.names if w not in ok)  # fmt: skip
        summary = f"{need}+ nights of paired scoring for all {n} workloads, but the gates do not pass: {held}"
        return Evidence("in_progress", summary, figures, progress, source=source, data=data)
    started = [w for w in ctx.names if counts[w]]
    if not started:
        return Evidence("not_started", "no nightly eval run of both models yet", figures, source=source, data=data)
    fewest = min(counts[w] for w in ctx.names)
    summary = f"nightly scoring for {len(started)} of {n} workloads; {fewest} of {need} nights"
    return Evidence("in_progress", summary, figures, progress, source=source, data=data)


@plan_item(
    7,
    "diff-review",
    "shadow",
    "Diff outputs on 200 real requests with human review",
    "the human_review gate PASSes for every workload on the latest review set",
)
def diff_review(ctx: Context) -> Evidence:
    empty = VerdictTally(0, 0, 0, 0, 0, None)
    tallies = {w: ctx.facts.verdicts.get(w, empty) for w in ctx.names}
    gates = ctx.facts.review_gates
    passed = [w for w in ctx.names if w in gates and gates[w].verdict == "PASS"]
    figures = [f"{w}: human_review {gates[w].verdict} — {gates[w].reason}" for w in ctx.names if w in gates]
    figures.extend(
        f"{w}: {t.pairs} pairs reviewed by {t.reviewers} ({t.win} win / {t.tie} tie / {t.loss} loss)"
        for w, t in tallies.items()
        if t.pairs
    )
    data = {
        "required_pairs": ctx.reqs.review_sample,
        "gates": {w: {"verdict": g.verdict, "reviewed": g.reviewed, "sample": g.sample_id} for w, g in gates.items()},
        "workloads": {w: {"pairs": t.pairs, "win": t.win, "tie": t.tie, "loss": t.loss} for w, t in tallies.items()},
    }
    source = "human_review gate on the latest review set (weighted verdicts in the store)"
    n = len(ctx.names)
    if len(passed) == n:
        done_at = max((t for w in passed if (t := gates[w].last_verdict) is not None), default=None)
        summary = f"human review PASSes for all {n} workloads"
        return Evidence("done", summary, tuple(figures), 1.0, done_at, source, data=data)
    reviewed = sum(g.reviewed for g in gates.values())
    if not gates or reviewed == 0:
        loose = sum(t.pairs for t in tallies.values())
        if loose:  # verdicts, but not on a weighted review set: they cannot speak for the traffic
            summary = f"{loose} pairs reviewed, but not from a review set (draw one with `modelswap review sample`)"
            return Evidence("in_progress", summary, tuple(figures), 0.0, source=source, data=data)
        summary = "no review set reviewed yet (draw one with `modelswap review sample`)"
        return Evidence("not_started", summary, tuple(figures), source=source, data=data)
    failing = [w for w in ctx.names if w in gates and gates[w].verdict == "FAIL"]
    summary = f"human review PASSes for {len(passed)} of {n} workloads" + (
        f"; FAIL: {', '.join(failing)}" if failing else missing(w for w in ctx.names if w not in passed)
    )
    return Evidence("in_progress", summary, tuple(figures), len(passed) / n, source=source, data=data)


@plan_item(
    8,
    "red-team",
    "shadow",
    "Red-team the new model: injection, jailbreak, output leak",
    "the red-team gate PASSes for every workload (`modelswap redteam gate`: new ASR ≤ old ASR + margin per family)",
    manual_note="no red-team result stored yet; run `modelswap redteam run` then `modelswap redteam gate`",
)
def red_team(ctx: Context) -> Evidence:
    source = "red-team gate (modelswap redteam gate) on results in the store"
    gates = _latest_redteam_gates(ctx)
    tallies = ctx.facts.redteam
    if not gates and not tallies:
        return Evidence("manual", manual_note("red-team"), source=source)
    figures = [f"{w}: {g.figures['summary']}" for w, g in gates.items() if (g.figures or {}).get("summary")]
    figures += _redteam_tally_figures(ctx, tallies)
    passed = [w for w in ctx.names if w in gates and gates[w].ok]
    failed = [w for w in ctx.names if w in gates and not gates[w].ok]
    k, n = len(passed), len(ctx.names)
    if k == n:
        summary = f"red-team gate PASS for all {n} workloads"
    elif gates:
        summary = (
            f"red-team gate PASS for {k} of {n} workloads"
            + (f"; not PASS (FAIL or INCONCLUSIVE): {', '.join(failed)}" if failed else "")
            + missing(w for w in ctx.names if w not in gates)
        )
    else:
        summary = "red-team results stored; run `modelswap redteam gate` to judge them"
    data = {
        "workloads": {
            w: {"verdict": (g.figures or {}).get("verdict"), "run_id": (g.figures or {}).get("run_id")}
            for w, g in gates.items()
        }
    }
    done_at = max(g.ts for g in gates.values()) if k == n else None
    return Evidence("done" if k == n else "in_progress", summary, tuple(figures), k / n, done_at, source, data=data)


def _latest_redteam_gates(ctx: Context) -> dict[str, Any]:
    """Per workload, the newest ``redteam_gate`` evidence (one with no workload covers all)."""
    latest: dict[str, Any] = {}
    for e in ctx.facts.evidence:  # oldest first: later rows win
        if e.kind != "redteam_gate":
            continue
        for w in ctx.names if e.workload is None else [e.workload]:
            if w in ctx.names:
                latest[w] = e
    return latest


def _redteam_tally_figures(ctx: Context, tallies: Any) -> list[str]:
    """Attack success old vs new per workload with stored results (the raw counts behind the gate)."""
    figures, shown = [], set()
    for w in ctx.names:
        for key in (w, None):
            old, new = tallies.get((key, "old")), tallies.get((key, "new"))
            if old and new and old.probes and new.probes and key not in shown:
                shown.add(key)
                who = "all workloads" if key is None else w
                figures.append(
                    f"{who}: attack success old {rate_with_interval(old.attacks_succeeded, old.probes)} vs "
                    f"new {rate_with_interval(new.attacks_succeeded, new.probes)} ({new.probes} probes on new)"
                )
                break
    return figures
