"""Review verdicts on shadow pairs and red-team probe outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.bulk import columns_of, values_of
from modelswap.store.connections import Connections
from modelswap.store.requests_repo import pair_from_row
from modelswap.store.rows import RecordedPair, RedteamResultRow, ReviewVerdictRow

_VERDICT = columns_of(ReviewVerdictRow)
_REDTEAM = columns_of(RedteamResultRow)
JUDGEMENTS = {"old_better": "loss", "new_better": "win", "same": "tie", "both_bad": "tie"}
"""The four-way verdicts and their win/tie/loss reading for the new model."""


@dataclass(frozen=True, slots=True)
class SamplePair:
    """A pair in a stored review set: its place, diff score, inclusion probability and weight."""

    pair_id: int
    workload: str
    position: int
    score: float
    probability: float
    weight: float


@dataclass(frozen=True, slots=True)
class ReviewSample:
    """A stored review set."""

    id: int
    created_at: datetime
    created_by: str
    spec: dict[str, Any]
    pairs: tuple[SamplePair, ...]


class ReviewRepo:
    """Reviewers' verdicts and red-team results."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def add_verdicts(self, verdicts: Sequence[ReviewVerdictRow]) -> None:
        """Record reviewers' verdicts on shadow pairs, all or none."""
        for v in verdicts:
            if v.verdict not in ("win", "tie", "loss"):
                raise ValueError(f"review verdict must be win, tie or loss; got {v.verdict!r}")
            if v.judgement is not None and JUDGEMENTS.get(v.judgement) != v.verdict:
                raise ValueError(f"judgement {v.judgement!r} does not read as verdict {v.verdict!r}")
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

    def sample_verdicts(self, sample_id: int) -> list[ReviewVerdictRow]:
        """Every verdict given on a review set's pairs, oldest first (the audit trail)."""
        v = t.review_verdicts
        query = sa.select(v).where(v.c.sample_id == sample_id).order_by(v.c.id)
        with self._db.read() as conn:
            return [ReviewVerdictRow(**row._mapping) for row in conn.execute(query)]

    def reviewable_pairs(self, workloads: Sequence[str], *, limit: int = 100_000) -> list[RecordedPair]:
        """Served requests of these workloads with a shadow answer, oldest first (at most ``limit``)."""
        r, s = t.requests, t.shadow_pairs
        query = (
            sa.select(r, s)
            .join(s, s.c.request_id == r.c.id)
            .where(r.c.workload.in_(list(workloads)))
            .order_by(s.c.id)
            .limit(limit)
        )
        with self._db.read() as conn:
            return [pair_from_row(row) for row in conn.execute(query)]

    def add_sample(
        self, created_at: datetime, created_by: str, spec: dict[str, Any], pairs: Sequence[SamplePair]
    ) -> int:
        """Store a drawn review set with its pairs in one transaction; returns its id."""
        with self._db.write() as conn:
            sample_id = conn.execute(
                t.review_samples.insert().values(created_at=created_at, created_by=created_by, spec=spec)
            ).inserted_primary_key
            assert sample_id is not None
            new_id = int(sample_id[0])
            if pairs:
                rows = [
                    {
                        "sample_id": new_id,
                        "pair_id": p.pair_id,
                        "workload": p.workload,
                        "position": p.position,
                        "score": p.score,
                        "probability": p.probability,
                        "weight": p.weight,
                    }
                    for p in pairs
                ]
                conn.execute(t.review_sample_pairs.insert(), rows)
        return new_id

    def sample(self, sample_id: int | None = None) -> ReviewSample | None:
        """A stored review set (the latest when ``sample_id`` is None), or None if there is none."""
        rs, rp = t.review_samples, t.review_sample_pairs
        with self._db.read() as conn:
            query = sa.select(rs).order_by(rs.c.id.desc()).limit(1)
            if sample_id is not None:
                query = sa.select(rs).where(rs.c.id == sample_id)
            head = conn.execute(query).first()
            if head is None:
                return None
            rows = conn.execute(sa.select(rp).where(rp.c.sample_id == head.id).order_by(rp.c.position))
            pairs = tuple(SamplePair(r.pair_id, r.workload, r.position, r.score, r.probability, r.weight) for r in rows)
        return ReviewSample(head.id, head.created_at, head.created_by, dict(head.spec), pairs)

    def pairs_by_id(self, pair_ids: Sequence[int]) -> dict[int, RecordedPair]:
        """Shadow pairs with their served requests, by shadow pair id."""
        r, s = t.requests, t.shadow_pairs
        out: dict[int, RecordedPair] = {}
        with self._db.read() as conn:
            for start in range(0, len(pair_ids), 500):
                chunk = list(pair_ids[start : start + 500])
                query = sa.select(r, s).join(s, s.c.request_id == r.c.id).where(s.c.id.in_(chunk))
                for row in conn.execute(query):
                    pair = pair_from_row(row)
                    assert pair.shadow.id is not None
                    out[pair.shadow.id] = pair
        return out

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
