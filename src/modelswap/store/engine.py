"""Store URLs and engines: which databases are accepted, how they are shown, how they are tuned.

SQLite connections get WAL (readers never wait for the writer), ``synchronous=NORMAL``
(fast commits that survive a process crash; a power cut may undo the last few), foreign
keys and a busy timeout. SQLAlchemy,
not the ``sqlite3`` module, emits ``BEGIN``, so DDL is transactional and a migration step
commits whole or not at all; write transactions use ``BEGIN IMMEDIATE`` so two writers
queue on the busy timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from modelswap.store.errors import StoreURLError

log = logging.getLogger("modelswap.store")

DEFAULT_URL = "sqlite:///modelswap.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE_OPTION = "modelswap_write"
"""Execution option on a connection whose next transaction writes (``BEGIN IMMEDIATE``)."""

_SECRET_QUERY_KEYS = ("password", "passwd", "secret", "token", "sslkey")
_USERINFO_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def mask_url_text(text: str) -> str:
    """Hide a password in URL-like text that may not even parse (for error messages)."""
    return _USERINFO_PASSWORD.sub(r"\1***@", text)


def normalize_url(url: str | URL) -> URL:
    """Parse and check a store URL; ``postgres://`` and ``postgresql://`` become psycopg 3."""
    if isinstance(url, URL):
        parsed = url
    else:
        text = url.strip()
        if "://" not in text:
            raise StoreURLError(
                f"store URL {mask_url_text(text)!r} is not a URL; for a SQLite file write "
                f"'sqlite:///{text}', for PostgreSQL 'postgresql://user@host/dbname'"
            )
        try:
            parsed = sa.make_url(text)
        except (ArgumentError, ValueError):  # their messages may repeat the password
            raise StoreURLError(
                f"cannot parse store URL {mask_url_text(text)!r}; expected e.g. "
                "'sqlite:///modelswap.db' or 'postgresql://user:password@host:5432/dbname'"
            ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql"):
        if driver not in ("", "psycopg"):
            raise StoreURLError(
                f"store URL {display_url(parsed)!r} asks for driver {driver!r}; modelswap uses "
                "psycopg 3: write 'postgresql://...' or 'postgresql+psycopg://...'"
            )
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise StoreURLError(
                f"store URL {display_url(parsed)!r} asks for SQLite driver {driver!r}; "
                "write 'sqlite:///path/to/modelswap.db'"
            )
        return parsed.set(drivername="sqlite")
    raise StoreURLError(
        f"store URL {display_url(parsed)!r} names backend {backend!r}; modelswap stores to "
        "SQLite ('sqlite:///modelswap.db') or PostgreSQL ('postgresql://user@host/dbname')"
    )


def store_may_hold_records(url: str | URL) -> bool:
    """Whether there may be records to read at ``url``: a SQLite file that does not exist holds none
    (and reading it must not create it); a server database may."""
    parsed = normalize_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return True
    database = parsed.database
    return database is not None and database not in ("", ":memory:") and Path(database).is_file()


def display_url(url: URL) -> str:
    """The URL as safe to print or log: password and secret-looking query values masked."""
    masked = url
    if url.query:
        masked = url.set(
            query={
                key: ("***" if any(s in key.lower() for s in _SECRET_QUERY_KEYS) else value)
                for key, value in url.query.items()
            }
        )
    return masked.render_as_string(hide_password=True)


def is_sqlite_memory(url: URL) -> bool:
    """True for an in-memory SQLite URL (``sqlite://`` or ``sqlite:///:memory:``)."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    if is_sqlite_memory(url) or url.get_backend_name() != "sqlite":
        return None
    assert url.database is not None
    return Path(url.database)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_store_engine(url: URL, *, connect_args: Mapping[str, Any] | None = None) -> sa.Engine:
    """An engine for a normalized store URL, with the pragmas and pooling the store relies on."""
    args: dict[str, Any] = dict(connect_args or {})
    common: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if url.get_backend_name() == "postgresql":
        return sa.create_engine(url, connect_args=args, pool_pre_ping=True, pool_size=5, max_overflow=5, **common)
    path = sqlite_path(url)
    args.setdefault("check_same_thread", False)
    args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    if path is None:
        engine = sa.create_engine(url, connect_args=args, poolclass=StaticPool, **common)
    else:
        parent = path.resolve().parent
        if not parent.is_dir():
            raise StoreURLError(
                f"store URL {display_url(url)!r}: directory {str(parent)!r} does not exist; create it "
                "or point the store elsewhere"
            )
        engine = sa.create_engine(url, connect_args=args, **common)
    _install_sqlite_hooks(engine, wal=path is not None)
    return engine


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (persistent, so usually already done).

    The switch needs a moment of exclusive access, and SQLite answers "database is locked"
    at once, without its busy handler, when replicas open a new file together; so retry.
    """
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = str(cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    if mode != "wal":
        log.warning("SQLite kept journal_mode=%s (WAL unsupported here?); writers will block readers", mode)


def _install_sqlite_hooks(engine: sa.Engine, *, wal: bool) -> None:
    """Per-connection pragmas, and BEGIN emitted by SQLAlchemy instead of the sqlite3 module."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # sqlite3 must not emit BEGIN itself
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if wal:
                _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
