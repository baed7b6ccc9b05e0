"""Store URLs (normalization, masking, clear refusals) and SQLite connection tuning."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from modelswap.store import (
    RequestRow,
    StoreError,
    StoreURLError,
    display_url,
    normalize_url,
    open_store,
)


@pytest.mark.parametrize(
    "given",
    [
        "postgres://ana:pw@db.internal:5432/modelswap",
        "postgresql://ana:pw@db.internal:5432/modelswap",
        "postgresql+psycopg://ana:pw@db.internal:5432/modelswap",
    ],
)
def test_postgres_urls_use_psycopg3(given: str) -> None:
    url = normalize_url(given)
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "ana",
        "pw",
        "db.internal",
        5432,
        "modelswap",
    )


def test_sqlite_urls_are_accepted() -> None:
    assert normalize_url("sqlite:///modelswap.db").database == "modelswap.db"
    assert normalize_url("sqlite+pysqlite:////var/lib/ms.db").drivername == "sqlite"
    assert normalize_url("sqlite://").database is None


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("postgresql+psycopg2://ana:hunter2@h/db", "psycopg 3"),
        ("mysql://ana:hunter2@h/db", "SQLite"),
        ("modelswap.db", "sqlite:///modelswap.db"),
        ("postgresql://ana:hunter2@h:notaport/db", "cannot parse"),
    ],
)
def test_bad_urls_are_refused_clearly_without_the_password(given: str, says: str) -> None:
    with pytest.raises(StoreURLError, match=says) as caught:
        normalize_url(given)
    assert "hunter2" not in str(caught.value)


def test_display_masks_password_and_secret_query_values() -> None:
    url = normalize_url("postgres://ana:hunter2@h/db?sslmode=require&password=hunter2")
    shown = display_url(url)
    assert "hunter2" not in shown
    assert shown.startswith("postgresql+psycopg://ana:***@h/db?")
    assert "sslmode=require" in shown


def test_store_never_shows_its_password(store_url: str) -> None:
    url = sa.make_url(store_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(password="hunter2")  # trust auth ignores it; the store must still hide it
    with open_store(url) as store:
        assert "hunter2" not in store.url_for_display
        assert "hunter2" not in repr(store)


def test_unreachable_postgres_fails_with_a_clear_masked_message() -> None:
    with pytest.raises(StoreError, match="cannot open the store") as caught:
        open_store("postgresql://ana:hunter2@127.0.0.1:1/modelswap?connect_timeout=2")
    assert "hunter2" not in str(caught.value)
    assert "ana:***@127.0.0.1:1" in str(caught.value)


def test_sqlite_runs_in_wal_with_normal_sync_and_foreign_keys(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'ms.db'}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 1000


def test_sqlite_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreURLError, match="does not exist"):
        open_store(f"sqlite:///{tmp_path / 'nope' / 'ms.db'}")


def test_in_memory_sqlite_is_one_database_across_threads() -> None:
    import threading

    with open_store("sqlite://") as store:
        row = RequestRow(
            ts=datetime.now(UTC), workload="w", arm="old", endpoint="old", model="m", status=200, latency_ms=1
        )
        writer = threading.Thread(target=store.requests.insert, args=([row],))
        writer.start()
        writer.join()
        assert store.requests.recent("w") == [row]
