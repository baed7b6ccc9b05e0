"""Responses API answers kept for ``GET /v1/responses/{id}`` and ``previous_response_id``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.connections import Connections
from modelswap.store.rows import StoredResponse


class StoredResponsesRepo:
    """Stored responses by id, pruned by age and count (``prune``)."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def put(self, entry: StoredResponse) -> None:
        """Keep a response (a second one under the same id replaces the first)."""
        r = t.stored_responses
        values = {
            "id": entry.id,
            "created_at": entry.created_at,
            "response": entry.response,
            "input_items": entry.input_items,
        }
        with self._db.write() as conn:
            conn.execute(sa.delete(r).where(r.c.id == entry.id))
            conn.execute(sa.insert(r).values(values))

    def get(self, response_id: str) -> StoredResponse | None:
        """The response stored under ``response_id``, or None."""
        r = t.stored_responses
        with self._db.read() as conn:
            row = conn.execute(sa.select(r).where(r.c.id == response_id)).first()
        return None if row is None else StoredResponse(**row._mapping)

    def delete(self, response_id: str) -> bool:
        """Forget a response; True if it was stored."""
        r = t.stored_responses
        with self._db.write() as conn:
            return conn.execute(sa.delete(r).where(r.c.id == response_id)).rowcount > 0

    def prune(self, *, before: datetime, keep_at_most: int) -> int:
        """Delete responses created before ``before`` and all but the newest ``keep_at_most``; how many went."""
        r = t.stored_responses
        with self._db.write() as conn:
            gone = conn.execute(sa.delete(r).where(r.c.created_at < before)).rowcount
            cutoff = conn.execute(
                sa.select(r.c.created_at).order_by(r.c.created_at.desc()).offset(keep_at_most).limit(1)
            ).scalar_one_or_none()
            if cutoff is not None:
                gone += conn.execute(sa.delete(r).where(r.c.created_at <= cutoff)).rowcount
        return max(gone, 0)
