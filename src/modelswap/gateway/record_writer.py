"""Writing one batch of records into the store, so that no record can stop the others.

Bodies are kept under the body policy (redacted in the worker process when there is one);
a row whose body cannot be redacted is stored reduced. A batch the store refuses is split in
halves until the refused rows are alone; each is stored reduced (without bodies, then without
usage figures too), its ``error`` saying why, or dropped. An unreachable store is noticed
(``failing_since``), logged once and then every ``_REPEAT_LOG_S``, and what could not be written
is left for the recorder to queue again.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from modelswap.gateway.records import error_text
from modelswap.gateway.redact import Policy, keep, keep_request
from modelswap.gateway.redact.worker import UNCHANGED, RedactionWorker
from modelswap.providers.safe_text import MAX_ERROR_CHARS
from modelswap.store import RequestRow, ShadowPairRow
from modelswap.store.errors import driver_error as _inner
from modelswap.store.errors import store_unavailable

log = logging.getLogger("modelswap.recorder")

_RECENT_IDS = 200_000
_REPEAT_LOG_S = 30.0  # while the store stays down, one log line this often

Row = TypeVar("Row", RequestRow, ShadowPairRow)


class RecordStore(Protocol):
    """What the recorder needs of a store (``modelswap.store.Store`` is one)."""

    def insert_records(self, requests: Sequence[RequestRow], shadow_pairs: Sequence[ShadowPairRow]) -> None: ...


def failure_reason(exc: BaseException) -> str:
    """Why a write failed, safe to store and log: class and first line, never SQL parameters."""
    inner = _inner(exc)
    return error_text(inner, str(inner).split("\n", 1)[0][:300])


class RecordWriter:
    """Writes batches into ``store``; counts what was written, reduced and failed."""

    def __init__(
        self,
        store: RecordStore,
        policy: Policy,
        worker: RedactionWorker | None,
        on_drop: Callable[[str], None],
        pending: Callable[[], int],
        max_pending: int,
    ) -> None:
        self.store = store
        self.policy: Policy = policy
        self.worker = worker
        self.on_drop = on_drop
        """Counts a record dropped, by reason (the recorder's drop counter)."""
        self.pending = pending
        """How many rows wait in the recorder's queues (for the log)."""
        self.max_pending = max_pending
        self.written_ids: OrderedDict[str, None] = OrderedDict()
        """Ids of recently written requests, so their shadow pairs can follow."""
        self.last_ok = time.monotonic()
        self.failing_since: float | None = None
        self.last_error: str | None = None
        self._last_log = 0.0
        self.written = 0
        self.failures = 0
        self.reduced = 0

    def prepare_all(self, rows: list[Row]) -> list[Row]:
        """``rows`` as stored under the body policy, their bodies redacted by the worker process if there
        is one (what it cannot do, it leaves to ``_prepare`` here)."""
        todo = [i for i, row in enumerate(rows) if _bodies(row) != [None, None]]
        if self.worker is None or self.policy == "none" or not todo:
            return [self._prepare(row) for row in rows]
        try:
            results = self.worker.keep_all([_bodies(rows[i]) for i in todo], pii=self.policy == "redacted")
        except Exception as exc:  # a bug in the hand-over must not stop the records: redact them here
            log.error("recorder: the redaction worker could not be used: %s", failure_reason(exc), exc_info=True)
            return [self._prepare(row) for row in rows]
        out = list(rows)
        for i, kept in zip(todo, results, strict=True):
            if kept is not UNCHANGED:
                out[i] = (
                    self._prepare(rows[i]) if kept is None or isinstance(kept, str) else _with_bodies(rows[i], kept)
                )
        return out

    def _prepare(self, row: Row) -> Row:
        """``row`` as stored under the body policy; reduced if its bodies cannot be redacted."""
        # every policy goes through ``keep``: even ``full`` masks secrets (a key pasted into a prompt);
        # rows without bodies (the serving path leaves them out under ``none``) need no copy
        try:
            if isinstance(row, RequestRow):
                return keep_request(row, self.policy)
            return (
                row if row.response_body is None else replace(row, response_body=keep(row.response_body, self.policy))
            )
        except Exception as exc:  # e.g. RecursionError on a body nested beyond any sense
            why = f"its body could not be redacted ({failure_reason(exc)})"
            self.reduced += 1
            log.warning("recorder: %s kept without bodies: %s", _row_name(row), why)
            return _reduced(row, why)

    def write(
        self, requests: list[tuple[RequestRow, RequestRow]], pairs: list[tuple[ShadowPairRow, ShadowPairRow]]
    ) -> int:
        """Insert ``requests`` then ``pairs`` (``(queued, prepared)`` each), removing what was
        written from both lists. One transaction when the store takes them all; otherwise halves."""
        n = len(requests) + len(pairs)
        try:
            self.store.insert_records([p for _, p in requests], [p for _, p in pairs])
        except Exception as exc:
            if store_unavailable(exc):
                self._store_failed(exc)
                return 0
            log.warning("recorder: the store refused a batch of %d records (%s); finding which", n, failure_reason(exc))
        else:
            self._mark_written([r for _, r in requests])
            requests.clear()
            pairs.clear()
            self.written += n
            return n
        written = self._bisect(requests, lambda rows: self.store.insert_records(rows, ()))
        if not requests:
            written += self._bisect(pairs, lambda rows: self.store.insert_records((), rows))
        return written

    def _bisect(self, entries: list[tuple[Row, Row]], insert: Callable[[list[Row]], None]) -> int:
        """Write ``entries`` in ever smaller groups until each refused row is alone, then reduce it.
        Leaves in ``entries`` what could not be tried because the store became unreachable."""
        stack: list[list[tuple[Row, Row]]] = [list(entries)]
        written = 0
        chunk: list[tuple[Row, Row]] = []
        try:
            while stack:
                chunk = stack.pop()
                try:
                    insert([prepared for _, prepared in chunk])
                except Exception as exc:
                    if store_unavailable(exc):
                        self._store_failed(exc)
                        return written
                    if len(chunk) > 1:
                        stack += [chunk[len(chunk) // 2 :], chunk[: len(chunk) // 2]]
                        chunk = []
                        continue
                    stored = self._write_reduced(chunk[0][1], exc, insert)
                    if stored is None:
                        return written
                    written += stored
                else:
                    self._mark_written([prepared for _, prepared in chunk])
                    self.written += len(chunk)
                    written += len(chunk)
                chunk = []
            return written
        finally:  # whatever was not written (the chunk in hand, then the rest in order) stays queued
            entries[:] = chunk + [e for c in reversed(stack) for e in c]

    def _write_reduced(self, row: Row, refused: Exception, insert: Callable[[list[Row]], None]) -> int | None:
        """Store ``row`` reduced: 1 if stored, 0 if dropped, None if the store became unreachable."""
        why = f"the store refused it ({failure_reason(refused)})"
        for minimal in (False, True):
            small = _reduced(row, why, minimal=minimal)
            try:
                insert([small])
            except Exception as exc:
                if store_unavailable(exc):
                    self._store_failed(exc)
                    return None
                continue
            self.reduced += 1
            self.written += 1
            self._mark_written([small])
            log.warning("recorder: %s stored without its bodies: %s", _row_name(row), why)
            return 1
        self.on_drop("unstorable")
        log.error("recorder: %s could not be stored even without its bodies (%s); dropped", _row_name(row), why)
        return 0

    def _mark_written(self, rows: Sequence[RequestRow | ShadowPairRow]) -> None:
        for r in rows:
            if isinstance(r, RequestRow):
                self.written_ids[r.id] = None
        while len(self.written_ids) > _RECENT_IDS:
            self.written_ids.popitem(last=False)

    def _store_failed(self, exc: BaseException) -> None:
        self.failures += 1
        now = time.monotonic()
        self.last_error = type(_inner(exc)).__name__
        if self.failing_since is None:
            self.failing_since = self._last_log = now
            log.error(
                "recorder: the store cannot take records (%s); they wait in memory (up to %d) and are retried",
                failure_reason(exc),
                self.max_pending,
            )
        elif now - self._last_log >= _REPEAT_LOG_S:
            self._last_log = now
            log.warning(
                "recorder: the store still cannot take records after %.0f s (%s); %d waiting",
                now - self.failing_since,
                failure_reason(exc),
                self.pending(),
            )

    def store_ok(self) -> None:
        """A batch was written: the store takes records (again)."""
        self.last_ok = time.monotonic()
        if self.failing_since is not None:
            log.warning("recorder: the store takes records again after %.0f s", self.last_ok - self.failing_since)
            self.failing_since = None


def _reduced(row: Row, why: str, *, minimal: bool = False) -> Row:
    """``row`` without bodies (``minimal``: without usage figures too), its ``error`` saying why."""
    error = f"{row.error}; record reduced: {why}" if row.error else f"record reduced: {why}"
    row = replace(row, response_body=None, error=error[: 2 * MAX_ERROR_CHARS])
    if isinstance(row, RequestRow):
        row = replace(row, request_body=None)
        if minimal:
            row = replace(row, sticky_key_hash=None)
    if minimal:
        row = replace(
            row,
            ttft_ms=None,
            prompt_tokens=None,
            completion_tokens=None,
            cached_tokens=None,
            reasoning_tokens=None,
            cost_usd=None,
        )
    return row


def _bodies(row: RequestRow | ShadowPairRow) -> list[Any]:
    return [row.request_body if isinstance(row, RequestRow) else None, row.response_body]


def _with_bodies(row: Row, kept: list[Any]) -> Row:
    if isinstance(row, RequestRow):
        return replace(row, request_body=kept[0], response_body=kept[1])
    return replace(row, response_body=kept[1])


def _row_name(row: RequestRow | ShadowPairRow) -> str:
    return f"request record {row.id}" if isinstance(row, RequestRow) else f"shadow pair of request {row.request_id}"
