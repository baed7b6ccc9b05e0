"""The store: modelswap's records, results and shared state (SQLAlchemy Core).

SQLite by default (``sqlite:///modelswap.db``); PostgreSQL (psycopg 3) when several gateway
replicas share state. ``open_store(url)`` creates, upgrades or refuses the schema.

Names are imported on first use (PEP 562), so a light reader such as ``flag_fast`` can live in
this package without loading SQLAlchemy; ``from modelswap.store import Store`` works as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelswap.store.engine import DEFAULT_URL, display_url, normalize_url, store_may_hold_records
    from modelswap.store.errors import (
        DuplicateRowError,
        MigrationError,
        NotAStoreError,
        SchemaTooNewError,
        StoreError,
        StoreURLError,
    )
    from modelswap.store.evidence import EvidenceRow, read_evidence, record_evidence
    from modelswap.store.migrations import SchemaStatus
    from modelswap.store.rows import (
        BaselineRow,
        CachedResponse,
        EvalResultRow,
        EvalRunRow,
        Json,
        PlanTickRow,
        PlanTicks,
        RecordedPair,
        RedteamResultRow,
        RequestRow,
        ReviewVerdictRow,
        RolloutChange,
        RolloutEventRow,
        RolloutStateRow,
        RouteCalibrationRow,
        ShadowPairRow,
        StoredResponse,
        new_id,
    )
    from modelswap.store.schema_version import SCHEMA_VERSION
    from modelswap.store.secrets import STICKY_KEY_SECRET, get_or_create_secret
    from modelswap.store.sessions import (
        ConsoleSession,
        consume_login_link,
        create_session,
        delete_session,
        find_session,
        purge_expired_sessions,
    )
    from modelswap.store.store import Store, open_store

_LAZY: dict[str, str] = {
    "BaselineRow": "modelswap.store.rows",
    "CachedResponse": "modelswap.store.rows",
    "ConsoleSession": "modelswap.store.sessions",
    "DEFAULT_URL": "modelswap.store.engine",
    "DuplicateRowError": "modelswap.store.errors",
    "EvalResultRow": "modelswap.store.rows",
    "EvalRunRow": "modelswap.store.rows",
    "EvidenceRow": "modelswap.store.evidence",
    "Json": "modelswap.store.rows",
    "MigrationError": "modelswap.store.errors",
    "NotAStoreError": "modelswap.store.errors",
    "PlanTickRow": "modelswap.store.rows",
    "PlanTicks": "modelswap.store.rows",
    "RecordedPair": "modelswap.store.rows",
    "RedteamResultRow": "modelswap.store.rows",
    "RequestRow": "modelswap.store.rows",
    "ReviewVerdictRow": "modelswap.store.rows",
    "RolloutChange": "modelswap.store.rows",
    "RolloutEventRow": "modelswap.store.rows",
    "RolloutStateRow": "modelswap.store.rows",
    "RouteCalibrationRow": "modelswap.store.rows",
    "SCHEMA_VERSION": "modelswap.store.schema_version",
    "STICKY_KEY_SECRET": "modelswap.store.secrets",
    "SchemaStatus": "modelswap.store.migrations",
    "SchemaTooNewError": "modelswap.store.errors",
    "ShadowPairRow": "modelswap.store.rows",
    "Store": "modelswap.store.store",
    "StoreError": "modelswap.store.errors",
    "StoreURLError": "modelswap.store.errors",
    "StoredResponse": "modelswap.store.rows",
    "consume_login_link": "modelswap.store.sessions",
    "create_session": "modelswap.store.sessions",
    "delete_session": "modelswap.store.sessions",
    "display_url": "modelswap.store.engine",
    "find_session": "modelswap.store.sessions",
    "get_or_create_secret": "modelswap.store.secrets",
    "new_id": "modelswap.store.rows",
    "normalize_url": "modelswap.store.engine",
    "open_store": "modelswap.store.store",
    "purge_expired_sessions": "modelswap.store.sessions",
    "read_evidence": "modelswap.store.evidence",
    "record_evidence": "modelswap.store.evidence",
    "store_may_hold_records": "modelswap.store.engine",
}
"""Public name → the module that defines it."""


def __getattr__(name: str) -> object:
    """Import a public name from its module on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_URL",
    "SCHEMA_VERSION",
    "STICKY_KEY_SECRET",
    "BaselineRow",
    "CachedResponse",
    "ConsoleSession",
    "DuplicateRowError",
    "EvalResultRow",
    "EvalRunRow",
    "EvidenceRow",
    "Json",
    "MigrationError",
    "NotAStoreError",
    "PlanTickRow",
    "PlanTicks",
    "RecordedPair",
    "RedteamResultRow",
    "RequestRow",
    "ReviewVerdictRow",
    "RolloutChange",
    "RolloutEventRow",
    "RolloutStateRow",
    "RouteCalibrationRow",
    "SchemaStatus",
    "SchemaTooNewError",
    "ShadowPairRow",
    "Store",
    "StoreError",
    "StoreURLError",
    "StoredResponse",
    "consume_login_link",
    "create_session",
    "delete_session",
    "display_url",
    "find_session",
    "get_or_create_secret",
    "new_id",
    "normalize_url",
    "open_store",
    "purge_expired_sessions",
    "read_evidence",
    "record_evidence",
    "store_may_hold_records",
]
