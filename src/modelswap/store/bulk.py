"""Inserting many row dataclasses fast: ``BulkInsert`` compiles one INSERT per table and dialect.

The gateway's recorder writes thousands of request rows a second through it
(``requests_repo.RequestsRepo.insert``); ``values_of`` maps a row dataclass to its columns for
ordinary inserts.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import sqlalchemy as sa


def columns_of(row_type: type, *, skip: frozenset[str] = frozenset({"id"})) -> tuple[str, ...]:
    """The column names of a row dataclass (its field names), leaving out ``skip``."""
    return tuple(f.name for f in fields(row_type) if f.name not in skip)


def values_of(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The column values of a row dataclass (serial ``id`` left to the database)."""
    return {name: getattr(row, name) for name in names}


class BulkInsert:
    """An INSERT of row dataclasses, compiled once for one dialect.

    Each value goes through the bind processor of its column's type for that dialect (the
    same ones SQLAlchemy applies: UTC timestamps, JSON, booleans, NUL-free text), so the rows
    stored are the ones ``conn.execute(table.insert(), [dicts])`` stores, without SQLAlchemy's
    per-row parameter machinery (the gateway's recorder writes thousands of rows a second).

    On SQLite the rows go in as multi-row ``INSERT ... VALUES (...), (...)`` statements of up to
    ``_SQLITE_ROWS`` rows: the ``sqlite3`` module releases and retakes the GIL around every
    statement step, so a row-by-row ``executemany`` hands the GIL back and forth with the
    gateway's event loop once per row (measured: 10 % of the gateway's CPU per request under
    load). Elsewhere it is one DB-API ``executemany``.
    """

    def __init__(self, table: sa.Table, names: tuple[str, ...], dialect: sa.Dialect) -> None:
        compiled = table.insert().compile(dialect=dialect, column_keys=list(names), for_executemany=True)
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        order = tuple(compiled.positiontup or ()) if self.positional else names
        if set(order) != set(names):
            raise AssertionError(f"unexpected binds for {table.name}: {order}")
        self.names = order
        self.processors = tuple(table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in order)
        self.rows_per_statement = 0  # 0: executemany
        if self.positional and dialect.name == "sqlite":
            self._head, _, self._group = self.sql.rpartition(" VALUES ")
            self.rows_per_statement = max(1, min(_SQLITE_ROWS, _sqlite_max_variables() // len(order)))
            self._full = self._values(self.rows_per_statement)

    def _values(self, rows: int) -> str:
        return f"{self._head} VALUES {', '.join([self._group] * rows)}"

    def run(self, conn: sa.Connection, rows: Sequence[Any]) -> None:
        values = operator.attrgetter(*self.names)  # every column value of a row in one C call
        processed = [(i, p) for i, p in enumerate(self.processors) if p is not None]
        params: list[Any] = []
        try:
            for row in rows:
                vals = list(values(row))
                for i, process in processed:
                    vals[i] = process(vals[i])
                if self.rows_per_statement:
                    params += vals
                else:
                    params.append(tuple(vals) if self.positional else dict(zip(self.names, vals, strict=True)))
        except (TypeError, ValueError) as exc:  # a value its column refuses, reported as SQLAlchemy would
            raise sa.exc.StatementError(f"({type(exc).__name__}) {exc}", self.sql, None, exc) from exc
        if not self.rows_per_statement:
            conn.exec_driver_sql(self.sql, params)
            return
        width = len(self.names)
        step = self.rows_per_statement * width
        for start in range(0, len(params), step):
            chunk = tuple(params[start : start + step])
            conn.exec_driver_sql(self._full if len(chunk) == step else self._values(len(chunk) // width), chunk)


_SQLITE_ROWS = 200
"""Rows per multi-row INSERT on SQLite (a few thousand bound values per statement)."""


def _sqlite_max_variables() -> int:
    """SQLite's default limit of bound values per statement for the linked library."""
    return 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
