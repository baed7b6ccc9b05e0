"""The recorder: request records and shadow pairs written to the store off the serving path.

Requests hand rows over with an O(1) append; a writer thread flushes them in batches
every ``flush_interval_s`` (≤ 1 s lost on a crash). Memory is bounded: past
``max_pending`` rows, new rows are dropped and counted instead of slowing requests.
``close`` flushes everything (a graceful stop loses nothing). Body policy (full,
redacted, none) is applied in the writer thread, never on the serving path; with
``redact_in_worker`` (the gateway's choice) the redaction itself runs in a child process
(``redact.worker``), so its CPU does not hold the GIL the event loop needs.

No record can stop the others. A row whose body cannot be redacted, or that the store
refuses, is stored reduced (without bodies, its ``error`` saying why) and counted; a refused
batch is split in halves until the refused rows are found, so their neighbours are written.
While the store is unreachable, rows wait in memory (up to the bound) and are retried with
backoff. A supervisor thread restarts the writer if it ever stops. ``health()`` says when
records are not being written, for ``/healthz``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from modelswap.gateway.recorder_health import DROP_REASONS, RecorderHealth, RecorderState, judge
from modelswap.gateway.records import error_text
from modelswap.gateway.redact import Policy, keep, keep_request
from modelswap.gateway.redact.worker import UNCHANGED, RedactionWorker
from modelswap.providers.safe_text import MAX_ERROR_CHARS
from modelswap.store import RequestRow, ShadowPairRow
from modelswap.store.errors import driver_error as _inner
from modelswap.store.errors import store_unavailable

log = logging.getLogger("modelswap.recorder")

_PAIR_WAIT_S = 300.0  # a shadow pair waits this long for its request's record before it is dropped
_RECENT_IDS = 200_000
_MAX_BACKOFF_S = 2.0  # longest wait between retries while the store refuses writes
_MAX_RESTART_DELAY_S = 5.0
_REPEAT_LOG_S = 30.0  # while the store stays down, one log line this often

Row = TypeVar("Row", RequestRow, ShadowPairRow)


class RecordStore(Protocol):
    """What the recorder needs of a store (``modelswap.store.Store`` is one)."""

    def insert_records(self, requests: Sequence[RequestRow], shadow_pairs: Sequence[ShadowPairRow]) -> None: ...


def _reason(exc: BaseException) -> str:
    """Why a write failed, safe to store and log: class and first line, never SQL parameters."""
    inner = _inner(exc)
    return error_text(inner, str(inner).split("\n", 1)[0][:300])


def _reduced(row: Row, why: str, *, minimal: bool = False) -> Row:
    """``row`` without bodies (``minimal``: without usage figures too), its ``error`` saying why."""
    error = f"{row.error}; record reduced: {why}" if row.error else f"record reduced: {why}"
    row = replace(row, response_body=None, error=error[: 2 * MAX_ERROR_CHARS])
    if isinstance(row, RequestRow):
        row = replace(row, request_body=None)
        if minimal:
            row = replace(row, sticky_key_hash=None)
    if minimal:
        row = replace(row, ttft_ms=None, prompt_tokens=None, completion_tokens=None, cached_tokens=None, cost_usd=None)
    return row


class Recorder:
    """Batches records into the store from a supervised background thread."""

    def __init__(
        self,
        store: RecordStore,
        policy: Policy = "redacted",
        *,
        flush_interval_s: float = 0.25,
        max_pending: int = 100_000,
        batch_max: int = 5_000,
        stall_s: float = 10.0,
        redact_in_worker: bool = False,
    ) -> None:
        self.store = store
        self.policy: Policy = policy
        self.flush_interval_s = flush_interval_s
        self.max_pending = max_pending
        self.batch_max = batch_max
        self.stall_s = stall_s
        self._worker = RedactionWorker() if redact_in_worker else None
        self._requests: deque[RequestRow] = deque()
        self._pairs: deque[ShadowPairRow] = deque()
        self._waiting: list[tuple[float, ShadowPairRow]] = []
        self._written: OrderedDict[str, None] = OrderedDict()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._writer: threading.Thread | None = None
        self._lock = threading.Lock()
        self._dropped = dict.fromkeys(DROP_REASONS, 0)
        self._last_drop: float | None = None
        self._last_ok = time.monotonic()
        self._failing_since: float | None = None
        self._last_error: str | None = None
        self._last_log = 0.0
        self.written = 0
        self.failures = 0
        self.reduced = 0
        self.restarts = 0

    # -- serving side (any thread, never blocks) -----------------------------------------------

    @property
    def depth(self) -> int:
        return len(self._requests) + len(self._pairs) + len(self._waiting)

    @property
    def dropped(self) -> int:
        """Records dropped so far, for every reason."""
        return sum(self._dropped.values())

    def _drop(self, reason: str, n: int = 1) -> None:
        self._dropped[reason] += n
        self._last_drop = time.monotonic()

    def add_request(self, row: RequestRow) -> None:
        if len(self._requests) + len(self._pairs) >= self.max_pending:
            self._drop("queue_full")
            return
        self._requests.append(row)

    def add_pair(self, row: ShadowPairRow) -> None:
        # pairs waiting for their request count too (so memory stays bounded), but they never
        # crowd out requests: a pair whose request was dropped waits in vain
        if self.depth >= self.max_pending:
            self._drop("queue_full")
            return
        self._pairs.append(row)

    # -- health --------------------------------------------------------------------------------

    def health(self) -> RecorderHealth:
        """``ok`` or ``degraded`` with reasons (see ``recorder_health.judge``)."""
        now = time.monotonic()
        writer = self._writer
        state = RecorderState(
            running=self._supervisor is not None and not self._stop.is_set(),
            writer_alive=writer is not None and writer.is_alive(),
            pending=len(self._requests) + len(self._pairs),
            max_pending=self.max_pending,
            since_write_s=now - self._last_ok,
            failing_s=None if self._failing_since is None else now - self._failing_since,
            last_error=self._last_error,
            since_drop_s=None if self._last_drop is None else now - self._last_drop,
            dropped=dict(self._dropped),
            written=self.written,
            reduced=self.reduced,
            restarts=self.restarts,
            redaction_failures=0 if self._worker is None else self._worker.failures,
        )
        return judge(state, self.stall_s)

    # -- threads -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer, and a supervisor that restarts it whenever it stops."""
        if self._supervisor is None:
            if self._worker is not None:
                self._worker.start()
            self._last_ok = time.monotonic()
            self._start_writer()
            self._supervisor = threading.Thread(
                target=self._supervise, name="modelswap-recorder-supervisor", daemon=True
            )
            self._supervisor.start()

    def _start_writer(self) -> None:
        self._writer = threading.Thread(target=self._write_forever, name="modelswap-recorder", daemon=True)
        self._writer.start()

    def _supervise(self) -> None:
        while True:
            if self._writer is not None:
                self._writer.join()
            if self._stop.is_set():
                return
            self.restarts += 1
            delay = min(0.05 * 2 ** min(self.restarts, 10), _MAX_RESTART_DELAY_S)
            log.error("recorder: the writer thread stopped; restarting it in %.2f s (restart %d)", delay, self.restarts)
            if self._stop.wait(delay):
                return
            self._start_writer()

    def _write_forever(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # anything that ends the writer ends here, in the log
            log.error("recorder: the writer thread failed: %s", _reason(exc))

    def _run(self) -> None:
        backoff = self.flush_interval_s
        while not self._stop.is_set():
            self._wake.wait(backoff if self._failing_since is not None else self.flush_interval_s)
            self._wake.clear()
            try:
                self.flush()
            except Exception as exc:  # a bug here must not stop the records that follow
                log.error("recorder: flushing failed unexpectedly: %s", _reason(exc), exc_info=True)
            backoff = min(backoff * 2, _MAX_BACKOFF_S) if self._failing_since is not None else self.flush_interval_s

    # -- writer side ---------------------------------------------------------------------------

    def flush(self) -> int:
        """Write everything pending now; returns the number of rows written."""
        with self._lock:
            total = 0
            while True:
                written, ok = self._flush_batch()
                total += written
                if not ok:
                    return total
                self._store_ok()  # per batch: a long backlog being written is not a stall
                if not (self._requests or self._pairs):
                    return total

    def _take(self) -> tuple[list[RequestRow], list[ShadowPairRow]]:
        requests = [self._requests.popleft() for _ in range(min(len(self._requests), self.batch_max))]
        fresh = [self._pairs.popleft() for _ in range(min(len(self._pairs), self.batch_max))]
        ids = {r.id for r in requests}
        now = time.monotonic()
        pairs, waiting = [], []
        for since, pair in [*self._waiting, *((now, p) for p in fresh)]:
            if pair.request_id in ids or pair.request_id in self._written:
                pairs.append(pair)
            elif now - since < _PAIR_WAIT_S:
                waiting.append((since, pair))
            else:
                self._drop("unmatched_pair")
        self._waiting = waiting
        return requests, pairs

    def _flush_batch(self) -> tuple[int, bool]:
        """Write one batch: (rows written, whether the store could be written). Whatever is not
        written when the store is unreachable, or when something escapes, goes back in the queue."""
        raw_requests, raw_pairs = self._take()
        if not raw_requests and not raw_pairs:
            return 0, True
        requests = [(r, r) for r in raw_requests]
        pairs = [(p, p) for p in raw_pairs]
        try:
            requests[:] = zip(raw_requests, self._prepare_all(raw_requests), strict=True)
            pairs[:] = zip(raw_pairs, self._prepare_all(raw_pairs), strict=True)
            written = self._write(requests, pairs)
        finally:
            self._requeue([r for r, _ in requests], [p for p, _ in pairs])
        return written, not requests and not pairs

    def _prepare_all(self, rows: list[Row]) -> list[Row]:
        """``rows`` as stored under the body policy, their bodies redacted by the worker process if there
        is one (what it cannot do, it leaves to ``_prepare`` here)."""
        todo = [i for i, row in enumerate(rows) if _bodies(row) != [None, None]]
        if self._worker is None or self.policy == "none" or not todo:
            return [self._prepare(row) for row in rows]
        try:
            results = self._worker.keep_all([_bodies(rows[i]) for i in todo], pii=self.policy == "redacted")
        except Exception as exc:  # a bug in the hand-over must not stop the records: redact them here
            log.error("recorder: the redaction worker could not be used: %s", _reason(exc), exc_info=True)
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
            why = f"its body could not be redacted ({_reason(exc)})"
            self.reduced += 1
            log.warning("recorder: %s kept without bodies: %s", _row_name(row), why)
            return _reduced(row, why)

    def _write(
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
            log.warning("recorder: the store refused a batch of %d records (%s); finding which", n, _reason(exc))
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
        why = f"the store refused it ({_reason(refused)})"
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
        self._drop("unstorable")
        log.error("recorder: %s could not be stored even without its bodies (%s); dropped", _row_name(row), why)
        return 0

    def _mark_written(self, rows: Sequence[RequestRow | ShadowPairRow]) -> None:
        for r in rows:
            if isinstance(r, RequestRow):
                self._written[r.id] = None
        while len(self._written) > _RECENT_IDS:
            self._written.popitem(last=False)

    def _store_failed(self, exc: BaseException) -> None:
        self.failures += 1
        now = time.monotonic()
        self._last_error = type(_inner(exc)).__name__
        pending = len(self._requests) + len(self._pairs)
        if self._failing_since is None:
            self._failing_since = self._last_log = now
            log.error(
                "recorder: the store cannot take records (%s); they wait in memory (up to %d) and are retried",
                _reason(exc),
                self.max_pending,
            )
        elif now - self._last_log >= _REPEAT_LOG_S:
            self._last_log = now
            log.warning(
                "recorder: the store still cannot take records after %.0f s (%s); %d waiting",
                now - self._failing_since,
                _reason(exc),
                pending,
            )

    def _store_ok(self) -> None:
        self._last_ok = time.monotonic()
        if self._failing_since is not None:
            log.warning("recorder: the store takes records again after %.0f s", self._last_ok - self._failing_since)
            self._failing_since = None

    def _requeue(self, requests: list[RequestRow], pairs: list[ShadowPairRow]) -> None:
        """Put unwritten rows back in front (the store may be restarting), within the memory bound."""
        room = self.max_pending - len(self._requests) - len(self._pairs)
        keep_n = max(0, min(len(requests), room))
        if len(requests) > keep_n:
            self._drop("queue_full", len(requests) - keep_n)
        self._requests.extendleft(reversed(requests[:keep_n]))
        now = time.monotonic()
        self._waiting.extend((now, p) for p in pairs)

    def close(self) -> None:
        """Stop the writer and flush everything still pending."""
        self._stop.set()
        self._wake.set()
        if self._supervisor is not None:
            self._supervisor.join()
            self._supervisor = None
        try:
            self.flush()
        except Exception as exc:
            log.error("recorder: the final flush failed: %s", _reason(exc), exc_info=True)
        if self._requests or self._pairs:
            lost = len(self._requests) + len(self._pairs)
            log.error("recorder: %d record(s) could not be written at shutdown (store unavailable)", lost)
            self._drop("shutdown", lost)
            self._requests.clear()
            self._pairs.clear()
        if self._waiting:
            log.warning("recorder: %d shadow pair(s) never matched a recorded request", len(self._waiting))
            self._drop("unmatched_pair", len(self._waiting))
            self._waiting = []
        if self._worker is not None:
            self._worker.close()


def _bodies(row: RequestRow | ShadowPairRow) -> list[Any]:
    return [row.request_body if isinstance(row, RequestRow) else None, row.response_body]


def _with_bodies(row: Row, kept: list[Any]) -> Row:
    if isinstance(row, RequestRow):
        return replace(row, request_body=kept[0], response_body=kept[1])
    return replace(row, response_body=kept[1])


def _row_name(row: RequestRow | ShadowPairRow) -> str:
    return f"request record {row.id}" if isinstance(row, RequestRow) else f"shadow pair of request {row.request_id}"
