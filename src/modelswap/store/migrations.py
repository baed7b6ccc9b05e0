"""Schema versions and the steps between them, so an upgrade never loses data.

``ensure_schema`` brings any database to ``SCHEMA_VERSION``:

* empty: create every table from ``schema.py`` and stamp the current version;
* older: run the steps ``MIGRATIONS[v - 1]`` one at a time, each in its own transaction
  together with the new version stamp, so a failure leaves the database at the last version
  that completed; a SQLite file is first copied to ``<file>.bak-v<N>``;
* newer: refuse (``SchemaTooNewError``) without touching anything.

Every step re-reads the version under a lock (a PostgreSQL transaction-level advisory lock;
SQLite's ``BEGIN IMMEDIATE`` write lock), so replicas starting at once queue, and each step
runs exactly once whoever gets there first.

Writing a step: use frozen table definitions inside the step (never the live ones in
``schema.py``, which move on); keep it to DDL and data moves both backends run inside a
transaction. SQLite cannot ``ALTER`` a constraint: such a step rebuilds the table (create
new, copy, drop, rename) and must first check that ``PRAGMA foreign_key_check`` is clean.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from modelswap import __version__
from modelswap.store.engine import SQLITE_BUSY_TIMEOUT_MS, WRITE_OPTION, sqlite_path
from modelswap.store.errors import MigrationError, NotAStoreError, SchemaTooNewError
from modelswap.store.schema import (
    MODELSWAP_TABLES,
    NAMING_CONVENTION,
    SCHEMA_VERSION,
    change_counter,
    metadata,
    schema_meta,
)
from modelswap.store.types import FreeText, UTCDateTime, json_column

log = logging.getLogger("modelswap.store")


@dataclass(frozen=True, slots=True)
class Step:
    """One upgrade from ``from_version`` to ``from_version + 1``."""

    from_version: int
    description: str
    apply: Callable[[sa.Connection], None]


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """What ``ensure_schema`` found and did."""

    version: int
    created: bool
    upgraded_from: int | None
    backup_path: Path | None


def _v1_to_v2(conn: sa.Connection) -> None:
    """v2: the rollout change feed (``change_seq`` + ``change_counter``), review verdicts, red-team."""
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    rollout = sa.Table(
        "rollout_state",
        md,
        sa.Column("workload", sa.String, primary_key=True),
        sa.Column("updated_at", UTCDateTime),
        sa.Column("change_seq", sa.BigInteger),
    )
    sa.Table("shadow_pairs", md, sa.Column("id", serial, primary_key=True))
    counter = sa.Table(
        "change_counter",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="single_row"),
    )
    verdicts = sa.Table(
        "review_verdicts",
        md,
        sa.Column("id", serial, primary_key=True),
        sa.Column("pair_id", serial, sa.ForeignKey("shadow_pairs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reviewer", sa.String, nullable=False),
        sa.Column("verdict", sa.String, nullable=False),
        sa.Column("note", FreeText),
        sa.Column("ts", UTCDateTime, nullable=False),
        sa.CheckConstraint("verdict IN ('win', 'tie', 'loss')", name="verdict"),
        sa.Index(None, "pair_id"),
    )
    redteam = sa.Table(
        "redteam_results",
        md,
        sa.Column("id", serial, primary_key=True),
        sa.Column("run_id", sa.String, nullable=False),
        sa.Column("ts", UTCDateTime, nullable=False),
        sa.Column("workload", sa.String),
        sa.Column("probe_id", sa.String, nullable=False),
        sa.Column("arm", sa.String, nullable=False),
        sa.Column("attack_succeeded", sa.Boolean, nullable=False),
        sa.Column("detail", json_column()),
        sa.Index(None, "run_id"),
    )
    conn.execute(sa.text("ALTER TABLE rollout_state ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0"))
    workloads = conn.scalars(sa.select(rollout.c.workload).order_by(rollout.c.updated_at, rollout.c.workload)).all()
    for seq, workload in enumerate(workloads, start=1):
        conn.execute(sa.update(rollout).where(rollout.c.workload == workload).values(change_seq=seq))
    sa.Index("ix_rollout_state_change_seq", rollout.c.change_seq, unique=True).create(conn)
    counter.create(conn)
    conn.execute(sa.insert(counter).values(id=1, seq=len(workloads)))
    verdicts.create(conn)
    redteam.create(conn)


def _v2_to_v3(conn: sa.Connection) -> None:
    """v3: the ``evidence`` table (inventory snapshots, rollback drills, old-model probes)."""
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    sa.Table(
        "evidence",
        md,
        sa.Column("id", serial, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("workload", sa.String),
        sa.Column("ts", UTCDateTime, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("figures", json_column()),
        sa.Index(None, "kind", "ts"),
    ).create(conn)


def _v3_to_v4(conn: sa.Connection) -> None:
    """v4: why a request failed (``requests.error``), per-store secrets, console sessions."""
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    conn.execute(sa.text("ALTER TABLE requests ADD COLUMN error TEXT"))
    sa.Table(
        "store_secrets",
        md,
        sa.Column("name", sa.String, primary_key=True),
        sa.Column("value", sa.String, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    ).create(conn)
    sa.Table(
        "console_sessions",
        md,
        sa.Column("token_hash", sa.String, primary_key=True),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.CheckConstraint("kind IN ('session', 'login_link')", name="kind"),
        sa.Index(None, "expires_at"),
    ).create(conn)


def _v4_to_v5(conn: sa.Connection) -> None:
    """v5: ``stored_responses`` (the Responses API's stored answers)."""
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    sa.Table(
        "stored_responses",
        md,
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("response", json_column(), nullable=False),
        sa.Column("input_items", json_column(), nullable=False),
        sa.Index(None, "created_at"),
    ).create(conn)


def _v5_to_v6(conn: sa.Connection) -> None:
    """v6: ``requests.tokens_estimated`` (token counts of a stream cut short are estimates)."""
    false = sa.false().compile(dialect=conn.dialect)  # as create_all writes the default: 0 in SQLite
    conn.execute(sa.text(f"ALTER TABLE requests ADD COLUMN tokens_estimated BOOLEAN NOT NULL DEFAULT {false}"))


def _v6_to_v7(conn: sa.Connection) -> None:
    """v7: users' feedback on served answers, for the rollout analysis."""
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    sa.Table(
        "feedback",
        md,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("request_id", sa.String, nullable=False),
        sa.Column("ts", UTCDateTime, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Index(None, "request_id"),
    ).create(conn)


def _v7_to_v8(conn: sa.Connection) -> None:
    """v8: review sets (sampled shadow pairs with weights) and four-way, tagged, blind verdicts."""
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    for ddl in ("sample_id INTEGER", "judgement VARCHAR", "tags JSON", "new_side VARCHAR"):
        conn.execute(sa.text(f"ALTER TABLE review_verdicts ADD COLUMN {ddl}"))
    sa.Table(
        "review_samples",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String, nullable=False),
        sa.Column("spec", json_column(), nullable=False),
    ).create(conn)
    sa.Table("shadow_pairs", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "review_sample_pairs",
        md,
        sa.Column("sample_id", sa.Integer, sa.ForeignKey("review_samples.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "pair_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("shadow_pairs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("workload", sa.String, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("probability", sa.Float, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
    ).create(conn)


def _v8_to_v9(conn: sa.Connection) -> None:
    """v9: choice runs (``modelswap choose``: candidates ranked per workload)."""
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    sa.Table(
        "choice_runs",
        md,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("choice_id", sa.String, nullable=False),
        sa.Column("workload", sa.String, nullable=False),
        sa.Column("ts", UTCDateTime, nullable=False),
        sa.Column("eval_run_id", sa.String),
        sa.Column("candidates", json_column(), nullable=False),
        sa.Column("pick", sa.String),
        sa.Column("figures", json_column(), nullable=False),
        sa.Index(None, "workload", "ts"),
    ).create(conn)


def _add_cascade_outcome(conn: sa.Connection) -> None:
    """v10: a cascade's outcome on requests: whether it escalated, why, and what the cheap attempt cost."""
    for ddl in ("escalated BOOLEAN", "escalation VARCHAR", "cheap_cost_usd FLOAT"):
        conn.execute(sa.text(f"ALTER TABLE requests ADD COLUMN {ddl}"))


def _add_reasoning_tokens(conn: sa.Connection) -> None:
    """v11: ``reasoning_tokens`` on requests and shadow pairs: the part of the completion a reasoning
    model spent thinking, as its vendor reported it (NULL when it did not)."""
    for table in ("requests", "shadow_pairs"):
        conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN reasoning_tokens INTEGER"))


def _add_route_calibrations(conn: sa.Connection) -> None:
    """v12: ``route_calibrations`` (a routed workload's calibrated thresholds and cost–quality curves)."""
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    sa.Table(
        "route_calibrations",
        md,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("workload", sa.String, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("run_id", sa.String, nullable=False),
        sa.Column("cheap_model", sa.String, nullable=False),
        sa.Column("strong_model", sa.String, nullable=False),
        sa.Column("signal", json_column(), nullable=False),
        sa.Column("threshold", sa.Float),
        sa.Column("settings", json_column(), nullable=False),
        sa.Column("verification", json_column()),
        sa.Column("curve", json_column(), nullable=False),
        sa.Index(None, "workload", "created_at"),
    ).create(conn)


MIGRATIONS: tuple[Step, ...] = (
    Step(1, "rollout change feed, review verdicts, red-team results", _v1_to_v2),
    Step(2, "evidence for the plan (inventory snapshots, drills, probes)", _v2_to_v3),
    Step(3, "request error text, store secrets, console sessions", _v3_to_v4),
    Step(4, "stored Responses API answers", _v4_to_v5),
    Step(5, "estimated token counts flagged on requests", _v5_to_v6),
    Step(6, "user feedback on served answers", _v6_to_v7),
    Step(7, "review sets with weights; four-way, tagged, blind verdicts", _v7_to_v8),
    Step(8, "choice runs (modelswap choose)", _v8_to_v9),
    Step(9, "cascade outcome on requests (escalated, why, cheap attempt's cost)", _add_cascade_outcome),
    Step(10, "reasoning tokens on requests and shadow pairs", _add_reasoning_tokens),
    Step(11, "routing calibrations (threshold, verification, cost–quality curve)", _add_route_calibrations),
)
"""``MIGRATIONS[v - 1]`` upgrades version ``v`` to ``v + 1``; the last one reaches SCHEMA_VERSION."""

if [s.from_version for s in MIGRATIONS] != list(range(1, SCHEMA_VERSION)):
    raise AssertionError("MIGRATIONS must hold exactly one step per version from 1 to SCHEMA_VERSION - 1")


def ensure_schema(engine: sa.Engine, *, display: str) -> SchemaStatus:
    """Create, upgrade or refuse the database behind ``engine``; ``display`` names it in messages."""
    with engine.connect() as conn:  # the common case, up to date, needs no lock
        version = read_schema_version(conn, display=display)
    if version == SCHEMA_VERSION:
        return SchemaStatus(version, created=False, upgraded_from=None, backup_path=None)
    if version is not None:
        _check_upgradable(version, display)
    db_file = sqlite_path(engine.url)
    first_seen: int | None = None
    backup: Path | None = None
    while True:
        with engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                _lock(conn)
                version = read_schema_version(conn, display=display)
                if version is None:
                    _create(conn)
                    log.info("created modelswap store at %s (schema v%d)", display, SCHEMA_VERSION)
                    return SchemaStatus(SCHEMA_VERSION, created=True, upgraded_from=None, backup_path=None)
                if first_seen is None:
                    first_seen = version
                if version == SCHEMA_VERSION:
                    upgraded = first_seen if first_seen != version else None
                    return SchemaStatus(version, created=False, upgraded_from=upgraded, backup_path=backup)
                _check_upgradable(version, display)
                if db_file is not None and backup is None:
                    backup = _backup_sqlite(db_file, version)
                    log.info("copied %s to %s before upgrading", display, backup)
                _run_step(conn, MIGRATIONS[version - 1], display, backup)
                log.info("upgraded %s from schema v%d to v%d", display, version, version + 1)


def read_schema_version(conn: sa.Connection, *, display: str = "the database") -> int | None:
    """The database's schema version, or None if it holds no modelswap tables at all."""
    inspector = sa.inspect(conn)
    if not inspector.has_table(schema_meta.name):
        ours = sorted(MODELSWAP_TABLES & set(inspector.get_table_names()))
        if ours:
            raise NotAStoreError(
                f"{display} has tables named like modelswap's ({', '.join(ours)}) but no schema_meta "
                "table, so it is not a modelswap store or was damaged; use an empty database"
            )
        return None
    version = conn.execute(sa.text("SELECT version FROM schema_meta WHERE id = 1")).scalar_one_or_none()
    if version is None:
        raise NotAStoreError(f"{display} has an empty schema_meta table; cannot tell its schema version")
    return int(version)


def _check_upgradable(version: int, display: str) -> None:
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{display} has schema v{version}, written by a newer modelswap; this modelswap "
            f"({__version__}) understands up to v{SCHEMA_VERSION}. Upgrade modelswap, or point it at "
            "another database; nothing was changed",
            found=version,
            supported=SCHEMA_VERSION,
        )
    if version < 1:
        raise NotAStoreError(f"{display} claims schema v{version}, which never existed")


def _run_step(conn: sa.Connection, step: Step, display: str, backup: Path | None) -> None:
    try:
        step.apply(conn)
        _stamp(conn, step.from_version + 1)
    except Exception as exc:
        detail = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
        kept = f"; a copy taken before upgrading is at {backup}" if backup else ""
        raise MigrationError(
            f"upgrading {display} from schema v{step.from_version} to v{step.from_version + 1} "
            f"({step.description}) failed: {detail}. The database stays at v{step.from_version}{kept}"
        ) from exc


def _lock(conn: sa.Connection) -> None:
    """Serialize schema work across processes until this transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext('modelswap-schema:' || coalesce(current_schema(), '')))")
        )
    # SQLite: the transaction began with BEGIN IMMEDIATE, which already holds the write lock.


def _create(conn: sa.Connection) -> None:
    metadata.create_all(conn)
    conn.execute(sa.insert(change_counter).values(id=1, seq=0))
    _stamp(conn, SCHEMA_VERSION)


def _stamp(conn: sa.Connection, version: int) -> None:
    values = {"version": version, "modelswap_version": __version__, "updated_at": datetime.now(UTC)}
    updated = conn.execute(sa.update(schema_meta).where(schema_meta.c.id == 1).values(**values))
    if updated.rowcount == 0:
        conn.execute(sa.insert(schema_meta).values(id=1, **values))


def _backup_sqlite(db_file: Path, version: int) -> Path:
    """Copy a consistent snapshot of the SQLite file next to it, never overwriting an older copy."""
    target = db_file.with_name(f"{db_file.name}.bak-v{version}")
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = db_file.with_name(f"{db_file.name}.bak-v{version}-{stamp}")
    # A separate connection: the caller holds the write lock, and a reader may still copy.
    try:
        source = sqlite3.connect(db_file, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            source.execute("VACUUM INTO ?", (str(target),))
        finally:
            source.close()
    except (OSError, sqlite3.Error) as exc:
        raise MigrationError(
            f"could not copy {db_file} to {target} before upgrading it from schema v{version}: {exc}; "
            "nothing was changed (free some disk space or check permissions, then retry)"
        ) from exc
    return target
