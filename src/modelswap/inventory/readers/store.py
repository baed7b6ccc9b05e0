"""modelswap's own store: the gateway's request records, copied into DuckDB for the inventory.

The store exports its requests (SQLite or PostgreSQL) in batches, without bodies (``store.requests.export``);
DuckDB's SQLite scanner is an extension downloaded at run time, which is not available here.
Records already carry their workload (the gateway matched it), so no rule is applied to them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np

from modelswap.inventory.errors import InventoryError
from modelswap.inventory.readers._access import no_rule_columns
from modelswap.inventory.readers._sql import record_select
from modelswap.inventory.readers.base import RecordQuery
from modelswap.inventory.rules import RuleInputs
from modelswap.store import Store, StoreError, open_store
from modelswap.store.requests_repo import EXPORT_COLUMNS

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
if (
    tuple(name for name, _ in COLUMNS) != EXPORT_COLUMNS
):  # the DuckDB types follow the store's export, column for column
    raise AssertionError(f"inventory store reader columns differ from the store's export: {EXPORT_COLUMNS}")


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


def copy_requests(con: duckdb.DuckDBPyConnection, store: Store, table: str, *, since: datetime | None = None) -> int:
    """Copy the store's request records (no bodies) into a DuckDB table; returns the row count."""
    typed = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (line BIGINT, {typed})")
    count = 0
    for rows in store.requests.export(since=since, batch=BATCH):
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
