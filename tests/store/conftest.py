"""Store fixtures: every store test runs on SQLite (a temp file) and on PostgreSQL.

PostgreSQL tests get a fresh schema each (``search_path`` set through the URL's ``options``),
dropped afterwards. If PostgreSQL cannot be reached they fail with the reason, unless
``MODELSWAP_SKIP_PG=1`` is set, in which case they are skipped. ``MODELSWAP_TEST_PG_URL``
points them at another server (default: postgres@127.0.0.1:5432/test, trust auth).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from modelswap.store import Store, open_store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A fixed, aware timestamp ``seconds`` after T0 (tests never depend on the clock)."""
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'modelswap.db'}"
        return
    yield request.getfixturevalue("pg_schema_url")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A freshly created store on each backend."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def raw_engine(store_url: str) -> Iterator[sa.Engine]:
    """A plain SQLAlchemy engine on the same database, for setting up what the API cannot."""
    engine = sa.create_engine(store_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def other_url(store_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second empty database on the same backend (for comparing fresh with upgraded)."""
    if store_url.startswith("sqlite"):
        database = sa.make_url(store_url).database
        assert database
        yield f"sqlite:///{Path(database).with_name('fresh.db')}"
        return
    admin: sa.Engine = request.getfixturevalue("pg_admin")
    schema = sa.make_url(store_url).query["options"]
    assert isinstance(schema, str)
    name = schema.split("=", 1)[1] + "_fresh"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    try:
        yield (
            sa.make_url(store_url)
            .update_query_dict({"options": f"-csearch_path={name}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')


ADDED_IN: dict[int, tuple[str, ...]] = {
    5: ("DROP TABLE stored_responses",),
    6: ("ALTER TABLE requests DROP COLUMN tokens_estimated",),
    7: ("DROP TABLE feedback",),
    8: (
        "DROP TABLE review_sample_pairs",
        "DROP TABLE review_samples",
        *(f"ALTER TABLE review_verdicts DROP COLUMN {c}" for c in ("sample_id", "judgement", "tags", "new_side")),
    ),
    9: ("DROP TABLE choice_runs",),
    10: tuple(f"ALTER TABLE requests DROP COLUMN {c}" for c in ("escalated", "escalation", "cheap_cost_usd")),
    11: tuple(f"ALTER TABLE {t} DROP COLUMN reasoning_tokens" for t in ("requests", "shadow_pairs")),
    12: ("DROP TABLE route_calibrations",),
}
"""What each schema version added, undone: a fresh store rewound to an older version by ``rewind``."""


def rewind(url: str, version: int) -> None:
    """Make the database at ``url`` a fresh store as schema ``version`` (≥ 4) left it, for upgrade tests."""
    open_store(url).close()
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for added in sorted(ADDED_IN, reverse=True):
                if added > version:
                    for ddl in ADDED_IN[added]:
                        conn.exec_driver_sql(ddl)
            conn.execute(sa.text("UPDATE schema_meta SET version = :v"), {"v": version})
    finally:
        engine.dispose()
