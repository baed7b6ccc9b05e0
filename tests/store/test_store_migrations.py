"""Schema versions: upgrades keep every row, newer databases are refused, replicas migrate once."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from modelswap.store import (
    SCHEMA_VERSION,
    MigrationError,
    NotAStoreError,
    PlanTickRow,
    RequestRow,
    RolloutChange,
    SchemaTooNewError,
    ShadowPairRow,
    open_store,
)
from modelswap.store.migrations import MIGRATIONS
from modelswap.store.schema import NAMING_CONVENTION
from modelswap.store.types import FreeText, UTCDateTime, json_column

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


# ---- the v1 schema, frozen as the first modelswap release wrote it ---------------------------


def v1_metadata() -> sa.MetaData:
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    sa.Table(
        "schema_meta",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("modelswap_version", sa.String, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("id = 1", name="single_row"),
    )
    sa.Table(
        "requests",
        md,
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("ts", UTCDateTime, nullable=False),
        sa.Column("workload", sa.String, nullable=False),
        sa.Column("arm", sa.String, nullable=False),
        sa.Column("endpoint", sa.String, nullable=False),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("stream", sa.Boolean, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("error_kind", sa.String),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("ttft_ms", sa.Float),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("completion_tokens", sa.Integer),
        sa.Column("cached_tokens", sa.Integer),
        sa.Column("cost_usd", sa.Float),
        sa.Column("request_body", json_column()),
        sa.Column("response_body", json_column()),
        sa.Column("sticky_key_hash", sa.String),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("replica_id", sa.String),
        sa.Index(None, "workload", "ts"),
    )
    sa.Table(
        "shadow_pairs",
        md,
        sa.Column("id", serial, primary_key=True),
        sa.Column("request_id", sa.String, sa.ForeignKey("requests.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ts", UTCDateTime, nullable=False),
        sa.Column("arm", sa.String, nullable=False),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("error_kind", sa.String),
        sa.Column("error", FreeText),
        sa.Column("latency_ms", sa.Float),
        sa.Column("ttft_ms", sa.Float),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("completion_tokens", sa.Integer),
        sa.Column("cached_tokens", sa.Integer),
        sa.Column("cost_usd", sa.Float),
        sa.Column("response_body", json_column()),
        sa.UniqueConstraint("request_id", "arm"),
    )
    sa.Table(
        "eval_runs",
        md,
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("workload", sa.String, nullable=False),
        sa.Column("golden_set_path", sa.String, nullable=False),
        sa.Column("golden_set_sha256", sa.String, nullable=False),
        sa.Column("endpoints", json_column(), nullable=False),
        sa.Column("spec", json_column(), nullable=False),
        sa.Column("nightly", sa.Boolean, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Index(None, "workload", "started_at"),
    )
    sa.Table(
        "eval_results",
        md,
        sa.Column("id", serial, primary_key=True),
        sa.Column("run_id", sa.String, sa.ForeignKey("eval_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("case_id", sa.String, nullable=False),
        sa.Column("arm", sa.String, nullable=False),
        sa.Column("model", sa.String),
        sa.Column("scorer", sa.String, nullable=False),
        sa.Column("scorer_spec", json_column()),
        sa.Column("output", json_column()),
        sa.Column("passed", sa.Boolean),
        sa.Column("score", sa.Float),
        sa.Column("latency_ms", sa.Float),
        sa.Column("cost_usd", sa.Float),
        sa.Column("error", FreeText),
        sa.UniqueConstraint("run_id", "case_id", "arm", "scorer"),
    )
    sa.Table(
        "response_cache",
        md,
        sa.Column("key_hash", sa.String, primary_key=True),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("response", json_column(), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    sa.Table(
        "baselines",
        md,
        sa.Column("id", serial, primary_key=True),
        sa.Column("workload", sa.String, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("figures", json_column(), nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Index(None, "workload", "created_at"),
    )
    sa.Table(
        "plan_ticks",
        md,
        sa.Column("id", serial, primary_key=True),
        sa.Column("item_key", sa.String, nullable=False),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("ts", UTCDateTime, nullable=False),
        sa.Column("note", FreeText),
        sa.Column("evidence", json_column()),
        sa.CheckConstraint("state IN ('ticked', 'unticked')", name="state"),
        sa.Index(None, "item_key", "id"),
    )
    sa.Table(
        "rollout_state",
        md,
        sa.Column("workload", sa.String, primary_key=True),
        sa.Column("stage", sa.String, nullable=False),
        sa.Column("share", sa.Float, nullable=False),
        sa.Column("rollback", sa.Boolean, nullable=False),
        sa.Column("previous", json_column()),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String),
        sa.CheckConstraint("share >= 0 AND share <= 1", name="share"),
    )
    sa.Table(
        "rollout_events",
        md,
        sa.Column("id", serial, primary_key=True),
        sa.Column("workload", sa.String, nullable=False),
        sa.Column("ts", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("reason", FreeText),
        sa.Column("from_state", json_column()),
        sa.Column("to_state", json_column()),
        sa.Index(None, "workload", "id"),
    )
    return md


V1_REQUESTS = [
    RequestRow(
        ts=T0 + timedelta(seconds=i),
        workload="support-chat",
        arm="old",
        endpoint="old",
        model="gpt-4o",
        status=200 if i else 500,
        error_kind=None if i else "server",
        latency_ms=100.0 + i,
        prompt_tokens=10 * i,
        cost_usd=0.001 * i,
        request_body={"messages": [{"role": "user", "content": f"Grüß Gott #{i} — 你好"}]},
        response_body={"choices": [{"message": {"content": "✓"}}]} if i else None,
        fallback=i == 2,
    )
    for i in range(5)
]


def write_v1_database(url: str, *, version: int = 1) -> None:
    """Build a v1 database with a little of everything in it, as modelswap v1 would have."""
    md = v1_metadata()
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            md.create_all(conn)
            tables = md.tables
            conn.execute(
                tables["schema_meta"].insert(),
                [{"id": 1, "version": version, "modelswap_version": "0.0.9", "updated_at": T0}],
            )
            conn.execute(tables["requests"].insert(), [as_dict(r) for r in V1_REQUESTS])
            conn.execute(
                tables["shadow_pairs"].insert(),
                [
                    {
                        "request_id": V1_REQUESTS[1].id,
                        "ts": T0,
                        "arm": "new",
                        "model": "claude",
                        "status": 200,
                        "response_body": {"content": "ça marche"},
                    }
                ],
            )
            conn.execute(
                tables["plan_ticks"].insert(),
                [
                    {"item_key": "inventory", "state": "ticked", "actor": "ana", "ts": T0, "note": "fait ✓"},
                    {"item_key": "inventory", "state": "unticked", "actor": "bo", "ts": T0, "note": None},
                ],
            )
            conn.execute(
                tables["rollout_state"].insert(),
                [
                    rollout_v1_row("ticket-triage", "shadow", 0.0, T0 + timedelta(hours=2)),
                    rollout_v1_row("support-chat", "canary", 0.01, T0 + timedelta(hours=1)),
                ],
            )
            conn.execute(
                tables["rollout_events"].insert(),
                [{"workload": "support-chat", "ts": T0, "actor": "ana", "action": "start_canary"}],
            )
    finally:
        engine.dispose()


def rollout_v1_row(workload: str, stage: str, share: float, updated_at: datetime) -> dict[str, Any]:
    return {
        "workload": workload,
        "stage": stage,
        "share": share,
        "rollback": False,
        "previous": {"stage": "planned"},
        "version": 3,
        "updated_at": updated_at,
        "updated_by": "controller",
    }


def as_dict(row: RequestRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}


def describe(url: str) -> dict[str, Any]:
    """Everything reflection can see of a schema, for comparing two databases."""
    engine = sa.create_engine(url)
    try:
        insp = sa.inspect(engine)
        out: dict[str, Any] = {}
        for name in sorted(insp.get_table_names()):
            out[name] = {
                "columns": [
                    (c["name"], repr(c["type"]), c["nullable"], c.get("default")) for c in insp.get_columns(name)
                ],
                "pk": insp.get_pk_constraint(name)["constrained_columns"],
                "fks": sorted(
                    (
                        tuple(f["constrained_columns"]),
                        f["referred_table"],
                        tuple(f["referred_columns"]),
                        repr(f["options"]),
                    )
                    for f in insp.get_foreign_keys(name)
                ),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(name)
                ),
                "uniques": sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(name)),
                "checks": sorted((c["name"], " ".join(c["sqltext"].split())) for c in insp.get_check_constraints(name)),
            }
        return out
    finally:
        engine.dispose()


def sqlite_file(url: str) -> Path | None:
    parsed = sa.make_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


# ---- tests -------------------------------------------------------------------------------------


def test_upgrade_from_v1_keeps_every_row(store_url: str) -> None:
    write_v1_database(store_url)
    with open_store(store_url) as store:
        assert store.schema_status.upgraded_from == 1
        assert store.schema_status.version == SCHEMA_VERSION
        assert store.requests.recent("support-chat") == sorted(V1_REQUESTS, key=lambda r: r.ts, reverse=True)
        (pair,) = store.requests.shadow_pairs("support-chat")
        assert pair.request == V1_REQUESTS[1] and pair.shadow.response_body == {"content": "ça marche"}
        plan = store.plan.ticks()
        assert [t.note for t in plan.history] == ["fait ✓", None]
        assert plan.latest["inventory"].state == "unticked"
        (event,) = store.rollout_events("support-chat")
        assert event.action == "start_canary"
        # change_seq was backfilled in the order states were last updated
        states = store.rollout_states_since(0)
        assert [(s.workload, s.change_seq, s.version) for s in states] == [
            ("support-chat", 1, 3),
            ("ticket-triage", 2, 3),
        ]
        assert states[0].previous == {"stage": "planned"}
        # and the upgraded database works as a fresh one does
        assert store.set_rollout_state("support-chat", RolloutChange(stage="promoting", share=0.1), 3)
        assert store.rollout_change_seq() == 3
        store.plan.add_tick(PlanTickRow(item_key="inventory", state="ticked", actor="cy", ts=T0))
        store.requests.insert((), [ShadowPairRow(request_id=V1_REQUESTS[2].id, ts=T0, arm="new", model="m")])
    with open_store(store_url) as again:
        assert again.schema_status.upgraded_from is None and not again.schema_status.created


def test_upgrade_from_v1_takes_a_backup_of_a_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "modelswap.db"
    url = f"sqlite:///{db}"
    write_v1_database(url)
    with open_store(url) as store:
        assert store.schema_status.backup_path == tmp_path / "modelswap.db.bak-v1"
    backup = sqlite3.connect(tmp_path / "modelswap.db.bak-v1")
    try:
        assert backup.execute("SELECT version FROM schema_meta").fetchone() == (1,)
        assert backup.execute("SELECT count(*) FROM requests").fetchone() == (len(V1_REQUESTS),)
        assert backup.execute("SELECT count(*) FROM rollout_state").fetchone() == (2,)
    finally:
        backup.close()


def test_upgraded_schema_matches_a_fresh_one(store_url: str, other_url: str) -> None:
    write_v1_database(store_url)
    open_store(store_url).close()
    open_store(other_url).close()
    assert describe(store_url) == describe(other_url)


def test_failed_step_leaves_v1_intact(store_url: str, raw_engine: sa.Engine) -> None:
    write_v1_database(store_url)
    with raw_engine.begin() as conn:  # a table in the way makes the v1→v2 step fail halfway
        conn.exec_driver_sql("CREATE TABLE redteam_results (id INTEGER)")
    with pytest.raises(MigrationError, match=r"(?s)v1 to v2.*stays at v1"):
        open_store(store_url)
    insp = sa.inspect(raw_engine)
    assert "change_seq" not in {c["name"] for c in insp.get_columns("rollout_state")}
    assert "change_counter" not in insp.get_table_names()  # the step's DDL rolled back too
    with raw_engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT version FROM schema_meta")) == 1
        assert conn.scalar(sa.text("SELECT count(*) FROM requests")) == len(V1_REQUESTS)


def test_newer_database_is_refused_and_left_alone(store_url: str, raw_engine: sa.Engine) -> None:
    open_store(store_url).close()
    with raw_engine.begin() as conn:
        conn.execute(sa.text("UPDATE schema_meta SET version = :v"), {"v": SCHEMA_VERSION + 1})
    with pytest.raises(SchemaTooNewError, match=f"v{SCHEMA_VERSION + 1}.*newer modelswap") as caught:
        open_store(store_url)
    assert caught.value.found == SCHEMA_VERSION + 1 and caught.value.supported == SCHEMA_VERSION
    with raw_engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT version FROM schema_meta")) == SCHEMA_VERSION + 1
    path = sqlite_file(store_url)
    if path is not None:
        assert not list(path.parent.glob("*.bak-*"))


def test_foreign_tables_with_our_names_are_refused(store_url: str, raw_engine: sa.Engine) -> None:
    with raw_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE requests (id INTEGER)")
    with pytest.raises(NotAStoreError, match="requests"):
        open_store(store_url)


def test_replicas_starting_together_migrate_once(store_url: str) -> None:
    write_v1_database(store_url)
    n = 4
    start = threading.Barrier(n)
    statuses: list[Any] = [None] * n
    errors: list[BaseException] = []

    def replica(k: int) -> None:
        start.wait()
        try:
            with open_store(store_url) as store:
                statuses[k] = store.schema_status
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors  # a step run twice would fail (its table or column already exists)
    # Each step runs once, by whichever replica holds the lock then, so up to one replica per step
    # reports an upgrade; the one that found v1 reports upgraded_from 1.
    upgraded = sorted(s.upgraded_from for s in statuses if s.upgraded_from is not None)
    assert upgraded[0] == 1 and len(upgraded) <= len(MIGRATIONS) and len(set(upgraded)) == len(upgraded)
    assert {s.version for s in statuses} == {SCHEMA_VERSION}
    path = sqlite_file(store_url)
    if path is not None:
        backups = sorted(p.name for p in path.parent.glob("*.bak-*"))
        assert backups == [f"modelswap.db.bak-v{v}" for v in upgraded]
    with open_store(store_url) as store:
        assert [s.change_seq for s in store.rollout_states_since(0)] == [1, 2]


def test_fresh_replicas_starting_together_create_once(store_url: str) -> None:
    n = 4
    start = threading.Barrier(n)
    created: list[bool] = []
    errors: list[BaseException] = []

    def replica() -> None:
        start.wait()
        try:
            with open_store(store_url) as store:
                created.append(store.schema_status.created)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(created) == [False] * (n - 1) + [True]


def test_the_upgrade_fixtures_know_every_schema_version() -> None:
    from .conftest import ADDED_IN

    assert max(ADDED_IN) == SCHEMA_VERSION, "a new schema step needs its undo in tests/store/conftest.py ADDED_IN"
