"""The recorder: batched, bounded, never blocking the serving path, losing nothing on a clean stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from modelswap.config import Migration
from modelswap.gateway.recorder import Recorder
from modelswap.store import RequestRow, ShadowPairRow, Store, new_id, schema

from .conftest import OLD, StartGateway

EMAIL = "jane.doe@example.com"
KEY = "sk-proj-abcdefghijklmnop0123456789"


def request(body: dict[str, Any] | None = None, **kw: Any) -> RequestRow:
    return RequestRow(
        id=kw.pop("id", new_id()),
        ts=datetime.now(UTC),
        workload="w",
        arm="old",
        endpoint="old",
        model=OLD,
        status=200,
        latency_ms=12.0,
        request_body=body,
        response_body={"choices": [{"message": {"content": f"mail {EMAIL}"}}]} if body else None,
        **kw,
    )


def pair(request_id: str, body: dict[str, Any] | None = None) -> ShadowPairRow:
    return ShadowPairRow(
        request_id=request_id, ts=datetime.now(UTC), arm="new", model="gpt-5", status=200, response_body=body
    )


def stored(store: Store) -> tuple[list[RequestRow], list[ShadowPairRow]]:
    with store.engine.connect() as conn:
        reqs = conn.execute(sa.select(schema.requests).order_by(schema.requests.c.ts)).mappings().all()
        prs = conn.execute(sa.select(schema.shadow_pairs).order_by(schema.shadow_pairs.c.id)).mappings().all()
    return [RequestRow(**dict(r)) for r in reqs], [ShadowPairRow(**dict(p)) for p in prs]


class Watched:
    """A real store that counts batches, can fail on demand, and can be held up."""

    def __init__(self, store: Store, failures: int = 0) -> None:
        self.store = store
        self.failures = failures
        self.batches: list[tuple[int, int]] = []
        self.gate = threading.Event()
        self.gate.set()

    def insert_records(self, requests: Sequence[RequestRow], pairs: Sequence[ShadowPairRow]) -> None:
        self.gate.wait(10)
        if self.failures:
            self.failures -= 1
            raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))
        self.store.insert_records(requests, pairs)
        self.batches.append((len(requests), len(pairs)))


def test_rows_are_written_in_batches(store: Store) -> None:
    watched = Watched(store)
    recorder = Recorder(watched, "full", batch_max=3)  # type: ignore[arg-type]
    rows = [request() for _ in range(7)]
    for row in rows:
        recorder.add_request(row)
    assert recorder.depth == 7
    assert recorder.flush() == 7
    assert watched.batches == [(3, 0), (3, 0), (1, 0)]
    assert {r.id for r in stored(store)[0]} == {r.id for r in rows}
    assert (recorder.depth, recorder.written, recorder.dropped) == (0, 7, 0)


def test_memory_is_bounded_and_adding_never_blocks(store: Store) -> None:
    watched = Watched(store)
    watched.gate.clear()  # the store hangs
    recorder = Recorder(watched, "none", max_pending=50, flush_interval_s=0.01)  # type: ignore[arg-type]
    recorder.start()
    try:
        started = time.perf_counter()
        for _ in range(5000):
            recorder.add_request(request())
            recorder.add_pair(pair("unknown"))
        assert time.perf_counter() - started < 1.0
        assert recorder.depth <= 2 * 50, "requests and pairs each within the bound"
        assert recorder.dropped >= 10_000 - 100
    finally:
        watched.gate.set()
        recorder.close()
    assert recorder.written + recorder.dropped == 10_000


def test_pairs_waiting_for_a_request_count_against_the_bound(store: Store) -> None:
    recorder = Recorder(store, "none", max_pending=10)
    for _ in range(20):
        for _ in range(5):
            recorder.add_pair(pair("never-recorded"))  # e.g. its request was dropped under overload
        recorder.flush()
        assert recorder.depth <= 10
    assert recorder.dropped == 100 - 10
    recorder.add_request(request())
    assert recorder.flush() == 1, "pairs waiting in vain never crowd out requests"


def test_a_pair_waits_for_its_request(store: Store) -> None:
    recorder = Recorder(store, "full")
    row = request({"messages": []})
    recorder.add_pair(pair(row.id, {"answer": 1}))
    assert recorder.flush() == 0
    assert stored(store) == ([], [])
    assert recorder.depth == 1
    recorder.add_request(row)
    assert recorder.flush() == 2
    requests, pairs = stored(store)
    assert [r.id for r in requests] == [row.id]
    assert [(p.request_id, p.response_body) for p in pairs] == [(row.id, {"answer": 1})]


def test_a_pair_after_its_request_was_written(store: Store) -> None:
    recorder = Recorder(store, "full")
    row = request()
    recorder.add_request(row)
    recorder.flush()
    recorder.add_pair(pair(row.id))
    assert recorder.flush() == 1
    assert [p.request_id for p in stored(store)[1]] == [row.id]


def test_store_failure_requeues_then_succeeds(store: Store) -> None:
    watched = Watched(store, failures=2)
    recorder = Recorder(watched, "full")  # type: ignore[arg-type]
    rows = [request() for _ in range(4)]
    for row in rows:
        recorder.add_request(row)
    recorder.add_pair(pair(rows[0].id))
    assert recorder.flush() == 0
    assert recorder.flush() == 0
    assert recorder.failures == 2 and recorder.depth == 5 and recorder.dropped == 0
    assert stored(store) == ([], [])
    assert recorder.flush() == 5
    requests, pairs = stored(store)
    assert {r.id for r in requests} == {r.id for r in rows} and [p.request_id for p in pairs] == [rows[0].id]


def test_close_flushes_everything(store: Store) -> None:
    recorder = Recorder(store, "full", flush_interval_s=60)
    recorder.start()
    rows = [request() for _ in range(20)]
    for row in rows:
        recorder.add_request(row)
        recorder.add_pair(pair(row.id))
    started = time.perf_counter()
    recorder.close()
    assert time.perf_counter() - started < 2
    requests, pairs = stored(store)
    assert len(requests) == 20 and len(pairs) == 20
    assert (recorder.depth, recorder.dropped) == (0, 0)


def test_writer_thread_flushes_on_its_own(store: Store) -> None:
    recorder = Recorder(store, "full", flush_interval_s=0.01)
    recorder.start()
    try:
        recorder.add_request(request())
        deadline = time.monotonic() + 2
        while not stored(store)[0]:
            assert time.monotonic() < deadline, "the writer thread never flushed"
            time.sleep(0.01)
    finally:
        recorder.close()


# -- body policies ---------------------------------------------------------------------------------

PROMPT = {"messages": [{"role": "user", "content": f"I am {EMAIL}, my key is {KEY}"}], "api_key": "hunter2-abc"}


@pytest.mark.parametrize("policy", ["none", "redacted", "full"])
def test_body_policies(store: Store, policy: Any) -> None:
    recorder = Recorder(store, policy)
    row = request(PROMPT)
    recorder.add_request(row)
    recorder.add_pair(pair(row.id, {"content": f"write to {EMAIL} with {KEY}"}))
    recorder.flush()
    (saved,), (saved_pair,) = stored(store)
    everything = repr((saved, saved_pair))
    assert KEY not in everything and "hunter2" not in everything, "secrets are masked under every policy"
    if policy == "none":
        assert saved.request_body is None and saved.response_body is None and saved_pair.response_body is None
    elif policy == "redacted":
        assert EMAIL not in everything
        assert saved.request_body is not None
        assert saved.request_body["messages"][0]["content"] == "I am [email], my key is [secret]"
        assert saved.request_body["api_key"] == "[secret]"
    else:
        assert saved.request_body is not None and saved_pair.response_body is not None
        assert saved.request_body["messages"][0]["content"] == f"I am {EMAIL}, my key is [secret]"
        assert saved_pair.response_body["content"] == f"write to {EMAIL} with [secret]"
    assert saved.status == 200 and saved.latency_ms == 12.0, "the rest of the record is kept as is"


@pytest.mark.parametrize("policy", ["redacted", "full"])
async def test_app_keys_and_headers_never_reach_the_store(
    start_gateway: StartGateway, migration: Migration, policy: str, tmp_path: Any
) -> None:
    migration = migration.model_copy(update={"gateway": migration.gateway.model_copy(update={"record_bodies": policy})})
    gw = await start_gateway(migration, wire=False)
    app_key = "sk-app-key-that-must-not-be-stored-42"
    r = await gw.client.post(
        "/v1/chat/completions",
        json={"model": OLD, "messages": [{"role": "user", "content": "hello"}], "stream": True},
        headers={"authorization": f"Bearer {app_key}", "x-api-key": app_key, "x-custom-header": "header-value-77"},
    )
    assert r.status_code == 200
    await gw.settle(requests=1, pairs=1)
    with gw.store.engine.connect() as conn:
        dump = repr([conn.execute(sa.select(t)).all() for t in (schema.requests, schema.shadow_pairs)])
    assert "hello" in dump, "the body is recorded"
    assert app_key not in dump and "header-value-77" not in dump and "Bearer" not in dump
