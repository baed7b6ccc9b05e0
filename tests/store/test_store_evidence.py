"""Schema v3: the ``evidence`` table, and the upgrade from v2 that adds it without touching the rest."""

from __future__ import annotations

import sqlalchemy as sa

from modelswap.store import SCHEMA_VERSION, EvidenceRow, PlanTickRow, Store, open_store, read_evidence, record_evidence

from .conftest import T0, at, rewind
from .test_store_migrations import describe


def test_evidence_is_appended_and_read_back_by_kind_and_workload(store: Store) -> None:
    first = record_evidence(
        store,
        EvidenceRow(kind="inventory", ts=at(10), source="modelswap inventory", figures={"requests": 41_000, "é": "✓"}),
    )
    second = record_evidence(
        store, EvidenceRow(kind="retention_probe", ts=at(5), source="probe", ok=False, workload="extraction")
    )
    assert second > first
    rows = read_evidence(store)
    assert [(r.kind, r.ts, r.ok, r.workload) for r in rows] == [
        ("retention_probe", at(5), False, "extraction"),
        ("inventory", at(10), True, None),
    ]
    assert rows[1].figures == {"requests": 41_000, "é": "✓"} and rows[1].id == first
    assert [r.id for r in read_evidence(store, "retention_probe", workload="extraction")] == [second]
    assert read_evidence(store, "inventory", workload="extraction") == []


def write_v3_database(url: str, *, version: int = 3) -> None:
    """A v3 database: a v4 one (``rewind``) less what v4 added (``requests.error``, secrets, sessions)."""
    rewind(url, 4)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE store_secrets")
            conn.exec_driver_sql("DROP TABLE console_sessions")
            conn.exec_driver_sql("ALTER TABLE requests DROP COLUMN error")
            conn.execute(sa.text("UPDATE schema_meta SET version = :v"), {"v": version})
    finally:
        engine.dispose()


def write_v2_database(url: str) -> None:
    """A v2 database with some rows: a v3 one less the evidence table, stamped v2."""
    write_v3_database(url, version=2)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE evidence")
            conn.execute(
                sa.text(
                    "INSERT INTO plan_ticks (item_key, state, actor, ts) VALUES ('baseline', 'ticked', 'ana', :ts)"
                ),
                {"ts": T0.replace(tzinfo=None) if url.startswith("sqlite") else T0},
            )
    finally:
        engine.dispose()


def test_upgrade_from_v2_adds_evidence_and_keeps_every_row(store_url: str, other_url: str) -> None:
    write_v2_database(store_url)
    with open_store(store_url) as store:
        assert store.schema_status.upgraded_from == 2 and store.schema_status.version == SCHEMA_VERSION
        (kept,) = store.plan.ticks().history
        assert (kept.item_key, kept.actor, kept.ts) == ("baseline", "ana", T0)
        store.plan.add_tick(PlanTickRow(item_key="baseline", state="unticked", actor="bo", ts=at(1)))
        record_evidence(store, EvidenceRow(kind="rollback_drill", ts=at(2), source="drill"))
        assert [r.kind for r in read_evidence(store)] == ["rollback_drill"]
    open_store(other_url).close()
    assert describe(store_url) == describe(other_url)


def test_upgrade_from_v3_adds_error_text_secrets_and_sessions(store_url: str, other_url: str) -> None:
    write_v3_database(store_url)
    with open_store(store_url) as store:
        assert store.schema_status.upgraded_from == 3 and store.schema_status.version == SCHEMA_VERSION
    open_store(other_url).close()
    assert describe(store_url) == describe(other_url)


def test_upgrade_from_v5_flags_every_kept_request_as_counted(store_url: str, other_url: str) -> None:
    rewind(store_url, 5)
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO requests (id, ts, workload, arm, endpoint, model, stream, status, latency_ms,"
                    " fallback) VALUES ('r1', :ts, 'w', 'old', 'old', 'm', false, 200, 1.5, false)"
                ),
                {"ts": T0.replace(tzinfo=None) if store_url.startswith("sqlite") else T0},
            )
    finally:
        engine.dispose()
    with open_store(store_url) as store:
        assert store.schema_status.upgraded_from == 5
        (row,) = store.requests.recent("w")
        assert row.id == "r1" and row.tokens_estimated is False

    open_store(other_url).close()
    assert describe(store_url) == describe(other_url)


def test_upgrade_from_v6_adds_feedback(store_url: str, other_url: str) -> None:
    rewind(store_url, 6)
    with open_store(store_url) as store:
        assert store.schema_status.upgraded_from == 6 and store.schema_status.version == SCHEMA_VERSION
    open_store(other_url).close()
    assert describe(store_url) == describe(other_url)


def test_upgrade_from_v10_adds_reasoning_tokens_and_keeps_the_requests(store_url: str, other_url: str) -> None:
    rewind(store_url, 10)
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO requests (id, ts, workload, arm, endpoint, model, stream, status, latency_ms, "
                    "fallback, tokens_estimated, completion_tokens) VALUES ('r1', :ts, 'w', 'old', 'old', 'm', "
                    ":no, 200, 12.5, :no, :no, 40)"
                ),
                {"ts": T0.replace(tzinfo=None) if store_url.startswith("sqlite") else T0, "no": False},
            )
    finally:
        engine.dispose()
    with open_store(store_url) as store:
        assert store.schema_status.upgraded_from == 10 and store.schema_status.version == SCHEMA_VERSION
        (row,) = store.requests.recent("w", limit=10)
        assert (row.id, row.completion_tokens, row.reasoning_tokens) == ("r1", 40, None)
    open_store(other_url).close()
    assert describe(store_url) == describe(other_url)


def test_upgrade_from_v7_adds_review_sets_and_verdict_columns(store_url: str, other_url: str) -> None:
    rewind(store_url, 7)
    with open_store(store_url) as store:
        assert store.schema_status.upgraded_from == 7 and store.schema_status.version == SCHEMA_VERSION
    open_store(other_url).close()
    assert describe(store_url) == describe(other_url)


def test_upgrade_from_v9_adds_the_cascade_outcome_and_keeps_requests(store_url: str, other_url: str) -> None:
    rewind(store_url, 9)
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO requests (id, ts, workload, arm, endpoint, model, stream, status, latency_ms,"
                    " fallback, cost_usd) VALUES ('r1', :ts, 'w', 'new', 'new', 'm', false, 200, 1.5, false, 0.25)"
                ),
                {"ts": T0.replace(tzinfo=None) if store_url.startswith("sqlite") else T0},
            )
    finally:
        engine.dispose()
    with open_store(store_url) as store:
        assert store.schema_status.upgraded_from == 9 and store.schema_status.version == SCHEMA_VERSION
        (row,) = store.requests.recent("w")
        assert (row.id, row.cost_usd) == ("r1", 0.25)
        assert (row.escalated, row.escalation, row.cheap_cost_usd) == (None, None, None), "served before any cascade"
    open_store(other_url).close()
    assert describe(store_url) == describe(other_url)


def test_upgrade_from_v11_adds_routing_calibrations(store_url: str, other_url: str) -> None:
    rewind(store_url, 11)
    with open_store(store_url) as store:
        assert store.schema_status.upgraded_from == 11 and store.schema_status.version == SCHEMA_VERSION
        assert store.routing.calibrations() == []
    open_store(other_url).close()
    assert describe(store_url) == describe(other_url)
