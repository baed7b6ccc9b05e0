"""What the rollout analysis reads: one arm's requests in a time window, and users' feedback.

Columns come back as plain lists, ready for numpy; bodies only for the latest few successful
requests (enough to score live answers without reading a whole day of traffic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.connections import Connections
from modelswap.store.rows import Json


@dataclass(slots=True)
class ArmWindow:
    """One arm's requests of one workload in ``[since, until)``."""

    failed: list[bool] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    """Of the successful requests."""
    ttft_ms: list[float] = field(default_factory=list)
    """Of the successful streams that reported one."""
    cost_usd: list[float] = field(default_factory=list)
    """Of the successful priced requests."""
    bodies: list[tuple[Json | None, Json | None]] = field(default_factory=list)
    """(request, response) bodies of the latest successful requests, newest first."""
    feedback: list[float] = field(default_factory=list)
    """Scores (0 bad … 1 good) users gave this arm's answers."""


class CanaryRepo:
    """Windows of requests per arm, and the feedback users send."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def add_feedback(self, request_id: str, score: float, ts: datetime) -> int:
        """Store one score (0 bad … 1 good) for a served request; returns its id."""
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"feedback score is between 0 and 1, got {score}")
        stmt = t.feedback.insert().values(request_id=request_id, ts=ts, score=score).returning(t.feedback.c.id)
        with self._db.write() as conn:
            return int(conn.execute(stmt).scalar_one())

    def window(
        self, workload: str, arm: str, since: datetime, until: datetime | None = None, *, bodies: int = 0
    ) -> ArmWindow:
        """``arm``'s requests for ``workload`` in ``[since, until)``, with up to ``bodies`` latest bodies."""
        r = t.requests
        where = [r.c.workload == workload, r.c.arm == arm, r.c.ts >= since]
        if until is not None:
            where.append(r.c.ts < until)
        ok = sa.and_(r.c.status >= 200, r.c.status < 300)
        out = ArmWindow()
        with self._db.read() as conn:
            query = sa.select(ok.label("ok"), r.c.latency_ms, r.c.ttft_ms, r.c.cost_usd).where(*where)
            for good, latency, ttft, cost in conn.execute(query):
                out.failed.append(not good)
                if good:
                    out.latency_ms.append(float(latency))
                    if ttft is not None:
                        out.ttft_ms.append(float(ttft))
                    if cost is not None:
                        out.cost_usd.append(float(cost))
            if bodies > 0:
                recent = (
                    sa.select(r.c.request_body, r.c.response_body)
                    .where(*where, ok)
                    .order_by(r.c.ts.desc())
                    .limit(bodies)
                )
                out.bodies = [(req, resp) for req, resp in conn.execute(recent)]
            f = t.feedback
            scores = sa.select(f.c.score).join(r, r.c.id == f.c.request_id).where(*where)
            out.feedback = [float(s) for (s,) in conn.execute(scores)]
        return out
