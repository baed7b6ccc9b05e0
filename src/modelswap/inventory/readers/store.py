"""modelswap's own store: the gateway's request records, copied into DuckDB for the inventory.

The store is read through SQLAlchemy Core (SQLite or PostgreSQL), in batches, without bodies;
DuckDB's SQLite scanner is an extension downloaded at run time, which is not available here.
Records already carry their workload (the gateway matched it), so no rule is applied to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import sqlalchemy as sa

from modelswap.inventory.errors import InventoryError
from modelswap.inventory.readers._sql import no_rule_columns, record_select
from modelswap.inventory.readers.base import RecordQuery
from modelswap.inventory.rules import RuleInputs
from modelswap.store import Store, StoreError, open_store
from modelswap.store import schema as t

BATCH = 100_000

COLUMNS: tuple[tuple[str, str], ...] = (
    ("ts", "VARCHAR"),
    ("workload", "VARCHAR"),
    ("arm", "VARCHAR"),
    ("model", "VARCHAR"),
    ("status", "INTEGER"),
    ("error_kind", "VARCHAR"),
    ("latency_ms", "DOUBLE"),
    ("ttft_ms", "DOUBLE"),
    ("prompt_tokens", "BIGINT"),
    ("completion_tokens", "BIGINT"),
    ("cached_tokens", "BIGINT"),
    ("cost_usd", "DOUBLE"),
)


def open_existing(url: str) -> Store:
    """Open a store that must already exist (a mistyped SQLite path is an error, not a new database)."""
    if url.startswith("sqlite:///") and ":memory:" not in url:
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise InventoryError(f"{url}: no such store (the SQLite file does not exist)")
    try:
        return open_store(url)
    except StoreError as exc:
        raise InventoryError(str(exc)) from None


def _ts_text(store: Store) -> sa.ColumnElement[str]:
    """Request time as ISO text in UTC, without building a Python datetime per row."""
    if store.dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", t.requests.c.ts), 'YYYY-MM-DD"T"HH24:MI:SS.US')
    return sa.type_coerce(t.requests.c.ts, sa.String)


def _batches(store: Store, since: datetime | None) -> Iterator[list[tuple[object, ...]]]:
    r = t.requests.c
    query = sa.select(
        _ts_text(store).label("ts"),
        r.workload,
        r.arm,
        r.model,
        r.status,
        r.error_kind,
        r.latency_ms,
        r.ttft_ms,
        r.prompt_tokens,
        r.completion_tokens,
        r.cached_tokens,
        r.cost_usd,
    )
    if since is not None:
        query = query.where(r.ts >= since)
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        for part in result.partitions(BATCH):
            yield [tuple(row) for row in part]


def copy_requests(con: duckdb.DuckDBPyConnection, store: Store, table: str, *, since: datetime | None = None) -> int:
    """Copy the store's request records (no bodies) into a DuckDB table; returns the row count."""
    typed = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (line BIGINT, {typed})")
    count = 0
    for rows in _batches(store, since):
        columns = list(zip(*rows, strict=True))
        chunk = {"line": np.arange(count + 1, count + len(rows) + 1, dtype=np.int64)}
        for (name, _), values in zip(COLUMNS, columns, strict=True):
            chunk[name] = np.array(values, dtype=object)
        con.register("_store_chunk", chunk)
        casts = ", ".join(f"{name}::{kind}" for name, kind in COLUMNS)
        con.execute(f"INSERT INTO {table} SELECT line, {casts} FROM _store_chunk")
        con.unregister("_store_chunk")
        count += len(rows)
    return count


def store_records(table: str, inputs: RuleInputs) -> RecordQuery:
    """Records from a table filled by ``copy_requests``."""
    fields = {
        "ts_raw": "ts",
        "model": "model",
        "tag": "workload",
        "latency_ms": "latency_ms",
        "ttft_ms": "ttft_ms",
        "prompt_tokens": "prompt_tokens",
        "completion_tokens": "completion_tokens",
        "cached_tokens": "cached_tokens",
        "logged_cost": "cost_usd",
        "is_error": "status >= 400 OR error_kind IS NOT NULL",
    }
    sql = record_select(f"SELECT * FROM {table}", fields, extra=no_rule_columns(inputs))
    return RecordQuery(sql, "row")
