"""The recorder: request records and shadow pairs written to the store off the serving path.

Requests hand rows over with an O(1) append; a writer thread flushes them in batches
every ``flush_interval_s`` (≤ 1 s lost on a crash). Memory is bounded: past
``max_pending`` rows, new rows are dropped and counted instead of slowing requests.
``close`` flushes everything (a graceful stop loses nothing). Body policy (full,
redacted, none) is applied in the writer thread, never on the serving path; with
``redact_in_worker`` (the gateway's choice) the redaction itself runs in a child process
(``redact.worker``), so its CPU does not hold the GIL the event loop needs.

This module is the queue and its threads; writing one batch so that no record can stop the
others (reduced rows, a refused batch split in halves) is ``record_writer``. While the store
is unreachable, rows wait in memory (up to the bound) and are retried with backoff. A
supervisor thread restarts the writer if it ever stops. ``health()`` says when records are
not being written, for ``/healthz``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from modelswap.gateway.record_writer import RecordStore, RecordWriter, failure_reason
from modelswap.gateway.recorder_health import DROP_REASONS, RecorderHealth, RecorderState, judge
from modelswap.gateway.redact import Policy
from modelswap.gateway.redact.worker import RedactionWorker
from modelswap.store import RequestRow, ShadowPairRow

log = logging.getLogger("modelswap.recorder")

_PAIR_WAIT_S = 300.0  # a shadow pair waits this long for its request's record before it is dropped
_MAX_BACKOFF_S = 2.0  # longest wait between retries while the store refuses writes
_MAX_RESTART_DELAY_S = 5.0


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
        self.flush_interval_s = flush_interval_s
        self.max_pending = max_pending
        self.batch_max = batch_max
        self.stall_s = stall_s
        self._requests: deque[RequestRow] = deque()
        self._pairs: deque[ShadowPairRow] = deque()
        self._waiting: list[tuple[float, ShadowPairRow]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._writer_thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._dropped = dict.fromkeys(DROP_REASONS, 0)
        self._last_drop: float | None = None
        self.restarts = 0
        self.writer = RecordWriter(
            store,
            policy,
            RedactionWorker() if redact_in_worker else None,
            self._drop,
            lambda: len(self._requests) + len(self._pairs),
            max_pending,
        )
        """Writes each batch (body policy, refused rows, store outages)."""

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

    @property
    def written(self) -> int:
        """Records written so far (reduced ones included)."""
        return self.writer.written

    @property
    def failures(self) -> int:
        """Writes that failed because the store was unavailable."""
        return self.writer.failures

    @property
    def reduced(self) -> int:
        """Records stored without their bodies (or usage figures)."""
        return self.writer.reduced

    # -- health --------------------------------------------------------------------------------

    def health(self) -> RecorderHealth:
        """``ok`` or ``degraded`` with reasons (see ``recorder_health.judge``)."""
        now = time.monotonic()
        writer = self._writer_thread
        state = RecorderState(
            running=self._supervisor is not None and not self._stop.is_set(),
            writer_alive=writer is not None and writer.is_alive(),
            pending=len(self._requests) + len(self._pairs),
            max_pending=self.max_pending,
            since_write_s=now - self.writer.last_ok,
            failing_s=None if self.writer.failing_since is None else now - self.writer.failing_since,
            last_error=self.writer.last_error,
            since_drop_s=None if self._last_drop is None else now - self._last_drop,
            dropped=dict(self._dropped),
            written=self.written,
            reduced=self.reduced,
            restarts=self.restarts,
            redaction_failures=0 if self.writer.worker is None else self.writer.worker.failures,
        )
        return judge(state, self.stall_s)

    # -- threads -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer, and a supervisor that restarts it whenever it stops."""
        if self._supervisor is None:
            if self.writer.worker is not None:
                self.writer.worker.start()
            self.writer.last_ok = time.monotonic()
            self._start_writer()
            self._supervisor = threading.Thread(
                target=self._supervise, name="modelswap-recorder-supervisor", daemon=True
            )
            self._supervisor.start()

    def _start_writer(self) -> None:
        self._writer_thread = threading.Thread(target=self._write_forever, name="modelswap-recorder", daemon=True)
        self._writer_thread.start()

    def _supervise(self) -> None:
        while True:
            if self._writer_thread is not None:
                self._writer_thread.join()
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
            log.error("recorder: the writer thread failed: %s", failure_reason(exc))

    def _run(self) -> None:
        backoff = self.flush_interval_s
        while not self._stop.is_set():
            self._wake.wait(backoff if self.writer.failing_since is not None else self.flush_interval_s)
            self._wake.clear()
            try:
                self.flush()
            except Exception as exc:  # a bug here must not stop the records that follow
                log.error("recorder: flushing failed unexpectedly: %s", failure_reason(exc), exc_info=True)
            backoff = (
                min(backoff * 2, _MAX_BACKOFF_S) if self.writer.failing_since is not None else self.flush_interval_s
            )

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
                self.writer.store_ok()  # per batch: a long backlog being written is not a stall
                if not (self._requests or self._pairs):
                    return total

    def _take(self) -> tuple[list[RequestRow], list[ShadowPairRow]]:
        requests = [self._requests.popleft() for _ in range(min(len(self._requests), self.batch_max))]
        fresh = [self._pairs.popleft() for _ in range(min(len(self._pairs), self.batch_max))]
        ids = {r.id for r in requests}
        now = time.monotonic()
        pairs, waiting = [], []
        for since, pair in [*self._waiting, *((now, p) for p in fresh)]:
            if pair.request_id in ids or pair.request_id in self.writer.written_ids:
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
            requests[:] = zip(raw_requests, self.writer.prepare_all(raw_requests), strict=True)
            pairs[:] = zip(raw_pairs, self.writer.prepare_all(raw_pairs), strict=True)
            written = self.writer.write(requests, pairs)
        finally:
            self._requeue([r for r, _ in requests], [p for p, _ in pairs])
        return written, not requests and not pairs

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
            log.error("recorder: the final flush failed: %s", failure_reason(exc), exc_info=True)
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
        if self.writer.worker is not None:
            self.writer.worker.close()
