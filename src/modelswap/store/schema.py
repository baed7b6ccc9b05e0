"""The store's tables at the current schema version (SQLAlchemy Core).

A fresh database is created from these definitions; an older one is brought here by the
steps in ``migrations.py``. The two must agree, and a test checks that they do: changing a
table here means adding a migration step and bumping ``SCHEMA_VERSION``.

Conventions: timestamps are aware UTC (``UTCDateTime``); ids of things made by several
processes at once (requests, eval runs) are text UUIDs made by the caller; ids of rows only
the store creates are integers; strings are unbounded, so a long model name never fails a
batch; money is a double in USD.

PostgreSQL and a large ``requests`` table: the plan is daily range partitions on ``ts``
(``PARTITION BY RANGE (ts)``), with the primary key becoming ``(ts, id)`` and
``shadow_pairs`` carrying ``request_ts`` so its foreign key can point at the partitioned
table; retention then drops whole partitions instead of deleting rows. It is not built yet:
one unpartitioned table with the ``(workload, ts)`` index serves well into the tens of
millions of rows, and the switch is one migration step when it is needed.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from modelswap.store.schema_version import SCHEMA_VERSION as SCHEMA_VERSION
from modelswap.store.types import FreeText, UTCDateTime, json_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _serial_id() -> sa.Column[int]:
    """An integer primary key the database assigns (``INTEGER PRIMARY KEY`` on SQLite)."""
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)


schema_meta = sa.Table(
    "schema_meta",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("modelswap_version", sa.String, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("id = 1", name="single_row"),
)
"""One row: the schema version of this database and the modelswap that last changed it."""

requests = sa.Table(
    "requests",
    metadata,
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
    sa.Column("error", FreeText),
    sa.Column("tokens_estimated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("escalated", sa.Boolean),
    sa.Column("escalation", sa.String),
    sa.Column("cheap_cost_usd", sa.Float),
    sa.Column("reasoning_tokens", sa.Integer),
    sa.Index(None, "workload", "ts"),
)
"""One served request, whichever arm served it."""

shadow_pairs = sa.Table(
    "shadow_pairs",
    metadata,
    _serial_id(),
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
    sa.Column("reasoning_tokens", sa.Integer),
    sa.UniqueConstraint("request_id", "arm"),
)
"""The shadow arm's answer to a served request (status is NULL when no HTTP answer came)."""

eval_runs = sa.Table(
    "eval_runs",
    metadata,
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

eval_results = sa.Table(
    "eval_results",
    metadata,
    _serial_id(),
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
"""One scorer's verdict on one arm's answer to one golden case in one run."""

response_cache = sa.Table(
    "response_cache",
    metadata,
    sa.Column("key_hash", sa.String, primary_key=True),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("response", json_column(), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
"""Responses already paid for, by a hash of (model, request); evals reuse them."""

baselines = sa.Table(
    "baselines",
    metadata,
    _serial_id(),
    sa.Column("workload", sa.String, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("figures", json_column(), nullable=False),
    sa.Column("source", sa.String, nullable=False),
    sa.Index(None, "workload", "created_at"),
)

plan_ticks = sa.Table(
    "plan_ticks",
    metadata,
    _serial_id(),
    sa.Column("item_key", sa.String, nullable=False),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("ts", UTCDateTime, nullable=False),
    sa.Column("note", FreeText),
    sa.Column("evidence", json_column()),
    sa.CheckConstraint("state IN ('ticked', 'unticked')", name="state"),
    sa.Index(None, "item_key", "id"),
)
"""Append-only history of plan item ticks; the latest row per item is its state."""

change_counter = sa.Table(
    "change_counter",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.CheckConstraint("id = 1", name="single_row"),
)
"""One row: the last ``change_seq`` handed out. Bumping it inside the writing transaction
holds its row lock to commit, so sequence order is commit order and a poller that has seen
``n`` has seen every change up to ``n`` (a PostgreSQL SEQUENCE would not promise that)."""

rollout_state = sa.Table(
    "rollout_state",
    metadata,
    sa.Column("workload", sa.String, primary_key=True),
    sa.Column("stage", sa.String, nullable=False),
    sa.Column("share", sa.Float, nullable=False),
    sa.Column("rollback", sa.Boolean, nullable=False),
    sa.Column("previous", json_column()),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.String),
    sa.Column("change_seq", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.CheckConstraint("share >= 0 AND share <= 1", name="share"),
    sa.Index(None, "change_seq", unique=True),
)
"""Each workload's rollout stage; ``share`` is the fraction (0–1) served by the new arm."""

rollout_events = sa.Table(
    "rollout_events",
    metadata,
    _serial_id(),
    sa.Column("workload", sa.String, nullable=False),
    sa.Column("ts", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("reason", FreeText),
    sa.Column("from_state", json_column()),
    sa.Column("to_state", json_column()),
    sa.Index(None, "workload", "id"),
)
"""Audit trail of every rollout decision, by whom and why."""

review_verdicts = sa.Table(
    "review_verdicts",
    metadata,
    _serial_id(),
    sa.Column(
        "pair_id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("shadow_pairs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("reviewer", sa.String, nullable=False),
    sa.Column("verdict", sa.String, nullable=False),
    sa.Column("note", FreeText),
    sa.Column("ts", UTCDateTime, nullable=False),
    sa.Column("sample_id", sa.Integer),
    sa.Column("judgement", sa.String),
    sa.Column("tags", json_column()),
    sa.Column("new_side", sa.String),
    sa.CheckConstraint("verdict IN ('win', 'tie', 'loss')", name="verdict"),
    sa.Index(None, "pair_id"),
)
"""A person's judgement of the new arm against the old on one shadow pair. ``judgement`` is the
four-way verdict (old_better, new_better, same, both_bad; ``verdict`` its win/tie/loss reading),
``new_side`` where the new answer was shown to the reviewer, ``sample_id`` the review set."""

review_samples = sa.Table(
    "review_samples",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("spec", json_column(), nullable=False),
)
"""A drawn review set: its seed, sizes, strata and the pairs left out (``spec``)."""

review_sample_pairs = sa.Table(
    "review_sample_pairs",
    metadata,
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
)
"""The pairs of a review set with their diff score, inclusion probability and weight."""

redteam_results = sa.Table(
    "redteam_results",
    metadata,
    _serial_id(),
    sa.Column("run_id", sa.String, nullable=False),
    sa.Column("ts", UTCDateTime, nullable=False),
    sa.Column("workload", sa.String),
    sa.Column("probe_id", sa.String, nullable=False),
    sa.Column("arm", sa.String, nullable=False),
    sa.Column("attack_succeeded", sa.Boolean, nullable=False),
    sa.Column("detail", json_column()),
    sa.Index(None, "run_id"),
)

evidence = sa.Table(
    "evidence",
    metadata,
    _serial_id(),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("workload", sa.String),
    sa.Column("ts", UTCDateTime, nullable=False),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("figures", json_column()),
    sa.Index(None, "kind", "ts"),
)
"""Append-only proof that something happened (an inventory snapshot, a rollback drill, a health
probe of the old model): what kind, for which workload (NULL: the whole migration), when, what
produced it, whether it went well, and its key figures. The plan reads it."""

store_secrets = sa.Table(
    "store_secrets",
    metadata,
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("value", sa.String, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
"""Random secrets created once per store at first start (e.g. the key of the sticky-key HMAC),
shared by every replica on the store. Never shown, logged or exported."""

console_sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("token_hash", sa.String, primary_key=True),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.CheckConstraint("kind IN ('session', 'login_link')", name="kind"),
    sa.Index(None, "expires_at"),
)
"""Server-side console sessions and one-time login links: only a hash of each random token is
kept; a row is deleted at logout, on first use (login links) or once expired."""

stored_responses = sa.Table(
    "stored_responses",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("response", json_column(), nullable=False),
    sa.Column("input_items", json_column(), nullable=False),
    sa.Index(None, "created_at"),
)
"""Responses API answers kept for ``GET /v1/responses/{id}`` and ``previous_response_id``
(``store`` not false), with the whole input that produced each; pruned by age and count."""

feedback = sa.Table(
    "feedback",
    metadata,
    _serial_id(),
    sa.Column("request_id", sa.String, nullable=False),
    sa.Column("ts", UTCDateTime, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Index(None, "request_id"),
)
"""Users' feedback on served answers (``POST /v1/modelswap/feedback``): a score from 0 (bad) to 1
(good) per request id. No foreign key: feedback may arrive before the request's record is flushed;
the rollout analysis joins it to the request's workload and arm."""

choice_runs = sa.Table(
    "choice_runs",
    metadata,
    _serial_id(),
    sa.Column("choice_id", sa.String, nullable=False),
    sa.Column("workload", sa.String, nullable=False),
    sa.Column("ts", UTCDateTime, nullable=False),
    sa.Column("eval_run_id", sa.String),
    sa.Column("candidates", json_column(), nullable=False),
    sa.Column("pick", sa.String),
    sa.Column("figures", json_column(), nullable=False),
    sa.Index(None, "workload", "ts"),
)
"""``modelswap choose``: per workload of one choice (``choice_id``), the candidates compared with the
old model on the same golden cases (the eval run), their figures, the Pareto front and the pick
(the cheapest candidate passing every gate; NULL when none does)."""

route_calibrations = sa.Table(
    "route_calibrations",
    metadata,
    _serial_id(),
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
)
"""``modelswap route calibrate`` results: the threshold picked (None: none kept the pass rate within
the margin), its settings (margin, confidence, split, seed), the held-out verification and the
cost–quality curve, with the eval run the replay stored."""

MODELSWAP_TABLES: frozenset[str] = frozenset(metadata.tables)
"""Every table name the store owns at the current version."""


def insert_ignoring_conflicts(dialect_name: str, table: sa.Table) -> sa.Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` on either backend (rowcount 0 when it was ignored)."""
    if dialect_name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()
