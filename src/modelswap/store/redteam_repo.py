"""Red-team runs in the store: which runs a workload has, and which outcomes a run already holds.

Outcomes are written by ``store.review.add_redteam_results`` and read back per run by
``store.review.redteam_results``; these queries find the runs.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.store import Store


def redteam_runs(store: Store, workload: str | None = None) -> list[tuple[str, datetime]]:
    """Red-team runs (id, first result time), newest first; only ``workload``'s when given."""
    rt = t.redteam_results
    query = sa.select(rt.c.run_id, sa.func.min(rt.c.ts)).group_by(rt.c.run_id)
    if workload is not None:
        query = query.where(rt.c.workload == workload)
    with store.engine.connect() as conn:
        rows = [(run_id, ts) for run_id, ts in conn.execute(query)]
    return sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)


def latest_redteam_run(store: Store, workload: str | None = None) -> str | None:
    """The newest red-team run (of ``workload``, when given), or None."""
    runs = redteam_runs(store, workload)
    return runs[0][0] if runs else None
