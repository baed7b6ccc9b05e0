"""Recording requests and results: batches, JSON bodies, timestamps, integrity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from modelswap.store import (
    SCHEMA_VERSION,
    BaselineRow,
    CachedResponse,
    DuplicateRowError,
    EvalResultRow,
    EvalRunRow,
    RedteamResultRow,
    RequestRow,
    ReviewVerdictRow,
    ShadowPairRow,
    Store,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_request(i: int = 0, *, workload: str = "support-chat", **overrides: object) -> RequestRow:
    fields: dict[str, object] = {
        "ts": T0 + timedelta(milliseconds=i),
        "workload": workload,
        "arm": "old",
        "endpoint": "old",
        "model": "gpt-4o-2024-08-06",
        "status": 200,
        "latency_ms": 120.5 + i,
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "cost_usd": 0.00045,
    }
    fields.update(overrides)
    return RequestRow(**fields)  # type: ignore[arg-type]


def test_fresh_store_has_every_table_at_current_version(store: Store) -> None:
    assert store.schema_status.created
    assert store.schema_status.version == SCHEMA_VERSION
    names = set(sa.inspect(store.engine).get_table_names())
    assert {"requests", "shadow_pairs", "rollout_state", "plan_ticks", "schema_meta"} <= names


def test_ten_thousand_requests_insert_in_one_quick_batch(store: Store) -> None:
    rows = [make_request(i, replica_id="r1", sticky_key_hash=f"{i:064x}") for i in range(10_000)]
    statements: list[tuple[str, bool]] = []

    def count(conn: object, cursor: object, statement: str, params: object, context: object, many: bool) -> None:
        statements.append((statement.split(None, 1)[0].upper(), many))  # (verb, executemany)

    # Quick means batched: count the statements sent (a wall-clock limit flakes on a loaded machine).
    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        store.requests.insert(rows)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)
    inserts = [verb for verb, _ in statements if verb == "INSERT"]
    # executemany (one statement) or multi-row VALUES: either way, far fewer statements than rows
    assert 1 <= len(inserts) <= len(rows) / 50, f"{len(rows)} rows took {len(inserts)} INSERT statements"
    with store.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM requests")) == 10_000
    newest = store.requests.recent("support-chat", limit=3)
    assert newest == [rows[9_999], rows[9_998], rows[9_997]]


def test_json_bodies_round_trip_exactly_with_unicode(store: Store) -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Réponds en français. 日本語もOK. Ελληνικά. עברית"},
            {"role": "user", "content": "emoji 🤖🚀, combining é, zero-width \u200b, NUL \x00 inside"},
        ],
        "metadata": {"nested": {"list": [1, 2.5, None, True, "ß"]}, "empty": {}},
    }
    response = {"choices": [{"message": {"content": "Voilà — “quoted” ✓"}}], "usage": {"total_tokens": 7}}
    row = make_request(response_body=response, request_body=body, error_kind=None)
    store.requests.insert([row])
    (back,) = store.requests.recent("support-chat")
    assert back.request_body == body
    assert back.response_body == response
    assert back == row


def test_absent_body_is_sql_null_not_json_null(store: Store) -> None:
    store.requests.insert([make_request()])
    with store.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM requests WHERE request_body IS NULL")) == 1


def test_timestamps_come_back_as_aware_utc(store: Store) -> None:
    plus_two = timezone(timedelta(hours=2))
    store.requests.insert([make_request(ts=datetime(2025, 3, 1, 14, 0, tzinfo=plus_two))])
    (back,) = store.requests.recent("support-chat")
    assert back.ts == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert back.ts.utcoffset() == timedelta(0)


def test_naive_timestamp_is_refused_with_a_clear_message(store: Store) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        store.requests.insert([make_request(ts=datetime(2025, 3, 1, 12, 0))])


def test_a_batch_is_all_or_nothing(store: Store) -> None:
    first = make_request(0)
    store.requests.insert([first])
    with pytest.raises(sa.exc.IntegrityError):
        store.requests.insert([make_request(1), make_request(2), first])  # duplicate id
    assert len(store.requests.recent("support-chat")) == 1


def test_a_batch_of_several_statements_stores_every_row_or_none(store: Store) -> None:
    rows = [make_request(i, stream=i % 2 == 0, fallback=i % 3 == 0) for i in range(451)]  # 200 + 200 + 51
    store.requests.insert(rows)
    assert store.requests.recent("support-chat", limit=1000) == rows[::-1]
    clash = [make_request(1000 + i) for i in range(430)]
    clash[420] = rows[5]  # a duplicate id in the third statement of the batch
    with pytest.raises(sa.exc.IntegrityError):
        store.requests.insert(clash)
    assert len(store.requests.recent("support-chat", limit=1000)) == 451


def test_since_and_workload_filter_recent_requests(store: Store) -> None:
    store.requests.insert([make_request(i) for i in range(5)] + [make_request(9, workload="ticket-triage")])
    later = store.requests.recent("support-chat", since=T0 + timedelta(milliseconds=3))
    assert [r.latency_ms for r in later] == [124.5, 123.5]


def test_shadow_pairs_are_stored_with_their_requests(store: Store) -> None:
    served = make_request(0)
    shadow = ShadowPairRow(
        request_id=served.id,
        ts=T0,
        arm="new",
        model="claude-sonnet",
        status=200,
        latency_ms=300.0,
        completion_tokens=25,
        response_body={"content": "ok ✓"},
    )
    failed_request = make_request(1)
    failed = ShadowPairRow(request_id=failed_request.id, ts=T0, arm="new", model="claude-sonnet", error_kind="timeout")
    store.insert_records([served, failed_request], [shadow, failed])
    pairs = store.requests.shadow_pairs("support-chat")
    assert [p.request for p in pairs] == [failed_request, served]
    assert pairs[1].shadow.response_body == {"content": "ok ✓"}
    assert pairs[0].shadow.status is None and pairs[0].shadow.error_kind == "timeout"
    assert all(p.shadow.id is not None for p in pairs)


def test_shadow_pair_for_an_unknown_request_is_refused(store: Store) -> None:
    orphan = ShadowPairRow(request_id="no-such-request", ts=T0, arm="new", model="m")
    with pytest.raises(sa.exc.IntegrityError):
        store.requests.insert((), [orphan])


def test_eval_run_results_and_uniqueness(store: Store) -> None:
    run = EvalRunRow(
        started_at=T0,
        workload="support-chat",
        golden_set_path="golden/support.jsonl",
        golden_set_sha256="ab" * 32,
        endpoints=["old", "new"],
        spec={"scorers": [{"scorer": "regex", "pattern": "^ok"}]},
        nightly=True,
    )
    store.evals.start(run)
    results = [
        EvalResultRow(
            run_id=run.id,
            case_id=f"case-{i}",
            arm=arm,
            scorer="regex",
            scorer_spec={"scorer": "regex", "pattern": "^ok"},
            output={"text": "ok — fine"},
            passed=True,
            score=1.0,
        )
        for i in range(3)
        for arm in ("old", "new")
    ]
    store.evals.add_results(results)
    store.evals.finish(run.id, status="finished", finished_at=T0 + timedelta(minutes=5))
    stored = store.evals.run(run.id)
    assert stored is not None and stored.status == "finished" and stored.endpoints == ["old", "new"]
    back = store.evals.results(run.id)
    assert len(back) == 6 and back[0].output == {"text": "ok — fine"}
    with pytest.raises(DuplicateRowError, match="already stored"):
        store.evals.add_results([results[0]])


def test_response_cache_keeps_the_first_answer(store: Store) -> None:
    first = CachedResponse(key_hash="k1", model="m", response={"a": "①"}, created_at=T0)
    assert store.cache.put(first) is True
    assert store.cache.put(CachedResponse(key_hash="k1", model="m", response={}, created_at=T0)) is False
    assert store.cache.get("k1") == first
    assert store.cache.get("missing") is None


def test_latest_baseline_wins(store: Store) -> None:
    for day, rate in ((1, 0.91), (2, 0.93)):
        store.baselines.add(
            BaselineRow(
                workload="support-chat",
                created_at=T0 + timedelta(days=day),
                figures={"pass_rate": rate},
                source="eval",
            )
        )
    latest = store.baselines.latest("support-chat")
    assert latest is not None and latest.figures == {"pass_rate": 0.93}
    assert store.baselines.latest("other") is None


def test_review_verdicts_and_redteam_results(store: Store) -> None:
    served = make_request(0)
    store.insert_records([served], [ShadowPairRow(request_id=served.id, ts=T0, arm="new", model="m", status=200)])
    (pair,) = store.requests.shadow_pairs("support-chat")
    assert pair.shadow.id is not None
    store.review.add_verdicts(
        [ReviewVerdictRow(pair_id=pair.shadow.id, reviewer="ana", verdict="win", ts=T0, note="clearer")]
    )
    (verdict,) = store.review.verdicts("support-chat")
    assert verdict.verdict == "win" and verdict.reviewer == "ana"
    with pytest.raises(ValueError, match="win, tie or loss"):
        store.review.add_verdicts(
            [ReviewVerdictRow(pair_id=pair.shadow.id, reviewer="ana", verdict="meh", ts=T0)]  # type: ignore[arg-type]
        )
    store.review.add_redteam_results(
        [
            RedteamResultRow(run_id="rt1", ts=T0, probe_id="inject-1", arm="new", attack_succeeded=False),
            RedteamResultRow(run_id="rt1", ts=T0, probe_id="inject-1", arm="old", attack_succeeded=True),
        ]
    )
    assert [r.arm for r in store.review.redteam_results("rt1")] == ["new", "old"]
