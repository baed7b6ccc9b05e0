"""The recorder: request records and shadow pairs written to the store off the serving path.

Requests hand rows over with an O(1) append; a writer thread flushes them in batches
every ``flush_interval_s`` (≤ 1 s lost on a crash). Memory is bounded: past
``max_pending`` rows, new rows are dropped and counted instead of slowing requests.
``close`` flushes everything (a graceful stop loses nothing). Body policy (full,
redacted, none) is applied in the writer thread, never on the serving path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from dataclasses import replace

from modelswap.gateway.redact import Policy, keep, keep_request
from modelswap.store import RequestRow, ShadowPairRow, Store

log = logging.getLogger("modelswap.recorder")

_PAIR_WAIT_S = 300.0  # a shadow pair waits this long for its request's record before it is dropped
_RECENT_IDS = 200_000


class Recorder:
    """Batches records into the store from a background thread."""

    def __init__(
        self,
        store: Store,
        policy: Policy = "redacted",
        *,
        flush_interval_s: float = 0.25,
        max_pending: int = 100_000,
        batch_max: int = 5_000,
    ) -> None:
        self.store = store
        self.policy: Policy = policy
        self.flush_interval_s = flush_interval_s
        self.max_pending = max_pending
        self.batch_max = batch_max
        self._requests: deque[RequestRow] = deque()
        self._pairs: deque[ShadowPairRow] = deque()
        self._waiting: list[tuple[float, ShadowPairRow]] = []
        self._written: OrderedDict[str, None] = OrderedDict()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.dropped = 0
        self.written = 0
        self.failures = 0

    # -- serving side (any thread, never blocks) -----------------------------------------------

    @property
    def depth(self) -> int:
        return len(self._requests) + len(self._pairs) + len(self._waiting)

    def add_request(self, row: RequestRow) -> None:
        if len(self._requests) + len(self._pairs) >= self.max_pending:
            self.dropped += 1
            return
        self._requests.append(row)

    def add_pair(self, row: ShadowPairRow) -> None:
        # pairs waiting for their request count too (so memory stays bounded), but they never
        # crowd out requests: a pair whose request was dropped waits in vain
        if self.depth >= self.max_pending:
            self.dropped += 1
            return
        self._pairs.append(row)

    # -- writer side ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="modelswap-recorder", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            self.flush()

    def flush(self) -> int:
        """Write everything pending now; returns the number of rows written."""
        with self._lock:
            total = 0
            while True:
                written, ok = self._flush_batch()
                total += written
                if not ok or not (self._requests or self._pairs):
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
                self.dropped += 1
        self._waiting = waiting
        return requests, pairs

    def _flush_batch(self) -> tuple[int, bool]:
        """Write one batch: (rows written, whether the store took it)."""
        raw_requests, raw_pairs = self._take()
        if not raw_requests and not raw_pairs:
            return 0, True
        # every policy goes through ``keep``: even ``full`` masks secrets (a key pasted into a prompt);
        # rows without bodies (the serving path leaves them out under ``none``) need no copy
        requests = [keep_request(r, self.policy) for r in raw_requests]
        pairs = [
            p if p.response_body is None else replace(p, response_body=keep(p.response_body, self.policy))
            for p in raw_pairs
        ]
        try:
            self.store.insert_records(requests, pairs)
        except Exception:
            self.failures += 1
            log.exception("recorder: writing %d records failed; will retry", len(requests) + len(pairs))
            self._requeue(raw_requests, raw_pairs)
            return 0, False
        for r in requests:
            self._written[r.id] = None
        while len(self._written) > _RECENT_IDS:
            self._written.popitem(last=False)
        self.written += len(requests) + len(pairs)
        return len(requests) + len(pairs), True

    def _requeue(self, requests: list[RequestRow], pairs: list[ShadowPairRow]) -> None:
        """Put a failed batch back in front (the store may be restarting), within the memory bound."""
        room = self.max_pending - len(self._requests) - len(self._pairs)
        keep_n = max(0, min(len(requests), room))
        self.dropped += len(requests) - keep_n
        self._requests.extendleft(reversed(requests[:keep_n]))
        now = time.monotonic()
        self._waiting.extend((now, p) for p in pairs)

    def close(self) -> None:
        """Stop the writer and flush everything still pending."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.flush()
        if self._requests or self._pairs:
            lost = len(self._requests) + len(self._pairs)
            log.error("recorder: %d record(s) could not be written at shutdown (store unavailable)", lost)
            self.dropped += lost
            self._requests.clear()
            self._pairs.clear()
        if self._waiting:
            log.warning("recorder: %d shadow pair(s) never matched a recorded request", len(self._waiting))
            self.dropped += len(self._waiting)
            self._waiting = []
