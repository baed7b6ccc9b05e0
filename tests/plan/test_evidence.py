"""Evidence rules over plain facts: no store, no clock — what each item's state is and why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from modelswap.catalog import scenario
from modelswap.config import Migration
from modelswap.plan import Evidence, NightlyGates, NightlyScore, PlanFacts, evaluate, requirements
from modelswap.plan.facts import ReviewGate
from modelswap.store import BaselineRow, EvalRunRow, EvidenceRow, RolloutEventRow
from modelswap.store.summaries import ArmPassCount, RedteamTally, ShadowSpan, VerdictTally

from .conftest import WORKLOADS, at

MakeMigration = Callable[..., Migration]


def judge(migration: Migration, key: str, *, preset: str | None = None, **facts: Any) -> Evidence:
    facts.setdefault("now", at(days=60))
    reqs = requirements(migration, scenario(preset) if preset else None)
    return evaluate(migration, PlanFacts(**facts), reqs)[key]


def baseline(workload: str, **figures: Any) -> BaselineRow:
    return BaselineRow(workload=workload, created_at=at(), figures=figures or {"pass_rate": 0.904}, source="eval run 1")


def run(workload: str, started: datetime, *, nightly: bool = True, status: str = "finished", **spec: Any) -> EvalRunRow:
    return EvalRunRow(
        started_at=started,
        finished_at=started + timedelta(minutes=30),
        workload=workload,
        golden_set_path="g.jsonl",
        golden_set_sha256="0" * 64,
        endpoints=["old", "new"],
        spec=spec,
        nightly=nightly,
        status=status,
    )


def event(
    workload: str, ts: datetime, action: str, stage: str, share: float, rollback: bool = False
) -> RolloutEventRow:
    return RolloutEventRow(
        workload=workload,
        ts=ts,
        actor="ops",
        action=action,
        to_state={"stage": stage, "share": share, "rollback": rollback},
    )


def for_all(make: Callable[[str], Any]) -> dict[str, Any]:
    return {w: make(w) for w in WORKLOADS}


# ---- week 1 ---------------------------------------------------------------------------------------


def test_baseline_needs_one_per_workload(migration: Migration) -> None:
    assert judge(migration, "baseline").state == "not_started"
    partial = judge(migration, "baseline", baselines={"extraction": baseline("extraction")})
    assert partial.state == "in_progress"
    assert partial.summary == "baselines for 1 of 3 workloads; missing: ticket-triage, order-tools"
    done = judge(
        migration,
        "baseline",
        baselines=for_all(lambda w: baseline(w, pass_rate=0.904, cases=1000, passed=904, p95_latency_ms=1234.0)),
    )
    assert done.state == "done" and done.done_at == at()
    assert done.figures[0].startswith("ticket-triage: pass rate 90.4 % [88.4, 92.1], p95 1.23 s (from eval run 1")


def test_quality_gate_is_written_gates_held_against_a_baseline(make_migration: MakeMigration) -> None:
    written = make_migration()
    gated = judge(written, "quality-gate")
    assert gated.state == "in_progress" and "baselines to hold them against: 0 of 3" in gated.summary
    done = judge(written, "quality-gate", baselines=for_all(lambda w: baseline(w, pass_rate=0.904, p95_latency_ms=800)))
    assert done.state == "done"
    assert "pass rate within 2 points at 95% → at least 88.4 % (baseline 90.4 %)" in done.figures[0]
    assert "p95 latency ≤ 1.2× old → ≤ 960 ms (baseline 800 ms)" in done.figures[0]
    defaults = judge(make_migration(written=False), "quality-gate")
    assert defaults.state == "not_started"
    assert "(built-in default, not written in the migration file)" in defaults.figures[0]


def test_go_no_go_needs_triggers_written_not_just_the_defaults(make_migration: MakeMigration) -> None:
    done = judge(make_migration(), "go-no-go")
    assert done.state == "done"
    assert (
        done.figures[0] == "ticket-triage: roll back if error rate up more than 2 points (after 200 requests per arm)"
    )
    defaults = judge(make_migration(written=False), "go-no-go")
    assert defaults.state == "not_started" and "rely on built-in defaults" in defaults.summary


def test_inventory_is_manual_until_an_inventory_is_recorded(migration: Migration) -> None:
    manual = judge(migration, "inventory")
    assert manual.state == "manual" and "tick by hand" in manual.summary
    one = EvidenceRow(kind="inventory", ts=at(), source="modelswap inventory", workload="extraction", figures={"a": 1})
    assert judge(migration, "inventory", evidence=(one,)).state == "in_progress"
    everything = EvidenceRow(
        kind="inventory", ts=at(1), source="modelswap inventory", figures={"summary": "3 workloads, 41k requests/day"}
    )
    done = judge(migration, "inventory", evidence=(one, everything))
    assert done.state == "done" and done.done_at == at(1)
    assert done.figures == ("all workloads: 3 workloads, 41k requests/day (modelswap inventory, 2025-03-01 13:00 UTC)",)


# ---- weeks 2–3 ------------------------------------------------------------------------------------


def test_shadow_counts_workloads_and_days(migration: Migration) -> None:
    spans = {
        "ticket-triage": ShadowSpan(500, 498, at(), at(days=3.2)),
        "extraction": ShadowSpan(900, 900, at(), at(days=20)),
    }
    partial = judge(migration, "shadow", shadow=spans)
    assert partial.state == "in_progress"
    assert partial.summary == "shadow pairs for 2 of 3 workloads; 3.2 of 14 days"
    assert partial.figures[0] == "ticket-triage: 500 pairs (498 answered) over 3.2 of 14 days"
    full = for_all(lambda w: ShadowSpan(100, 100, at(days=1), at(days=16)))
    done = judge(migration, "shadow", shadow=full)
    assert done.state == "done" and done.done_at == at(days=15)


def test_nightly_scoring_counts_nights_with_both_models(migration: Migration) -> None:
    def runs(nights: int) -> tuple[EvalRunRow, ...]:
        good = [run("w", at(days=d)) for d in range(nights)]
        noise = [run("w", at(days=30), status="failed"), run("w", at(days=31), nightly=False)]
        return (*good, run("w", at(days=0, hours=1)), *noise)  # a second run the same night counts once

    score = NightlyScore("r", at(days=6), {"new": ArmPassCount(912, 1000), "old": ArmPassCount(904, 1000)})
    partial = judge(
        migration,
        "nightly-scoring",
        eval_runs={"ticket-triage": runs(3), "extraction": runs(7)},
        latest_nightly={"ticket-triage": score},
        baselines={"ticket-triage": baseline("ticket-triage", pass_rate=0.904)},
    )
    assert partial.state == "in_progress" and partial.summary == "nightly scoring for 2 of 3 workloads; 0 of 7 nights"
    assert partial.figures[0] == (
        "ticket-triage: 3 nights; night of 2025-03-07: new pass rate 91.2 % [89.3, 92.8] "
        "vs old 90.4 % [88.4, 92.1] vs baseline 90.4 %"
    )
    passing = for_all(lambda w: NightlyGates("r", "PASS", "pass_rate PASS"))
    done = judge(migration, "nightly-scoring", eval_runs=for_all(lambda w: runs(7)), nightly_gates=passing)
    assert done.state == "done" and done.done_at == at(days=6) + timedelta(minutes=30)


@pytest.mark.parametrize("verdict", ["INCONCLUSIVE", "FAIL", None])
def test_nightly_scoring_is_not_done_unless_the_gates_pass(migration: Migration, verdict: str | None) -> None:
    # Seven nights scored is not evidence the new model holds: an INCONCLUSIVE (or failing, or
    # unjudged) gate on the latest night never ticks the item.
    nights = for_all(lambda w: tuple(run(w, at(days=d)) for d in range(7)))
    gates = for_all(lambda w: NightlyGates("r", "PASS", "pass_rate PASS"))
    if verdict is None:
        del gates["extraction"]
    else:
        gates["extraction"] = NightlyGates("r", verdict, f"pass_rate {verdict} (1,234 more cases needed)")
    ev = judge(migration, "nightly-scoring", eval_runs=nights, nightly_gates=gates)
    assert ev.state == "in_progress" and ev.done_at is None
    assert f"but the gates do not pass: extraction {verdict or 'not judged'}" in ev.summary
    if verdict is not None:
        assert any(f"gates {verdict}: pass_rate {verdict}" in f for f in ev.figures)


def test_diff_review_ticks_from_the_human_review_gate_not_a_count(migration: Migration) -> None:
    many = {w: VerdictTally(50, 150, 50, 250, 3, at(249)) for w in migration_names(migration)}
    loose = judge(migration, "diff-review", verdicts=many)
    assert loose.state == "in_progress" and "not from a review set" in loose.summary
    names = migration_names(migration)
    passing = {w: ReviewGate(1, "PASS", "new worse on 1.0 % …", 200, at(300)) for w in names}
    done = judge(migration, "diff-review", verdicts=many, review_gates=passing)
    assert done.state == "done" and done.done_at == at(300)
    one_fails = {**passing, names[0]: ReviewGate(1, "FAIL", "new worse on 12.0 % …", 200, at(300))}
    failing = judge(migration, "diff-review", verdicts=many, review_gates=one_fails)
    assert failing.state == "in_progress" and f"FAIL: {names[0]}" in failing.summary
    assert any(f.startswith(f"{names[0]}: human_review FAIL") for f in failing.figures)


def migration_names(migration: Migration) -> list[str]:
    return [w.name for w in migration.workloads]


def test_red_team_is_manual_until_results_exist(migration: Migration) -> None:
    assert judge(migration, "red-team").state == "manual"
    tallies = {(None, "old"): RedteamTally(8, 200, 1, at()), (None, "new"): RedteamTally(5, 200, 1, at(2))}
    stored = judge(migration, "red-team", redteam=tallies)
    assert stored.state == "in_progress" and "modelswap redteam gate" in stored.summary
    assert stored.figures[0].startswith("all workloads: attack success old 4.0 % [")


def redteam_gate(workload: str | None, ok: bool, hours: float = 3) -> EvidenceRow:
    verdict = "PASS" if ok else "FAIL"
    figures = {"summary": f"red-team gate {verdict} on 7 families", "verdict": verdict, "run_id": "rt-1"}
    return EvidenceRow(
        kind="redteam_gate", ts=at(hours), source="modelswap redteam gate", ok=ok, workload=workload, figures=figures
    )


def test_red_team_ticks_from_a_gate_pass_for_every_workload(migration: Migration) -> None:
    one_fails = tuple(redteam_gate(w, w != WORKLOADS[0]) for w in WORKLOADS)
    partial = judge(migration, "red-team", evidence=one_fails)
    assert partial.state == "in_progress"
    assert f"not PASS (FAIL or INCONCLUSIVE): {WORKLOADS[0]}" in partial.summary
    fixed = (*one_fails, redteam_gate(WORKLOADS[0], True, hours=5))  # a later PASS replaces the FAIL
    done = judge(migration, "red-team", evidence=fixed)
    assert done.state == "done" and done.done_at == at(5)
    assert done.summary == f"red-team gate PASS for all {len(WORKLOADS)} workloads"
    everything = judge(migration, "red-team", evidence=(redteam_gate(None, True),))
    assert everything.state == "done"


# ---- week 4 ---------------------------------------------------------------------------------------


def test_canary_must_hold_without_a_rollback(migration: Migration) -> None:
    short = {"ticket-triage": (event("ticket-triage", at(), "set_stage", "split", 1),)}
    partial = judge(migration, "canary", rollout=short, now=at(hours=47))
    assert partial.state == "in_progress" and partial.summary == "canary held for 0 of 3 workloads; 47 of 48 h"
    interrupted = (
        event("w", at(), "set_stage", "split", 1),
        event("w", at(hours=30), "rollback", "split", 1, rollback=True),
        event("w", at(hours=31), "undo_rollback", "split", 1),
    )
    broken = judge(migration, "canary", rollout={"ticket-triage": interrupted}, now=at(hours=60))
    assert broken.state == "in_progress" and "29 of 48 h" in broken.figures[0]
    held = for_all(
        lambda w: (event(w, at(), "set_stage", "split", 1), event(w, at(hours=50), "set_stage", "split", 10))
    )
    done = judge(migration, "canary", rollout=held, now=at(hours=49))
    assert done.state == "done" and done.done_at == at(hours=48)
    assert done.figures[0] == "ticket-triage: 1 % or more from 2025-03-01 12:00 UTC, held 49 h without a rollback"


def promotion(w: str, pause_50: float = 24) -> tuple[RolloutEventRow, ...]:
    return (
        event(w, at(), "set_stage", "split", 1),
        event(w, at(hours=48), "set_stage", "split", 10),
        event(w, at(hours=72), "set_stage", "split", 50),
        event(w, at(hours=72 + pause_50), "set_stage", "full", 100),
    )


def test_promote_needs_every_step_held_and_100_now(migration: Migration) -> None:
    done = judge(migration, "promote", rollout=for_all(promotion), now=at(days=5))
    assert done.state == "done" and done.done_at == at(hours=96)
    assert (
        done.figures[0]
        == "ticket-triage: 10 % ✓ (24 h), 50 % ✓ (24 h), 100 % ✓ (24 h); at 100 % since 2025-03-05 12:00 UTC"
    )
    rushed = {**for_all(promotion), "extraction": promotion("extraction", pause_50=2)}
    partial = judge(migration, "promote", rollout=rushed, now=at(days=5))
    assert partial.state == "in_progress" and "50 % 2 of 24 h" in partial.figures[1]
    rolled_back = {
        **for_all(promotion),
        "order-tools": (*promotion("order-tools"), event("o", at(days=4.5), "rollback", "full", 100, True)),
    }
    assert judge(migration, "promote", rollout=rolled_back, now=at(days=5)).state == "in_progress"
    assert judge(migration, "promote").state == "not_started"


def test_rollback_drill_ticks_from_a_recorded_drill_that_met_its_target(migration: Migration) -> None:
    drill = (event("w", at(), "rollback", "shadow", 0, True), event("w", at(hours=0.1), "undo_rollback", "shadow", 0))
    untimed = judge(migration, "rollback-drill", rollout={"ticket-triage": drill})
    assert untimed.state == "not_started", "a flip and its undo prove the flag exists, not that it was rehearsed"
    assert untimed.figures[0].startswith(
        "ticket-triage: rolled back by ops at 2025-03-01 12:00 UTC, restored after 6 min"
    )
    assert "not a timed drill" in untimed.figures[0]
    missed = EvidenceRow(
        kind="rollback_drill",
        ts=at(4),
        source="modelswap rollout drill",
        ok=False,
        workload="ticket-triage",
        figures={"summary": "2 replicas in 1.80 s", "met": False},
    )
    slow = judge(migration, "rollback-drill", rollout={"ticket-triage": drill}, evidence=(missed,))
    assert slow.state == "not_started" and slow.figures[0].endswith("target missed")
    recorded = EvidenceRow(
        kind="rollback_drill",
        ts=at(5),
        source="modelswap drill",
        figures={"summary": "12 replicas in 0.4 s", "met": True},
    )
    done = judge(migration, "rollback-drill", rollout={"ticket-triage": drill}, evidence=(missed, recorded))
    assert done.state == "done" and done.done_at == at(5)


def test_retention_is_manual_without_probes_then_needs_the_window(migration: Migration) -> None:
    full = for_all(lambda w: (event(w, at(), "set_stage", "full", 100),))
    manual = judge(migration, "retention", rollout=full, now=at(days=12))
    assert manual.state == "manual" and manual.summary.endswith("(3 of 3 workloads at 100 %)")
    assert manual.figures[0] == "ticket-triage: at 100 % since 2025-03-01 12:00 UTC, 12 of 30 days"
    probes = tuple(EvidenceRow(kind="retention_probe", ts=at(days=d), source="probe") for d in range(1, 32))
    assert judge(migration, "retention", rollout=full, evidence=probes, now=at(days=12)).state == "in_progress"
    done = judge(migration, "retention", rollout=full, evidence=probes, now=at(days=31))
    assert done.state == "done" and done.done_at == at(days=30)
    sick = (
        *probes,
        EvidenceRow(kind="retention_probe", ts=at(days=20), source="probe", ok=False, workload="extraction"),
    )
    failing = judge(migration, "retention", rollout=full, evidence=sick, now=at(days=31))
    assert failing.state == "in_progress" and "1 failed" in failing.figures[1]


# ---- scenario adjustments -------------------------------------------------------------------------


def test_cross_vendor_scenario_needs_a_longer_shadow_and_tool_use_evals(migration: Migration) -> None:
    spans = for_all(lambda w: ShadowSpan(100, 100, at(), at(days=15)))
    assert judge(migration, "shadow", shadow=spans).state == "done"
    longer = judge(migration, "shadow", shadow=spans, preset="gpt-5-to-sonnet")
    assert longer.state == "in_progress" and "15 of 21 days" in longer.summary

    nightly = for_all(lambda w: tuple(run(w, at(days=d)) for d in range(7)))
    passing = for_all(lambda w: NightlyGates("r", "PASS", "pass_rate PASS"))
    partial = judge(migration, "nightly-scoring", eval_runs=nightly, preset="gpt-5-to-sonnet", nightly_gates=passing)
    assert partial.state == "in_progress" and "still needed: tool-use eval run for every workload" in partial.summary
    assert (partial.checks[0].label, partial.checks[0].met) == ("tool-use eval run for every workload", False)
    suites = for_all(
        lambda w: (
            *nightly[w],
            run(w, at(days=8), nightly=False, suite="tool_use"),
            run(w, at(days=8), nightly=False, scorers=[{"scorer": "structured_output"}, "refusals"]),
        )
    )
    done = judge(migration, "nightly-scoring", eval_runs=suites, preset="gpt-5-to-sonnet", nightly_gates=passing)
    assert done.state == "done" and all(c.met for c in done.checks)


def test_routing_scenario_adds_a_calibrated_confidence_gate(migration: Migration) -> None:
    baselines = for_all(baseline)
    gate = judge(migration, "quality-gate", baselines=baselines, preset="sonnet-to-haiku-routing")
    assert gate.state == "in_progress"
    assert gate.checks[0].label == "calibrated confidence gate: routing-calibration eval run for every workload"
    calibrated = for_all(lambda w: (run(w, at(), nightly=False, suite="routing_calibration"),))
    done = judge(migration, "quality-gate", baselines=baselines, eval_runs=calibrated, preset="sonnet-to-haiku-routing")
    assert done.state == "done"


@pytest.mark.parametrize("key", ["baseline", "shadow", "nightly-scoring", "diff-review", "canary", "promote"])
def test_nothing_stored_means_not_started(migration: Migration, key: str) -> None:
    ev = judge(migration, key)
    assert ev.state == "not_started" and ev.progress == 0 and ev.done_at is None


def test_a_workload_kept_on_the_old_model_leaves_the_cutover(migration: Migration) -> None:
    # extraction's canary was rolled back by a trigger; a person then kept it on the old model
    decided = RolloutEventRow(
        workload="extraction",
        ts=at(hours=30),
        actor="dana",
        action="clear_rollback",
        reason="new model worse at extraction; staying on the old one",
        to_state={"stage": "rolled_back", "share": 0.0, "rollback": False},
    )
    rolled = (
        event("extraction", at(), "set_stage", "split", 1),
        event("extraction", at(hours=20), "rollback", "split", 1, rollback=True),
        decided,
    )
    history = {**for_all(promotion), "extraction": rolled}
    probes = tuple(EvidenceRow(kind="retention_probe", ts=at(days=4 + d), source="probe") for d in range(31))
    for key in ("canary", "promote", "retention"):
        found = judge(migration, key, rollout=history, evidence=probes, now=at(days=40))
        assert found.state == "done", (key, found.summary)
        assert found.summary.endswith("; kept on the old model: extraction"), found.summary
        assert found.figures[-1] == (
            "extraction: kept on the old model by dana at 2025-03-02 18:00 UTC "
            "(new model worse at extraction; staying on the old one)"
        )
    # the rollback flag alone does not take a workload out: a person may still undo it
    flagged = {**history, "extraction": rolled[:2]}
    assert judge(migration, "promote", rollout=flagged, now=at(days=40)).state == "in_progress"
    # leaving the stage (a new canary) brings it back into the cutover
    again = {**history, "extraction": (*rolled, event("extraction", at(days=2), "set_stage", "split", 1))}
    assert judge(migration, "promote", rollout=again, now=at(days=40)).state == "in_progress"
    # every workload kept: nothing moved, nothing is done
    none_moved = for_all(lambda w: (decided,))
    assert judge(migration, "canary", rollout=none_moved).state == "not_started"


def test_retention_needs_probes_through_the_window_not_one_at_the_start(migration: Migration) -> None:
    full = for_all(lambda w: (event(w, at(), "set_stage", "full", 100),))
    early = tuple(EvidenceRow(kind="retention_probe", ts=at(days=d), source="probe") for d in range(5))
    stopped = judge(migration, "retention", rollout=full, evidence=early, now=at(days=40))
    assert stopped.state == "in_progress"
    assert "probes stopped before the window ended" in stopped.figures[0]
