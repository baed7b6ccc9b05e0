"""Evidence rules of week 4 (cutover): canary, promotion, rollback drill, retention of the old model.

Items 9, 10 and 12 cover the workloads in the cutover: a workload a person decided to keep on
the old model (routing stage ``rolled_back``, audited with who, when and why) leaves it and is
listed as such; with every workload kept, nothing has moved and the items are not started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from modelswap.config import Workload
from modelswap.plan.figures import days, evidence_figures, hours, num, share, when
from modelswap.plan.registry import plan_item
from modelswap.plan.stages import Run, drills, full_since, in_band, kept_on_old, runs, spans
from modelswap.plan.status import Context, Evidence, by_count, manual_note, missing
from modelswap.store import EvidenceRow


@dataclass(frozen=True, slots=True)
class _Scope:
    """The workloads in the cutover, and those a person kept on the old model (one line each)."""

    migrating: tuple[Workload, ...]
    kept: tuple[str, ...]
    kept_names: tuple[str, ...]

    @property
    def note(self) -> str:
        """``; kept on the old model: extraction`` (empty when none is kept)."""
        return f"; kept on the old model: {', '.join(self.kept_names)}" if self.kept_names else ""

    def nothing(self, source: str) -> Evidence:
        """The verdict when every workload is kept on the old model."""
        return Evidence("not_started", "every workload is kept on the old model: none moved", self.kept, source=source)


def _all(n: int) -> str:
    """``both`` for two, ``all 3`` and so on."""
    return "both" if n == 2 else f"all {n}"


def _scope(ctx: Context) -> _Scope:
    migrating, kept, names = [], [], []
    for wl in ctx.migration.workloads:
        k = kept_on_old(ctx.facts.rollout.get(wl.name, ()))
        if k is None:
            migrating.append(wl)
            continue
        names.append(wl.name)
        why = f" ({k.reason})" if k.reason else ""
        kept.append(f"{wl.name}: kept on the old model by {k.actor} at {when(k.at)}{why}")
    return _Scope(tuple(migrating), tuple(kept), tuple(names))


def _longest(found: Sequence[Run], now: datetime) -> timedelta:
    return max((r.length(now) for r in found), default=timedelta(0))


@dataclass(frozen=True, slots=True)
class _Hold:
    """How long one workload held a share, against the hold it needs."""

    ok: bool
    held_hours: float
    need_hours: float
    reached_at: datetime | None
    text: str

    @property
    def fraction(self) -> float:
        """Share of the hold done (1 once held; a zero hold is done as soon as the share is reached)."""
        if self.ok:
            return 1.0
        return min(1.0, self.held_hours / self.need_hours) if self.need_hours > 0 else 0.0


def _canary_hold(ctx: Context, wl: Workload) -> _Hold:
    c = wl.rollout.canary
    need = timedelta(hours=c.hold_hours)
    timeline = spans(ctx.facts.rollout.get(wl.name, ()))
    found = runs(timeline, in_band(c.share))
    held = [r for r in found if r.length(ctx.now) >= need]
    if held:
        r = held[0]
        length = hours(r.length(ctx.now))
        text = f"{wl.name}: {share(c.share)} or more from {when(r.start)}, held {num(length)} h without a rollback"
        return _Hold(True, length, c.hold_hours, r.start + need, text)
    if found and found[-1].end is None:
        current = hours(found[-1].length(ctx.now))
        text = (
            f"{wl.name}: at {share(timeline[-1].serving_share)} since {when(found[-1].start)}, "
            f"{num(current)} of {num(c.hold_hours)} h"
        )
        return _Hold(False, current, c.hold_hours, None, text)
    if found:
        best = hours(_longest(found, ctx.now))
        text = f"{wl.name}: longest hold {num(best)} of {num(c.hold_hours)} h (ended by a rollback or a step down)"
        return _Hold(False, best, c.hold_hours, None, text)
    return _Hold(False, 0.0, c.hold_hours, None, f"{wl.name}: no canary yet")


@plan_item(
    9,
    "canary",
    "cutover",
    "Canary 1 % for 48 h; promote if metrics stable",
    "every workload in the cutover held at the canary share or more for the hold time without a rollback",
)
def canary(ctx: Context) -> Evidence:
    source = "rollout events in the store"
    scope = _scope(ctx)
    if not scope.migrating:
        return scope.nothing(source)
    holds = {wl.name: _canary_hold(ctx, wl) for wl in scope.migrating}
    n = len(holds)
    ok = [w for w, h in holds.items() if h.ok]
    started = [w for w, h in holds.items() if h.ok or h.held_hours > 0]
    figures = (*(h.text for h in holds.values()), *scope.kept)
    progress = sum(h.fraction for h in holds.values()) / n
    data = {
        "workloads": {
            w: {"held_hours": round(h.held_hours, 3), "hold_hours": h.need_hours, "ok": h.ok} for w, h in holds.items()
        }
    }
    if len(ok) == n:
        done_at = max((h.reached_at for h in holds.values() if h.reached_at), default=None)
        summary = f"canary held for {_all(n)} workloads without a rollback{scope.note}"
        return Evidence("done", summary, figures, 1.0, done_at, source, data=data)
    if not started:
        return Evidence("not_started", "no canary yet", figures, source=source, data=data)
    lagging = min((holds[w] for w in started if w not in ok), key=lambda h: h.fraction)
    summary = (
        f"canary held for {len(ok)} of {n} workloads; {num(lagging.held_hours)} of {num(lagging.need_hours)} h"
        + scope.note
    )
    return Evidence("in_progress", summary, figures, progress, source=source, data=data)


@plan_item(
    10,
    "promote",
    "cutover",
    "Promote 10 % → 50 % → 100 % with 24 h pauses",
    "every workload in the cutover at 100 %, each promotion step held for its pause",
)
def promote(ctx: Context) -> Evidence:
    source = "rollout events in the store"
    scope = _scope(ctx)
    if not scope.migrating:
        return scope.nothing(source)
    n = len(scope.migrating)
    figures, reached, data, progress = [], [], {}, 0.0
    for wl in scope.migrating:
        timeline = spans(ctx.facts.rollout.get(wl.name, ()))
        since = full_since(timeline)
        steps = wl.rollout.steps
        parts, times, ok_steps = [], [], 0
        for i, step in enumerate(steps):
            high = steps[i + 1].share if i + 1 < len(steps) else None
            found = runs(timeline, in_band(step.share, high))
            need = timedelta(hours=step.hold_hours)
            if high is None:  # the last step: the current, uninterrupted stay at 100 %
                found = [r for r in found if r.end is None]
            held = [r for r in found if r.length(ctx.now) >= need]
            if held:
                ok_steps += 1
                times.append(held[0].start + need)
                parts.append(f"{share(step.share)} ✓ ({num(hours(held[0].length(ctx.now)))} h)")
            elif found:
                parts.append(f"{share(step.share)} {num(hours(_longest(found, ctx.now)))} of {num(step.hold_hours)} h")
            else:
                parts.append(f"{share(step.share)} –")
        done = since is not None and ok_steps == len(steps)
        if done:
            reached.append(max(times))
        progress += ok_steps / len(steps)
        figures.append(f"{wl.name}: " + ", ".join(parts) + (f"; at 100 % since {when(since)}" if since else ""))
        data[wl.name] = {"steps_held": ok_steps, "steps": len(steps), "full_since": since}
    figures.extend(scope.kept)
    dump = {"workloads": data, "kept_on_old": list(scope.kept_names)}
    if len(reached) == n:
        return Evidence(
            "done",
            f"{_all(n)} workloads at 100 % through every step{scope.note}",
            tuple(figures),
            1.0,
            max(reached),
            source,
            data=dump,
        )
    if progress == 0:
        return Evidence("not_started", "no promotion past the canary yet", tuple(figures), source=source, data=dump)
    full = sum(1 for w in data.values() if w["full_since"] is not None)
    summary = f"{len(reached)} of {n} workloads promoted through every step; {full} at 100 %{scope.note}"
    return Evidence("in_progress", summary, tuple(figures), progress / n, source=source, data=dump)


def _met(e: EvidenceRow) -> bool:
    """A recorded drill counts when it went well and, if it was timed, met its target."""
    figures = e.figures if isinstance(e.figures, dict) else {}
    return e.ok and figures.get("met", True) is True


@plan_item(
    11,
    "rollback-drill",
    "cutover",
    "Rollback plan rehearsed and wired (one-click flag)",
    "a recorded rollback drill (modelswap rollout drill) that met its target, for every workload",
)
def rollback_drill(ctx: Context) -> Evidence:
    per: dict[str, datetime] = {}
    latest: dict[str, str] = {}
    for w in ctx.names:
        recorded = [e for e in ctx.facts.evidence if e.kind == "rollback_drill" and e.workload in (w, None)]
        passed = [e for e in recorded if _met(e)]
        if passed:
            per[w] = passed[0].ts
        if recorded:
            e = recorded[-1]
            verdict = "" if _met(e) else " — target missed"
            latest[w] = (
                f"{w}: drill recorded by {e.source} at {when(e.ts)}"
                + (f": {evidence_figures(e.figures)}" if e.figures else "")
                + verdict
            )
            continue
        found = drills(ctx.facts.rollout.get(w, ()))
        if found:
            d = found[-1]
            minutes = (d.restored_at - d.rolled_back_at).total_seconds() / 60
            latest[w] = (
                f"{w}: rolled back by {d.actor} at {when(d.rolled_back_at)}, restored after {num(minutes)} min"
                + (f" ({d.reason})" if d.reason else "")
                + "; not a timed drill (modelswap rollout drill times every replica)"
            )
    k, n = len(per), len(ctx.names)
    state = by_count(k, n)
    figures = tuple(latest.get(w, f"{w}: no drill yet") for w in ctx.names)
    summary = (
        f"rollback drills met their target for all {n} workloads"
        if state == "done"
        else f"timed drills for {k} of {n} workloads{missing(w for w in ctx.names if w not in per)}"
        if k
        else "no timed rollback drill yet (modelswap rollout drill, with the gateway serving)"
    )
    return Evidence(
        state,
        summary,
        figures,
        k / n,
        max(per.values()) if state == "done" else None,
        "rollback drills recorded as evidence (modelswap rollout drill)",
        data={"workloads": {w: {"first_drill": ts} for w, ts in per.items()}},
    )


@dataclass(frozen=True, slots=True)
class _Retained:
    """One workload's time at 100 % and the health probes of its old model since then."""

    ok: bool
    full_since: datetime | None
    days_at_full: float
    need_days: float
    text: str


PROBE_GAP_DAYS = 1.5
"""Probes must run through the window: the last one no earlier than this before the window ends."""


def _retained(ctx: Context, wl: Workload, probes: Sequence[EvidenceRow]) -> _Retained:
    need = wl.rollout.retain_old_days
    since = full_since(spans(ctx.facts.rollout.get(wl.name, ())))
    if since is None:
        return _Retained(False, None, 0.0, need, f"{wl.name}: not at 100 % yet")
    at_full = days(ctx.now - since)
    mine = [p for p in probes if p.workload in (wl.name, None) and p.ts >= since]
    failed = [p for p in mine if not p.ok]
    text = f"{wl.name}: at 100 % since {when(since)}, {num(at_full)} of {num(need)} days"
    if mine:
        text += f"; {len(mine)} probes of the old model, " + (
            f"{len(failed)} failed (last at {when(failed[-1].ts)})" if failed else "all healthy"
        )
    through = bool(mine) and days(mine[-1].ts - since) >= need - PROBE_GAP_DAYS
    if mine and at_full >= need and not through:
        text += f"; the last probe was on day {num(days(mine[-1].ts - since))}: probes stopped before the window ended"
    ok = at_full >= need and through and not failed
    return _Retained(ok, since, at_full, need, text)


@plan_item(
    12,
    "retention",
    "cutover",
    "Old model stays deployable 30 days after 100 %",
    "healthy probes of the old model through the retention window after 100 %, for every workload in the cutover",
    manual_note="no health probes of the old model are recorded yet; tick by hand when the window has passed",
)
def retention(ctx: Context) -> Evidence:
    source = "rollout events and old-model health probes recorded as evidence"
    probes = sorted((e for e in ctx.facts.evidence if e.kind == "retention_probe"), key=lambda e: e.ts)
    scope = _scope(ctx)
    if not scope.migrating:
        return scope.nothing(source)
    held = {wl.name: _retained(ctx, wl, probes) for wl in scope.migrating}
    n = len(held)
    figures = (*(r.text for r in held.values()), *scope.kept)
    data = {
        "workloads": {
            w: {"full_since": r.full_since, "days_at_full": round(r.days_at_full, 3), "ok": r.ok}
            for w, r in held.items()
        }
    }
    at_full = [w for w, r in held.items() if r.full_since is not None]
    if not probes:
        summary = manual_note("retention") + (f" ({len(at_full)} of {n} workloads at 100 %)" if at_full else "")
        return Evidence("manual", summary, figures if at_full else (), source=source, data=data)
    ok = [w for w, r in held.items() if r.ok]
    if len(ok) == n:
        done_at = max(r.full_since + timedelta(days=r.need_days) for r in held.values() if r.full_since)
        summary = f"old model kept deployable and healthy for {_all(n)} workloads{scope.note}"
        return Evidence("done", summary, figures, 1.0, done_at, source, data=data)
    if not at_full:
        return Evidence("not_started", "no workload at 100 % yet", figures, source=source, data=data)
    progress = sum(
        1.0 if r.ok else min(1.0, r.days_at_full / r.need_days) if r.need_days else 0.0 for r in held.values()
    )
    summary = f"retention window passed for {len(ok)} of {n} workloads"
    return Evidence("in_progress", summary, figures, progress / n, source=source, data=data)
