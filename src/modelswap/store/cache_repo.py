"""The response cache: answers already paid for, by the hash of what was asked (the first one kept)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.bulk import columns_of, values_of
from modelswap.store.connections import Connections
from modelswap.store.rows import CachedResponse

_CACHE = columns_of(CachedResponse, skip=frozenset())
_CHUNK = 500
"""Keys per ``IN (...)`` query when reading many entries."""


class ResponseCacheRepo:
    """Cached responses by ``key_hash``."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def get(self, key_hash: str) -> CachedResponse | None:
        """A response already paid for, or None."""
        c = t.response_cache
        with self._db.read() as conn:
            row = conn.execute(sa.select(c).where(c.c.key_hash == key_hash)).first()
        return None if row is None else CachedResponse(**row._mapping)

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedResponse]:
        """The entries stored among ``keys``, read in a few queries."""
        c = t.response_cache
        wanted = list(dict.fromkeys(keys))
        found: dict[str, CachedResponse] = {}
        with self._db.read() as conn:
            for i in range(0, len(wanted), _CHUNK):
                for row in conn.execute(sa.select(c).where(c.c.key_hash.in_(wanted[i : i + _CHUNK]))):
                    found[row.key_hash] = CachedResponse(**row._mapping)
        return found

    def put(self, entry: CachedResponse) -> bool:
        """Keep a response for reuse; the first one stored for a key wins. True if stored."""
        with self._db.write() as conn:
            stmt = t.insert_ignoring_conflicts(conn.dialect.name, t.response_cache)
            stmt = stmt.values(values_of(entry, _CACHE)).returning(t.response_cache.c.key_hash)
            return conn.execute(stmt).first() is not None

    def put_many(self, entries: Sequence[CachedResponse]) -> int:
        """Store many entries in one transaction (the first one stored for a key wins); how many were new."""
        if not entries:
            return 0
        with self._db.write() as conn:
            stmt = t.insert_ignoring_conflicts(conn.dialect.name, t.response_cache)
            result = conn.execute(stmt, [values_of(e, _CACHE) for e in entries])
            return max(result.rowcount, 0)
