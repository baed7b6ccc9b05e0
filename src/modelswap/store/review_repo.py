"""Review verdicts on shadow pairs and red-team probe outcomes."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.bulk import columns_of, values_of
from modelswap.store.connections import Connections
from modelswap.store.rows import RedteamResultRow, ReviewVerdictRow

_VERDICT = columns_of(ReviewVerdictRow)
_REDTEAM = columns_of(RedteamResultRow)


class ReviewRepo:
    """Reviewers' verdicts and red-team results."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def add_verdicts(self, verdicts: Sequence[ReviewVerdictRow]) -> None:
        """Record reviewers' verdicts on shadow pairs, all or none."""
        for v in verdicts:
            if v.verdict not in ("win", "tie", "loss"):
                raise ValueError(f"review verdict must be win, tie or loss; got {v.verdict!r}")
        if verdicts:
            with self._db.write() as conn:
                conn.execute(t.review_verdicts.insert(), [values_of(v, _VERDICT) for v in verdicts])

    def verdicts(self, workload: str) -> list[ReviewVerdictRow]:
        """All verdicts on a workload's shadow pairs, oldest first."""
        v, s, r = t.review_verdicts, t.shadow_pairs, t.requests
        query = (
            sa.select(v)
            .join(s, s.c.id == v.c.pair_id)
            .join(r, r.c.id == s.c.request_id)
            .where(r.c.workload == workload)
            .order_by(v.c.id)
        )
        with self._db.read() as conn:
            return [ReviewVerdictRow(**row._mapping) for row in conn.execute(query)]

    def add_redteam_results(self, rows: Sequence[RedteamResultRow]) -> None:
        """Record red-team probe outcomes in one transaction."""
        if rows:
            with self._db.write() as conn:
                conn.execute(t.redteam_results.insert(), [values_of(row, _REDTEAM) for row in rows])

    def redteam_results(self, run_id: str) -> list[RedteamResultRow]:
        """A red-team run's results, in the order they were recorded."""
        rt = t.redteam_results
        with self._db.read() as conn:
            rows = conn.execute(sa.select(rt).where(rt.c.run_id == run_id).order_by(rt.c.id))
            return [RedteamResultRow(**row._mapping) for row in rows]
