"""The recorder's health verdict (pure), and ``/healthz`` turning it into 200 or 503."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from modelswap.config import Migration
from modelswap.gateway.recorder_health import RecorderState, judge
from modelswap.serving import build_gateway
from modelswap.store import RequestRow, ShadowPairRow, Store

from .conftest import OLD, StartGateway, sample

HEALTHY = RecorderState(
    running=True,
    writer_alive=True,
    pending=3,
    max_pending=100,
    since_write_s=0.2,
    failing_s=None,
    last_error=None,
    since_drop_s=None,
)


def test_a_writing_recorder_is_ok() -> None:
    health = judge(HEALTHY, stall_s=10)
    assert (health.status, health.reasons) == ("ok", ())


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"writer_alive": False, "restarts": 2}, "writer thread is not running (restarted 2 time(s)"),
        ({"failing_s": 12.0, "last_error": "OperationalError"}, "refused writes for 12.0 s (OperationalError)"),
        ({"since_write_s": 11.0}, "3 record(s) have waited 11.0 s without a write"),
        ({"pending": 100}, "the record queue is full (100 of 100)"),
        ({"since_drop_s": 1.0, "dropped": {"queue_full": 7}}, "a record was dropped 1.0 s ago (7 in all"),
    ],
)
def test_each_way_of_not_writing_is_degraded_with_its_reason(change: dict[str, Any], words: str) -> None:
    health = judge(replace(HEALTHY, **change), stall_s=10)
    assert health.status == "degraded"
    assert any(words in reason for reason in health.reasons), health.reasons


@pytest.mark.parametrize(
    "change",
    [
        {"failing_s": 9.0},  # a brief refusal (e.g. a locked SQLite file) is not an outage yet
        {"since_write_s": 60.0, "pending": 0},  # nothing waiting: nothing late
        {"since_drop_s": 10.5},  # a drop long enough ago
        {"running": False, "writer_alive": False},  # not started, or stopped on purpose
    ],
)
def test_what_is_not_degraded(change: dict[str, Any]) -> None:
    assert judge(replace(HEALTHY, **change), stall_s=10).status == "ok"


# -- /healthz --------------------------------------------------------------------------------------------


class FlakyStore(Store):
    """A real store (the test's database, through its engine) whose record inserts can fail: all of
    them (``down``, as when PostgreSQL is unreachable), or any batch holding a row ``refuse`` picks
    (as a value the database rejects)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.engine, display=store.url_for_display, status=store.schema_status)
        self.down = False
        self.refuse: Callable[[RequestRow], bool] = lambda row: False

    def insert_records(self, requests: Sequence[RequestRow], pairs: Sequence[ShadowPairRow]) -> None:
        if self.down:
            raise sa.exc.OperationalError("INSERT", {}, ConnectionRefusedError("connection refused"))
        if any(self.refuse(r) for r in requests):
            raise sa.exc.DataError("INSERT", {}, ValueError("invalid byte sequence"))
        super().insert_records(requests, pairs)


async def wait_health(gw: Any, status: int, saying: str = "", timeout: float = 10.0) -> dict[str, Any]:
    """The ``/healthz`` document once it has ``status`` (and a reason containing ``saying``)."""
    deadline = time.monotonic() + timeout
    while True:
        r = await gw.client.get("/healthz")
        if r.status_code == status and (not saying or any(saying in x for x in r.json().get("reasons", []))):
            return dict(r.json())
        assert time.monotonic() < deadline, f"/healthz stayed {r.status_code}: {r.text}"
        await asyncio.sleep(0.02)


ASK = {"model": OLD, "messages": [{"role": "user", "content": "hi"}]}


async def test_healthz_is_503_while_records_cannot_be_written_and_200_after(
    start_gateway: StartGateway, migration: Migration, store: Store
) -> None:
    migration = migration.model_copy(
        update={"gateway": migration.gateway.model_copy(update={"record_stall_s": 0.3, "record_bodies": "full"})}
    )
    flaky = FlakyStore(store)
    flaky.refuse = lambda row: bool(row.request_body and "POISON" in str(row.request_body))
    app = build_gateway(migration, store=flaky, flush_interval_s=0.02, poll_interval_s=0.05)
    gw = await start_gateway(migration, wire=False, app=app)
    ok = await gw.client.get("/healthz")
    assert ok.status_code == 200 and ok.json()["status"] == "ok"

    # one row the database refuses: stored reduced, its neighbours whole
    for i in range(10):
        content = "POISON" if i == 4 else f"hello {i}"
        r = await gw.client.post(
            "/v1/chat/completions", json={**ASK, "messages": [{"role": "user", "content": content}]}
        )
        assert r.status_code == 200
    await gw.settle(requests=10, pairs=10)
    rows = gw.requests()
    (reduced,) = [row for row in rows if row.request_body is None]
    assert "record reduced: the store refused it (ValueError: invalid byte sequence)" in (reduced.error or "")
    assert all(row.request_body is not None for row in rows if row is not reduced)
    assert sample(await gw.metrics(), "modelswap_records_reduced_total") == 1
    assert (await gw.client.get("/healthz")).status_code == 200, "a reduced record is not an outage"

    # the store goes away: records wait, /healthz says why, and everything lands when it is back
    flaky.down = True
    for _ in range(5):
        assert (await gw.client.post("/v1/chat/completions", json=ASK)).status_code == 200, "serving goes on"
    degraded = await wait_health(gw, 503, saying="the store has refused writes")
    assert degraded["status"] == "degraded" and degraded["recorder"]["pending"] >= 5
    assert "127.0.0.1" not in str(degraded) and "sqlite" not in str(degraded), "no internals on an open endpoint"
    assert sample(await gw.metrics(), "modelswap_recorder_degraded") == 1
    flaky.down = False
    assert (await wait_health(gw, 200))["status"] == "ok"
    await gw.settle(requests=15, pairs=15)
    assert sample(await gw.metrics(), "modelswap_records_dropped_total") == 0
