"""The store: modelswap's records, results and shared state (SQLAlchemy Core).

SQLite by default (``sqlite:///modelswap.db``); PostgreSQL (psycopg 3) when several gateway
replicas share state. ``open_store(url)`` creates, upgrades or refuses the schema.
"""

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
from modelswap.store.schema import SCHEMA_VERSION
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
