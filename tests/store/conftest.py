"""Store fixtures: every store test runs on SQLite (a temp file) and on PostgreSQL.

PostgreSQL tests get a fresh schema each (``search_path`` set through the URL's ``options``),
dropped afterwards. If PostgreSQL cannot be reached they fail with the reason, unless
``MODELSWAP_SKIP_PG=1`` is set, in which case they are skipped. ``MODELSWAP_TEST_PG_URL``
points them at another server (default: postgres@127.0.0.1:5432/test, trust auth).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from modelswap.store import Store, open_store

PG_URL = os.environ.get("MODELSWAP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A fixed, aware timestamp ``seconds`` after T0 (tests never depend on the clock)."""
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    """An engine on the test PostgreSQL database, or a clear failure/skip if there is none."""
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        engine.dispose()
        reason = (
            f"PostgreSQL store tests need a server at {sa.make_url(PG_URL).render_as_string()}: {exc.orig}. "
            "Start it (pg_ctlcluster --skip-systemctl-redirect <version> main start), set "
            "MODELSWAP_TEST_PG_URL, or set MODELSWAP_SKIP_PG=1 to skip these tests"
        )
        if os.environ.get("MODELSWAP_SKIP_PG") == "1":
            pytest.skip(reason)
        pytest.fail(reason, pytrace=False)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'modelswap.db'}"
        return
    admin: sa.Engine = request.getfixturevalue("pg_admin")
    schema = f"modelswap_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


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
