"""Aggregate reads the plan uses, on SQLite and PostgreSQL: spans, pass counts, verdicts, red-team, history."""

from __future__ import annotations

from modelswap.store import (
    EvalResultRow,
    EvalRunRow,
    RedteamResultRow,
    RequestRow,
    ReviewVerdictRow,
    RolloutEventRow,
    ShadowPairRow,
    Store,
)
from modelswap.store.summaries import (
    ArmPassCount,
    RedteamTally,
    ShadowSpan,
    VerdictTally,
    eval_runs,
    first_verdict_times,
    pass_counts,
    redteam_tallies,
    rollout_history,
    shadow_spans,
    verdict_tallies,
)

from .conftest import at


def _request(workload: str, seconds: float, arm: str = "old") -> RequestRow:
    return RequestRow(ts=at(seconds), workload=workload, arm=arm, endpoint=arm, model="m", status=200, latency_ms=1.0)


def test_shadow_spans_count_old_served_new_mirrored_pairs(store: Store) -> None:
    reqs = [_request("a", 0), _request("a", 86_400), _request("a", 50, arm="new"), _request("b", 10)]
    pairs = [
        ShadowPairRow(request_id=reqs[0].id, ts=at(0), arm="new", model="n", status=200),
        ShadowPairRow(request_id=reqs[1].id, ts=at(1), arm="new", model="n", status=None, error_kind="timeout"),
        ShadowPairRow(request_id=reqs[2].id, ts=at(2), arm="old", model="o", status=200),  # at full: not shadow mode
    ]
    store.insert_records(reqs, pairs)
    spans = shadow_spans(store, ["a", "b"])
    assert spans == {"a": ShadowSpan(2, 1, at(0), at(86_400)), "b": ShadowSpan(0, 0, None, None)}
    assert spans["a"].days == 1.0


def test_pass_counts_need_every_scorer_to_pass_a_case(store: Store) -> None:
    run = EvalRunRow(
        started_at=at(0), workload="a", golden_set_path="g", golden_set_sha256="0", endpoints=["old", "new"], spec={}
    )
    store.evals.start(run)
    rows = [
        EvalResultRow(run_id=run.id, case_id="1", arm="new", scorer="exact", passed=True),
        EvalResultRow(run_id=run.id, case_id="1", arm="new", scorer="json", passed=False),
        EvalResultRow(run_id=run.id, case_id="2", arm="new", scorer="exact", passed=True),
        EvalResultRow(run_id=run.id, case_id="3", arm="new", scorer="exact", passed=None, error="timeout"),
        EvalResultRow(run_id=run.id, case_id="1", arm="old", scorer="exact", passed=True),
    ]
    store.evals.add_results(rows)
    assert pass_counts(store, run.id) == {"new": ArmPassCount(1, 2), "old": ArmPassCount(1, 1)}
    assert [r.id for r in eval_runs(store, "a", nightly=False)] == [run.id] and eval_runs(store, nightly=True) == []


def test_verdict_tallies_and_first_verdicts(store: Store) -> None:
    reqs = [_request("a", i) for i in range(3)]
    store.insert_records(reqs, [ShadowPairRow(request_id=r.id, ts=r.ts, arm="new", model="n") for r in reqs])
    ids = [p.shadow.id for p in store.requests.shadow_pairs("a")]
    assert all(i is not None for i in ids)
    verdicts = [
        ReviewVerdictRow(pair_id=ids[0], reviewer="ana", verdict="win", ts=at(100)),  # type: ignore[arg-type]
        ReviewVerdictRow(pair_id=ids[0], reviewer="bo", verdict="tie", ts=at(50)),  # type: ignore[arg-type]
        ReviewVerdictRow(pair_id=ids[1], reviewer="ana", verdict="loss", ts=at(200)),  # type: ignore[arg-type]
    ]
    store.review.add_verdicts(verdicts)
    assert verdict_tallies(store, ["a", "b"]) == {
        "a": VerdictTally(1, 1, 1, 2, 2, at(200)),
        "b": VerdictTally(0, 0, 0, 0, 0, None),
    }
    assert first_verdict_times(store, ["a"]) == [at(50), at(200)]


def test_redteam_tallies_and_full_rollout_history(store: Store) -> None:
    store.review.add_redteam_results(
        [
            RedteamResultRow(run_id="r1", ts=at(1), probe_id="p1", arm="new", attack_succeeded=True, workload="a"),
            RedteamResultRow(run_id="r2", ts=at(2), probe_id="p1", arm="new", attack_succeeded=False, workload="a"),
            RedteamResultRow(run_id="r1", ts=at(3), probe_id="p2", arm="old", attack_succeeded=False),
        ]
    )
    assert redteam_tallies(store) == {
        ("a", "new"): RedteamTally(1, 2, 2, at(2)),
        (None, "old"): RedteamTally(0, 1, 1, at(3)),
    }
    for i in range(150):  # more than the audit API's default page
        store.rollout.append_event(RolloutEventRow(workload="a", ts=at(i), actor="x", action=f"a{i}"))
    history = rollout_history(store, ["a", "b"])
    assert [e.action for e in history["a"]][:2] == ["a0", "a1"] and len(history["a"]) == 150 and history["b"] == []
