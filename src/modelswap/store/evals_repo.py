"""Eval runs and their results: a run is started, its results added as they come, then finished."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from modelswap.store import schema as t
from modelswap.store.bulk import columns_of, values_of
from modelswap.store.connections import Connections
from modelswap.store.errors import DuplicateRowError, StoreError
from modelswap.store.rows import EvalResultRow, EvalRunRow

_EVAL_RUN = columns_of(EvalRunRow, skip=frozenset())
_EVAL_RESULT = columns_of(EvalResultRow)


class EvalsRepo:
    """Eval runs and eval results."""

    def __init__(self, db: Connections) -> None:
        self._db = db

    def start(self, run: EvalRunRow) -> None:
        """Record that an eval run began."""
        with self._db.write() as conn:
            conn.execute(t.eval_runs.insert(), [values_of(run, _EVAL_RUN)])

    def finish(self, run_id: str, *, status: str, finished_at: datetime) -> None:
        """Mark an eval run finished (``status`` e.g. ``finished``, ``failed``, ``cancelled``)."""
        e = t.eval_runs
        with self._db.write() as conn:
            done = conn.execute(sa.update(e).where(e.c.id == run_id).values(status=status, finished_at=finished_at))
            if done.rowcount != 1:
                raise StoreError(f"no eval run with id {run_id!r} in {self._db.display}")

    def run(self, run_id: str) -> EvalRunRow | None:
        """One eval run, or None."""
        with self._db.read() as conn:
            row = conn.execute(sa.select(t.eval_runs).where(t.eval_runs.c.id == run_id)).first()
        return None if row is None else EvalRunRow(**row._mapping)

    def add_results(self, rows: Sequence[EvalResultRow]) -> None:
        """Record eval results in one transaction, all or none.

        Raises ``DuplicateRowError`` (storing none) if a (run, case, arm, scorer) is already stored.
        """
        if not rows:
            return
        try:
            with self._db.write() as conn:
                conn.execute(t.eval_results.insert(), [values_of(row, _EVAL_RESULT) for row in rows])
        except sa.exc.IntegrityError as exc:
            raise DuplicateRowError(f"eval results already stored in {self._db.display}: {exc.orig}") from exc

    def delete_failed_results(self, run_id: str) -> int:
        """Forget a run's results whose call failed (so resuming the run asks those again); how many rows."""
        e = t.eval_results
        with self._db.write() as conn:
            return int(conn.execute(sa.delete(e).where(e.c.run_id == run_id, e.c.error.is_not(None))).rowcount)

    def results(self, run_id: str) -> list[EvalResultRow]:
        """A run's results, ordered by case, arm and scorer."""
        e = t.eval_results
        query = sa.select(e).where(e.c.run_id == run_id).order_by(e.c.case_id, e.c.arm, e.c.scorer)
        with self._db.read() as conn:
            return [EvalResultRow(**row._mapping) for row in conn.execute(query)]
