"""Redaction in a child process: the same result as in the gateway's process, and nothing lost when it fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from modelswap.gateway.recorder import Recorder
from modelswap.gateway.redact import redact
from modelswap.gateway.redact.worker import UNCHANGED, RedactionWorker
from modelswap.store import Store

from .conftest import sample
from .test_recorder import EMAIL, KEY, recorder_metrics, request, stored
from .test_redact_fuzz import JSON

SECRET_BODY = {"messages": [{"role": "user", "content": f"my key is {KEY}, mail me at {EMAIL}"}]}
PLAIN_BODY = {"messages": [{"role": "user", "content": "where is my order?"}]}


@pytest.fixture(scope="module")
def worker() -> Iterator[RedactionWorker]:
    w = RedactionWorker()
    yield w
    w.close()


def test_the_child_masks_what_this_process_masks_and_says_when_nothing_changed(worker: RedactionWorker) -> None:
    bodies = [[SECRET_BODY, {"choices": [{"message": {"content": EMAIL}}]}], [PLAIN_BODY, None]]
    assert worker.keep_all(bodies, pii=True) == [redact(bodies[0], True), UNCHANGED]
    assert worker.keep_all(bodies, pii=False) == [redact(bodies[0], False), UNCHANGED]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(JSON, JSON)
def test_any_json_comes_back_as_this_process_would_keep_it(worker: RedactionWorker, req: Any, resp: Any) -> None:
    bodies = [req, resp]
    [kept] = worker.keep_all([bodies], pii=True)
    if kept is None:  # left to the caller: only what JSON cannot carry (here, integers past 64 bits)
        with pytest.raises(TypeError):
            orjson.dumps(bodies)
        return
    expected = redact(bodies, True)
    assert kept == (UNCHANGED if expected is bodies else expected)


def test_bodies_json_cannot_carry_are_left_to_the_caller(worker: RedactionWorker) -> None:
    lone_surrogate = {"content": "key \ud800 " + KEY}
    assert worker.keep_all([[lone_surrogate, None], [PLAIN_BODY, None]], pii=True) == [None, UNCHANGED]


def test_a_killed_child_is_replaced_and_the_batch_still_redacted() -> None:
    worker = RedactionWorker()
    try:
        assert worker.keep_all([[PLAIN_BODY, None]], pii=True) == [UNCHANGED]
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.keep_all([[SECRET_BODY, None]], pii=True) == [redact([SECRET_BODY, None], True)]
        assert worker.restarts == 1
    finally:
        worker.close()


@pytest.mark.parametrize("size", [0, 2_000_000], ids=["small batch", "batch larger than a pipe holds"])
def test_a_child_that_stops_answering_is_killed_and_the_batch_sent_again(size: int) -> None:
    worker = RedactionWorker(timeout_s=1.0)
    body = {**SECRET_BODY, "padding": "x" * size}
    try:
        worker.keep_all([[PLAIN_BODY, None]], pii=True)
        assert worker.pid is not None
        stuck = worker.pid
        os.kill(stuck, signal.SIGSTOP)  # alive, but neither reads nor answers
        assert worker.keep_all([[body, None]], pii=True) == [redact([body, None], True)]
        assert (worker.failures, worker.restarts) == (1, 1)
        assert worker.pid != stuck
    finally:
        worker.close()


class NeverStarts(RedactionWorker):
    """A worker whose child exits at once, every time."""

    def _start(self) -> subprocess.Popen[bytes]:
        self._child = subprocess.Popen(
            [sys.executable, "-c", "pass"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
        )
        return self._child


def test_the_recorder_redacts_in_its_own_process_when_no_child_can_answer(store: Store) -> None:
    recorder = Recorder(store, "redacted", redact_in_worker=True)
    recorder.writer.worker = NeverStarts()
    row = request(SECRET_BODY)
    recorder.add_request(row)
    assert recorder.flush() == 1
    [kept], _ = stored(store)
    assert KEY not in str(kept.request_body) and EMAIL not in str(kept.request_body)
    assert EMAIL not in str(kept.response_body)
    assert kept.error is None
    assert recorder.health().state.redaction_failures == 2  # the first child, then its replacement
    assert sample(recorder_metrics(recorder), "modelswap_recorder_redaction_failures_total") == 2
    recorder.close()


def test_no_record_is_lost_or_stored_in_clear_when_the_child_dies_between_batches(store: Store) -> None:
    recorder = Recorder(store, "redacted", redact_in_worker=True)
    rows = [request(SECRET_BODY) for _ in range(30)] + [request(PLAIN_BODY) for _ in range(30)]
    for k, row in enumerate(rows):
        recorder.add_request(row)
        if k % 10 == 9:
            recorder.flush()
            worker = recorder.writer.worker
            assert worker is not None and worker.pid is not None
            os.kill(worker.pid, signal.SIGKILL)
    recorder.close()
    kept, _ = stored(store)
    assert len(kept) == len(rows)
    assert not any(KEY in str(r.request_body) or EMAIL in str(r.response_body) for r in kept)
    assert sum("where is my order?" in str(r.request_body) for r in kept) == 30
