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
from modelswap.gateway.metrics import GatewayMetrics
from modelswap.gateway.recorder import Recorder
from modelswap.store import RequestRow, ShadowPairRow, Store, new_id, schema
from modelswap.store.errors import store_unavailable

from .conftest import OLD, StartGateway, sample

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
    recorder = Recorder(watched, "full", batch_max=3)
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
    recorder = Recorder(watched, "none", max_pending=50, flush_interval_s=0.01)
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
    recorder = Recorder(watched, "full")
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


# -- no record stops the others ------------------------------------------------------------------------


def deep(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": True}
    for _ in range(depth - 1):
        value = {"x": value}
    return value


def recorder_metrics(recorder: Recorder) -> str:
    metrics = GatewayMetrics()
    metrics.bind_recorder(recorder.health)
    return metrics.render().decode()


def wait_for(condition: Any, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


class Unwalkable(dict[str, object]):
    """A body part the redaction cannot walk (as if a bug broke it)."""

    def items(self):  # type: ignore[override]
        raise RuntimeError("cannot walk this")

    def __iter__(self):  # type: ignore[override]
        raise RuntimeError("cannot walk this")


class NotJson:
    """A value that passes redaction untouched but that the store cannot encode."""

    def __repr__(self) -> str:
        return "NotJson()"


def test_a_body_that_cannot_be_redacted_is_stored_reduced_and_the_writer_lives_on(store: Store) -> None:
    recorder = Recorder(store, "redacted", flush_interval_s=0.01)
    recorder.start()
    try:
        poison = request({"messages": [{"role": "user", "content": "hi"}], "extra": Unwalkable(x=1)})
        neighbours = [request({"messages": []}) for _ in range(5)]
        for row in [neighbours[0], poison, *neighbours[1:]]:
            recorder.add_request(row)
        wait_for(lambda: len(stored(store)[0]) == 6, what="all six records")
        later = request({"messages": []})
        recorder.add_request(later)
        wait_for(lambda: len(stored(store)[0]) == 7, what="a record added after the bad one")
    finally:
        recorder.close()
    rows = {r.id: r for r in stored(store)[0]}
    assert rows[poison.id].request_body is None and rows[poison.id].response_body is None
    assert "record reduced" in (rows[poison.id].error or "") and "RuntimeError" in (rows[poison.id].error or "")
    assert all(rows[r.id].request_body == {"messages": []} for r in [*neighbours, later])
    assert recorder.reduced == 1 and recorder.restarts == 0
    assert sample(recorder_metrics(recorder), "modelswap_records_reduced_total") == 1


def test_a_row_the_store_refuses_is_reduced_and_its_neighbours_are_kept(store: Store) -> None:
    # the redaction passes an unknown object through, but the JSON column's encoder refuses it
    recorder = Recorder(store, "full", batch_max=1000)
    rows = [request({"messages": [], "n": i}) for i in range(40)]
    poison = request({"messages": [], "extra": NotJson()})
    rows.insert(17, poison)
    for row in rows:
        recorder.add_request(row)
        recorder.add_pair(pair(row.id, {"answer": row.id}))
    assert recorder.flush() == 82
    requests, pairs = stored(store)
    by_id = {r.id: r for r in requests}
    assert set(by_id) == {r.id for r in rows} and len(pairs) == 41, "nothing lost, pairs included"
    assert by_id[poison.id].request_body is None
    assert "the store refused it" in (by_id[poison.id].error or "")
    assert "not JSON serializable" in (by_id[poison.id].error or "")
    assert all(by_id[r.id].request_body == r.request_body for r in rows if r is not poison)
    assert (recorder.reduced, recorder.dropped, recorder.depth) == (1, 0, 0)
    metrics = recorder_metrics(recorder)
    assert sample(metrics, "modelswap_records_reduced_total") == 1
    assert sample(metrics, "modelswap_records_written_total") == 82


def test_the_reason_a_row_was_refused_never_holds_its_values(store: Store) -> None:
    recorder = Recorder(store, "full")
    secret_text = "customer 4111 1111 1111 1111 says hello"
    recorder.add_request(request({"messages": [{"role": "user", "content": secret_text}], "extra": NotJson()}))
    recorder.flush()
    (row,) = stored(store)[0]
    assert row.error is not None and "4111" not in row.error and "INSERT" not in row.error


class Outage:
    """A real store that can be taken down (every write refused as by an unreachable server)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.down = False
        self.attempts = 0

    def insert_records(self, requests: Sequence[RequestRow], pairs: Sequence[ShadowPairRow]) -> None:
        self.attempts += 1
        if self.down:
            raise sa.exc.OperationalError("INSERT", {}, ConnectionRefusedError("connection refused"))
        self.store.insert_records(requests, pairs)


def test_while_the_store_is_down_records_wait_and_health_says_degraded(store: Store) -> None:
    outage = Outage(store)
    recorder = Recorder(outage, "none", flush_interval_s=0.01, stall_s=0.2)
    recorder.start()
    try:
        assert recorder.health().status == "ok"
        outage.down = True
        rows = [request() for _ in range(30)]
        for row in rows[:10]:
            recorder.add_request(row)
        wait_for(lambda: any("the store has refused writes" in r for r in recorder.health().reasons), what="degraded")
        health = recorder.health()
        assert health.status == "degraded" and "ConnectionRefusedError" in " ".join(health.reasons)
        assert sample(recorder_metrics(recorder), "modelswap_recorder_degraded") == 1
        for row in rows[10:]:
            recorder.add_request(row)
        attempts = outage.attempts
        time.sleep(0.5)
        assert outage.attempts - attempts < 10, "retries back off instead of hammering a down store"
        assert stored(store) == ([], []) and recorder.depth == 30 and recorder.dropped == 0
        outage.down = False
        wait_for(lambda: len(stored(store)[0]) == 30, what="the records kept in memory")
        wait_for(lambda: recorder.health().status == "ok", what="ok health")
    finally:
        recorder.close()
    assert {r.id for r in stored(store)[0]} == {r.id for r in rows}


def test_a_full_queue_counts_drops_and_health_says_degraded(store: Store) -> None:
    outage = Outage(store)
    outage.down = True
    recorder = Recorder(outage, "none", max_pending=5, stall_s=60)
    for _ in range(8):
        recorder.add_request(request())
    health = recorder.health()
    assert health.status == "degraded"
    assert any("queue is full (5 of 5)" in r for r in health.reasons)
    assert any("a record was dropped" in r for r in health.reasons)
    metrics = recorder_metrics(recorder)
    assert sample(metrics, "modelswap_records_dropped_total", reason="queue_full") == 3
    outage.down = False
    assert recorder.flush() == 5
    assert any("a record was dropped" in r for r in recorder.health().reasons), "drops stay visible for stall_s"


class Crash(BaseException):
    """Something no ``except Exception`` catches (as a bug in a C extension might raise)."""


class CrashOnce:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.crashed = False

    def insert_records(self, requests: Sequence[RequestRow], pairs: Sequence[ShadowPairRow]) -> None:
        if not self.crashed:
            self.crashed = True
            raise Crash("the writer thread dies here")
        self.store.insert_records(requests, pairs)


def test_a_dead_writer_is_restarted_and_loses_nothing(store: Store) -> None:
    recorder = Recorder(CrashOnce(store), "full", flush_interval_s=0.01)
    recorder.start()
    try:
        rows = [request({"messages": []}) for _ in range(5)]
        for row in rows:
            recorder.add_request(row)
        wait_for(lambda: len(stored(store)[0]) == 5, what="the batch the dead writer held")
        assert recorder.restarts == 1 and recorder.health().status == "ok"
        assert sample(recorder_metrics(recorder), "modelswap_recorder_restarts_total") == 1
    finally:
        recorder.close()
    assert recorder.dropped == 0


def test_which_failures_mean_the_store_is_unavailable() -> None:
    down = sa.exc.OperationalError("INSERT", {}, Exception("could not connect"))
    bad_value = sa.exc.DataError("INSERT", {}, Exception("integer out of range"))
    duplicate = sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))
    unencodable = sa.exc.StatementError("(TypeError) Recursion limit reached", "INSERT", None, TypeError("x"))
    assert store_unavailable(down) and store_unavailable(ConnectionResetError())
    assert not any(store_unavailable(e) for e in (bad_value, duplicate, unencodable, OverflowError("int too big")))
