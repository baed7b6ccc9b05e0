"""The rollback flag's light path: the rollout statements of ``rollout.py`` on the bare driver.

``modelswap rollback`` and ``stage show`` are what an operator types during an incident, so
they must not spend half a second importing SQLAlchemy. ``FlagStore`` offers the three calls
the rollback flag makes (read a state, write a state with its event, list events) with the
same statements, the same values and the same transaction shape as ``RolloutRepo``: an
optimistic write that takes the next ``change_seq`` from ``change_counter`` inside the
transaction, so every replica's poll sees the flip exactly as it sees one written through
``Store``. Tests run both paths on SQLite and PostgreSQL and compare every row.

It only serves a store it can vouch for: an existing database whose ``schema_meta.version``
is ``SCHEMA_VERSION``, at a plain ``sqlite:///file`` or ``postgresql://`` URL. Anything else
(no file yet, an older or newer schema, an unreachable server, an unusual URL) raises
``LightPathUnavailable`` before anything is written, and the caller opens the store the
ordinary way, which creates, upgrades or refuses it with its usual message.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, Self
from urllib.parse import quote

import orjson

from modelswap.store.rows import Json, RolloutChange, RolloutEventRow, RolloutStateRow, check_rollout_change
from modelswap.store.schema_version import SCHEMA_VERSION

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""As ``engine.SQLITE_BUSY_TIMEOUT_MS`` (a test keeps them equal)."""

_STATE_COLUMNS = "workload, stage, share, rollback, previous, version, updated_at, updated_by, change_seq"
_EVENT_COLUMNS = "id, workload, ts, actor, action, reason, from_state, to_state"
SCHEMA_SQL = "SELECT version FROM schema_meta WHERE id = %s"
READ_STATE_SQL = f"SELECT {_STATE_COLUMNS} FROM rollout_state WHERE rollout_state.workload = %s"
NEXT_SEQ_SQL = "UPDATE change_counter SET seq = change_counter.seq + %s WHERE change_counter.id = %s RETURNING seq"
_WRITE_COLUMNS = "stage, share, rollback, previous, updated_by, updated_at, version, change_seq"
INSERT_STATE_SQL = (
    f"INSERT INTO rollout_state (workload, {_WRITE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT DO NOTHING RETURNING rollout_state.workload"
)
UPDATE_STATE_SQL = (
    "UPDATE rollout_state SET "
    + ", ".join(f"{c} = %s" for c in _WRITE_COLUMNS.split(", "))
    + " WHERE rollout_state.workload = %s AND rollout_state.version = %s RETURNING rollout_state.workload"
)
INSERT_EVENT_SQL = (
    "INSERT INTO rollout_events (workload, ts, actor, action, reason, from_state, to_state) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING rollout_events.id"
)


class LightPathUnavailable(Exception):
    """The light path cannot vouch for this store; open it with ``open_store`` instead."""


class StoreUnreachable(LightPathUnavailable):
    """The database server refused or did not answer: said at once, in ``open_store``'s words.

    Falling back would wait for the same server a second time; ``message`` is what
    ``open_store`` would say (the URL shown with its password masked)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url, self.reason = url, reason

    @property
    def message(self) -> str:
        """``cannot open the store at <url, password masked>: <the driver's reason>``."""
        from modelswap.store.engine import display_url, normalize_url  # only on this error path

        return f"cannot open the store at {display_url(normalize_url(self.url))}: {self.reason}"


class _Driver(Protocol):
    """What ``FlagStore`` needs of a database: statements, a write transaction, value conversions."""

    def query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...
    def write(self) -> Any: ...
    def close(self) -> None: ...
    def to_db(self, value: object) -> object: ...
    def ts_from_db(self, value: Any) -> datetime: ...
    def json_from_db(self, value: Any) -> Json | None: ...


def _json_text(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()  # as engine._json_dumps


class _SQLite:
    """sqlite3 with the pragmas ``engine.create_store_engine`` sets; values as SQLAlchemy stores them."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise LightPathUnavailable(f"{path} does not exist yet")
        uri = f"file:{quote(str(path.resolve()))}?mode=rw"
        self.conn = sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        self.conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            self.conn.close()
            raise LightPathUnavailable("not in WAL mode yet")  # open_store switches it
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")

    def query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        try:
            return list(self.conn.execute(sql.replace("%s", "?"), [self.to_db(p) for p in params]).fetchall())
        except sqlite3.Error as exc:  # locked past the busy timeout, a damaged file: open_store reports it
            raise LightPathUnavailable(str(exc)) from exc

    @contextmanager
    def write(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def to_db(self, value: object) -> object:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, datetime):  # UTCDateTime → SQLAlchemy's SQLite DATETIME text
            return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, _JsonValue):
            return None if value.value is None else _json_text(value.value)
        return value

    def ts_from_db(self, value: Any) -> datetime:
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

    def json_from_db(self, value: Any) -> Json | None:
        return None if value is None else orjson.loads(value)


class _Postgres:
    """psycopg 3, as SQLAlchemy's psycopg dialect drives it."""

    def __init__(self, url: str, conninfo: str) -> None:
        import psycopg
        from psycopg.types.json import Json as PgJson

        self._json = PgJson
        self._error = psycopg.Error
        try:  # autocommit: a read is its own statement, ``write`` opens the one transaction
            self.conn = psycopg.connect(conninfo, autocommit=True)
        except psycopg.OperationalError as exc:
            raise StoreUnreachable(url, str(exc)) from exc
        except psycopg.Error as exc:
            raise LightPathUnavailable(str(exc)) from exc  # open_store says it in its own words

    def query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql, [self.to_db(p) for p in params])  # built from constants
                return list(cur.fetchall()) if cur.description else []
        except self._error as exc:
            raise LightPathUnavailable(str(exc)) from exc

    @contextmanager
    def write(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def close(self) -> None:
        self.conn.close()

    def to_db(self, value: object) -> object:
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        if isinstance(value, str) and "\x00" in value:  # FreeText: PostgreSQL text cannot hold NUL
            return value.replace("\x00", "\ufffd")
        if isinstance(value, _JsonValue):
            return None if value.value is None else self._json(value.value, dumps=_json_text)
        return value

    def ts_from_db(self, value: Any) -> datetime:
        return value.astimezone(UTC)  # type: ignore[no-any-return]

    def json_from_db(self, value: Any) -> Json | None:
        return value  # type: ignore[no-any-return]  # psycopg parses json


class _JsonValue:
    """A value bound to a JSON column (None: SQL NULL, as ``json_column`` stores it)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


class _Conflict(Exception):
    """Another writer changed the state first (rolled back, reported as False)."""


def _driver_for(url: str) -> _Driver:
    """The driver for a store URL the light path can serve, or ``LightPathUnavailable``."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        raise LightPathUnavailable("not a URL")
    if scheme == "sqlite":
        if not rest.startswith("/") or rest in ("/", "/:memory:") or "?" in rest:
            raise LightPathUnavailable("only a plain sqlite:///file URL")
        return _SQLite(Path(rest[1:]))
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        if "#" in rest:
            raise LightPathUnavailable("unusual PostgreSQL URL")
        return _Postgres(url, "postgresql://" + rest)
    raise LightPathUnavailable(f"backend {scheme!r}")


class FlagStore:
    """The rollout calls of ``Store`` the rollback flag and ``stage show`` make, on the bare driver."""

    def __init__(self, driver: _Driver) -> None:
        self._db = driver

    def get_rollout_state(self, workload: str) -> RolloutStateRow | None:
        """A workload's rollout state, or None (as ``Store.get_rollout_state``)."""
        rows = self._db.query(READ_STATE_SQL, [workload])
        if not rows:
            return None
        w, stage, share, rollback, previous, version, updated_at, updated_by, seq = rows[0]
        return RolloutStateRow(
            workload=w,
            stage=stage,
            share=float(share),
            rollback=bool(rollback),
            previous=self._db.json_from_db(previous),
            version=int(version),
            change_seq=int(seq),
            updated_at=self._db.ts_from_db(updated_at),
            updated_by=updated_by,
        )

    def set_rollout_state(
        self,
        workload: str,
        new: RolloutChange,
        expected_version: int,
        *,
        event: RolloutEventRow | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Write ``new`` if the stored version is still ``expected_version`` (as ``Store.set_rollout_state``)."""
        check_rollout_change(new, expected_version)
        try:
            with self._db.write():
                seq = int(self._db.query(NEXT_SEQ_SQL, [1, 1])[0][0])
                values = [new.stage, new.share, new.rollback, _JsonValue(new.previous), new.actor]
                values += [now or datetime.now(UTC), expected_version + 1, seq]
                if expected_version == 0:
                    done = self._db.query(INSERT_STATE_SQL, [workload, *values])
                else:
                    done = self._db.query(UPDATE_STATE_SQL, [*values, workload, expected_version])
                if not done:
                    raise _Conflict(workload)
                if event is not None:
                    self._db.query(INSERT_EVENT_SQL, _event_values(event))
        except _Conflict:
            return False
        return True

    def rollout_events(self, workload: str | None = None, *, limit: int = 100) -> list[RolloutEventRow]:
        """Rollout events, newest first (as ``Store.rollout_events``)."""
        where, params = ("WHERE rollout_events.workload = %s ", [workload]) if workload is not None else ("", [])
        sql = f"SELECT {_EVENT_COLUMNS} FROM rollout_events {where}ORDER BY rollout_events.id DESC LIMIT %s"
        return [
            RolloutEventRow(
                id=int(i),
                workload=w,
                ts=self._db.ts_from_db(ts),
                actor=actor,
                action=action,
                reason=reason,
                from_state=self._db.json_from_db(from_state),
                to_state=self._db.json_from_db(to_state),
            )
            for i, w, ts, actor, action, reason, from_state, to_state in self._db.query(sql, [*params, limit])
        ]

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _event_values(event: RolloutEventRow) -> list[object]:
    e = event
    return [e.workload, e.ts, e.actor, e.action, e.reason, _JsonValue(e.from_state), _JsonValue(e.to_state)]


def open_flag_store(url: str) -> FlagStore:
    """The light flag store at ``url`` (a resolved store URL), or ``LightPathUnavailable``.

    Raised, too, when the database is not a modelswap store at exactly ``SCHEMA_VERSION``: this
    path never writes to an older or newer schema.
    """
    driver = _driver_for(url)
    try:
        rows = driver.query(SCHEMA_SQL, [1])  # no schema_meta table, a damaged file: open_store says which
    except LightPathUnavailable:
        driver.close()
        raise
    if not rows or rows[0][0] != SCHEMA_VERSION:
        driver.close()
        raise LightPathUnavailable(f"schema version {rows[0][0] if rows else None}, not {SCHEMA_VERSION}")
    return FlagStore(driver)
