"""The plan against a real SQLite store: evidence ticks items without a click, ticks by hand are kept."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from modelswap.config import Migration
from modelswap.plan import history as tick_history
from modelswap.plan import load_checklist, tick, untick
from modelswap.rollout import flag
from modelswap.store import (
    BaselineRow,
    EvalResultRow,
    EvalRunRow,
    EvidenceRow,
    RequestRow,
    ReviewVerdictRow,
    ShadowPairRow,
    Store,
    open_store,
    record_evidence,
)
from modelswap.store import schema as t

from .conftest import WORKLOADS, at


def add_baselines(store: Store, workloads: tuple[str, ...] = WORKLOADS) -> None:
    for w in workloads:
        store.baselines.add(
            BaselineRow(workload=w, created_at=at(), figures={"pass_rate": 0.9, "p95_latency_ms": 900}, source="e1")
        )


def test_storing_a_baseline_for_every_workload_ticks_it_and_removing_one_unticks_it(
    store: Store, migration: Migration
) -> None:
    assert load_checklist(store, migration, now=at(1)).item("baseline").state == "not_started"
    add_baselines(store, WORKLOADS[:2])
    assert load_checklist(store, migration, now=at(1)).item("baseline").state == "in_progress"
    add_baselines(store, WORKLOADS[2:])
    done = load_checklist(store, migration, now=at(1)).item("baseline")
    assert done.done and done.done_by == "evidence" and done.done_at == at()
    assert done.by == "evidence: baselines in the store"
    assert "extraction: pass rate 90.0 %, p95 900 ms (from e1, 2025-03-01 12:00 UTC)" in done.evidence.figures

    with store.engine.begin() as conn:
        conn.execute(sa.delete(t.baselines).where(t.baselines.c.workload == "extraction"))
    gone = load_checklist(store, migration, now=at(1)).item("baseline")
    assert not gone.done and gone.state == "in_progress" and "missing: extraction" in gone.summary


def test_a_tick_by_hand_keeps_who_when_and_why_across_reopening(store: Store, migration: Migration) -> None:
    row = tick(store, "red-team", by="alice", note="run by the security team, report SEC-12", now=at(2))
    assert row.id is not None and row.item_key == "red-team"
    store.close()
    with open_store(migration.store) as again:
        status = load_checklist(again, migration, now=at(3)).item(8)
    assert status.done and status.done_by == "alice" and status.done_at == at(2)
    assert status.summary == "ticked by hand by alice on 2025-03-01 14:00 UTC: run by the security team, report SEC-12"
    assert status.evidence.state == "manual"


def test_unticking_is_recorded_and_reopens_older_evidence(store: Store, migration: Migration) -> None:
    add_baselines(store)
    tick(store, 1, by="alice", now=at(1))
    untick(store, "inventory", by="bob", note="volumes were last quarter's", now=at(2))
    untick(store, "baseline", by="bob", note="golden set changed — redo", now=at(3))
    plan = load_checklist(store, migration, now=at(4))
    assert [(h.item_key, h.state, h.actor) for h in plan.history] == [
        ("inventory", "ticked", "alice"),
        ("inventory", "unticked", "bob"),
        ("baseline", "unticked", "bob"),
    ]
    assert plan.item("inventory").state == "manual"
    reopened = plan.item("baseline")
    assert reopened.state == "in_progress" and reopened.summary.startswith(
        "unticked by hand by bob on 2025-03-01 15:00 UTC: golden set changed — redo; the evidence says:"
    )
    # a new baseline after the untick is newer evidence: done again without a click
    store.baselines.add(BaselineRow(workload="extraction", created_at=at(5), figures={"pass_rate": 0.91}, source="e2"))
    assert load_checklist(store, migration, now=at(6)).item("baseline").done
    assert [h.state for h in tick_history(store, "baseline")] == ["unticked"]


def test_records_in_the_store_drive_the_shadow_eval_and_cutover_items(store: Store, migration: Migration) -> None:
    requests, pairs = [], []
    for w in WORKLOADS:
        for day in (0, 15):
            r = RequestRow(ts=at(days=day), workload=w, arm="old", endpoint="old", model="m", status=200, latency_ms=9)
            requests.append(r)
            pairs.append(ShadowPairRow(request_id=r.id, ts=r.ts, arm="new", model="n", status=200))
    store.insert_records(requests, pairs)
    for night in range(7):
        for w in WORKLOADS:
            run = EvalRunRow(
                started_at=at(days=night),
                workload=w,
                golden_set_path="g",
                golden_set_sha256="0",
                endpoints=["old", "new"],
                spec={},
                nightly=True,
            )
            store.evals.start(run)
            store.evals.add_results(
                [
                    EvalResultRow(run_id=run.id, case_id=str(c), arm=arm, scorer="exact", passed=c < ok)
                    for arm, ok in (("old", 9), ("new", 8))
                    for c in range(10)
                ]
            )
            store.evals.finish(run.id, status="finished", finished_at=at(days=night, hours=1))
    ids = [p.shadow.id for w in WORKLOADS for p in store.requests.shadow_pairs(w)]
    store.review.add_verdicts([ReviewVerdictRow(pair_id=i, reviewer="ana", verdict="tie", ts=at(days=16)) for i in ids])
    flag.rollback(store, WORKLOADS, "ops", "drill")
    flag.undo_rollback(store, WORKLOADS, "ops")
    drill = {"summary": "2 replicas in 0.21 s and back in 0.19 s", "met": True}
    record_evidence(
        store, EvidenceRow(kind="rollback_drill", ts=at(days=15), source="modelswap rollout drill", figures=drill)
    )
    record_evidence(store, EvidenceRow(kind="inventory", ts=at(), source="modelswap inventory", figures={"rps": 4}))

    plan = load_checklist(store, migration, now=at(days=20))
    states = {s.item.key: s.state for s in plan.items}
    assert states["shadow"] == "done" and states["inventory"] == "done" and states["rollback-drill"] == "done"
    assert states["diff-review"] == "in_progress"  # verdicts, but no review set
    nightly = plan.item("nightly-scoring").evidence
    assert "new pass rate 80.0 % [49.0, 94.3] vs old 90.0 % [59.6, 98.2]" in nightly.figures[0]
    assert plan.item("shadow").done_at == at(days=14)
    # seven nights, but 10 cases a night cannot show the new model within 2 points: not done
    assert states["nightly-scoring"] == "in_progress"
    assert "but the gates do not pass: ticket-triage INCONCLUSIVE" in nightly.summary
    assert "gates INCONCLUSIVE: pass_rate INCONCLUSIVE (" in nightly.figures[0]

    for w in WORKLOADS:  # an eighth night on 2,000 cases, both models alike: the gates PASS
        run = EvalRunRow(started_at=at(days=7), workload=w, golden_set_path="g", golden_set_sha256="0",
                         endpoints=["old", "new"], spec={}, nightly=True)  # fmt: skip
        store.evals.start(run)
        store.evals.add_results(
            [
                EvalResultRow(
                    run_id=run.id,
                    case_id=str(c),
                    arm=arm,
                    scorer="exact",
                    passed=c % 10 != 0,
                    latency_ms=100.0 + c % 97,
                )
                for arm in ("old", "new")
                for c in range(2000)
            ]
        )
        store.evals.finish(run.id, status="finished", finished_at=at(days=7, hours=1))
    nightly = load_checklist(store, migration, now=at(days=20)).item("nightly-scoring").evidence
    assert nightly.state == "done" and "gates PASS on the latest" in nightly.summary, nightly.summary


def test_the_plan_reads_rollout_events_written_by_the_flag(store: Store, migration: Migration) -> None:
    for w in WORKLOADS:
        flag.set_stage(store, w, "split", 1, "ops")
    canary = load_checklist(store, migration, now=at(days=10_000)).item("canary")
    assert canary.state == "done"
    soon = load_checklist(store, migration, now=canary.evidence.done_at - timedelta(hours=1))  # type: ignore[operator]
    assert soon.item("canary").state == "in_progress"
