"""Records say why a request failed, in words safe to store and log; refused requests are recorded too."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.gateway.records import REJECTED_ARM, _safe_error, error_text
from modelswap.providers.base import UpstreamError
from modelswap.providers.safe_text import MAX_ERROR_CHARS
from modelswap.sim import RunningSim

from .conftest import NEW, OLD, WORKLOAD, Scripted, StartGateway, dead_url, migration_of, openai_endpoint

ASK = {"model": OLD, "messages": [{"role": "user", "content": "hi"}]}
KEY = "sk-proj-abcdefghijklmnop0123456789"


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ("openai: could not connect to http://10.0.0.7:8443/v1/chat/completions: refused", "10.0.0.7", "refused"),
        ("cannot reach postgresql://modelswap:hunter2@db.internal:5432/records", "hunter2", "cannot reach"),
        ("login admin:hunter2@db.internal failed", "hunter2", "failed"),
        (f"HTTP 401 invalid_api_key: Incorrect API key provided: {KEY}", KEY, "Incorrect API key"),
        ("header was Bearer abcdefghijklmnopqrstuvwxyz0123", "abcdefghijklmnopqrstuvwxyz0123", "header was"),
        ("bad request\nFAKE LOG LINE request 42 succeeded", "\n", "FAKE LOG LINE"),
    ],
)
def test_safe_error_strips_addresses_credentials_and_line_breaks(text: str, gone: str, kept: str) -> None:
    safe = _safe_error(text)
    assert gone not in safe and kept in safe


def test_safe_error_bounds_the_length() -> None:
    safe = _safe_error("x" * 100_000)
    assert len(safe) == MAX_ERROR_CHARS and safe.endswith("…")


def test_error_text_names_the_class() -> None:
    exc = UpstreamError("openai: HTTP 500 server_error: boom", kind="server", status=500, provider="openai")
    assert error_text(exc, exc.message) == "UpstreamError: openai: HTTP 500 server_error: boom"
    assert error_text(ValueError("bad value")) == "ValueError: bad value"


@settings(max_examples=150, deadline=None)
@given(
    st.text(st.characters(blacklist_characters=":/@")),
    st.sampled_from(["http", "https", "postgresql+psycopg", "redis"]),
    st.from_regex(r"[a-z]{1,8}:[A-Za-z0-9]{6,12}@", fullmatch=True),
)
def test_safe_error_never_keeps_a_url_or_a_password(noise: str, scheme: str, userinfo: str) -> None:
    password = userinfo.split(":", 1)[1].rstrip("@")
    safe = _safe_error(f"{noise} failed at {scheme}://{userinfo}host.internal:9/x {noise}")
    assert "://" not in safe
    assert password not in safe or password in noise
    assert len(safe) <= MAX_ERROR_CHARS
    assert not any(ch in safe for ch in "\r\n\x00\x85\u2028")


# -- in the gateway ------------------------------------------------------------------------------------


async def test_a_failed_request_is_recorded_with_why_and_logged_once(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, caplog: pytest.LogCaptureFixture
) -> None:
    down = dead_url()
    migration = migration_of(tmp_path, openai_endpoint(down, OLD, max_retries=0), openai_endpoint(sim, NEW))
    gw = await start_gateway(migration, wire=False)
    with caplog.at_level(logging.WARNING, logger="modelswap.gateway"):
        r = await gw.client.post("/v1/chat/completions", json=ASK)
    shown = r.json()["error"]["message"]
    assert r.status_code == 502 and "could not connect" in shown and down.rsplit(":", 1)[1] not in shown
    await gw.settle(requests=1)
    (row,) = [row for row in gw.requests() if row.arm == "old"]
    assert row.status == 502 and row.error_kind == "connection"
    assert row.error is not None and row.error.startswith("UpstreamError: ") and "could not connect" in row.error
    port = down.rsplit(":", 1)[1]
    assert down not in row.error and port not in row.error, "modelswap's upstream address is not stored"
    lines = [
        rec.getMessage() for rec in caplog.records if rec.levelno == logging.WARNING and row.id in rec.getMessage()
    ]
    assert len(lines) == 1 and "failed" in lines[0] and "connection" in lines[0] and port not in lines[0]


async def test_a_providers_error_text_is_stored_without_keys_or_urls(
    start_gateway: StartGateway, tmp_path: Path, scripted: Callable[..., Awaitable[Scripted]], sim: RunningSim
) -> None:
    vendor = await scripted(
        500, {"error": {"message": f"upstream exploded; key {KEY} at https://user:pw@10.1.2.3/v1", "type": "server"}}
    )
    migration = migration_of(
        tmp_path, openai_endpoint(vendor.openai_url, OLD, max_retries=0), openai_endpoint(sim, NEW)
    )
    gw = await start_gateway(migration, wire=False)
    r = await gw.client.post("/v1/chat/completions", json=ASK)
    assert r.status_code == 500, "the vendor's own status"
    assert "upstream exploded" in r.text and KEY not in r.text and "10.1.2.3" not in r.text and "pw@" not in r.text
    await gw.settle(requests=1)
    (row,) = [row for row in gw.requests() if row.arm == "old"]
    assert row.error is not None and "upstream exploded" in row.error and "HTTP 500" in row.error
    assert KEY not in row.error and "10.1.2.3" not in row.error and "pw@" not in row.error


async def test_a_refused_request_is_recorded_with_its_error(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, caplog: pytest.LogCaptureFixture
) -> None:
    migration = migration_of(
        tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW), gateway={"unknown_models": "reject"}
    )
    gw = await start_gateway(migration, wire=False)
    with caplog.at_level(logging.WARNING, logger="modelswap.gateway"):
        bad_model = await gw.client.post("/v1/chat/completions", json={**ASK, "model": "gpt-2"})
        not_json = await gw.client.post("/v1/messages", content=b"{", headers={"content-type": "application/json"})
    assert (bad_model.status_code, not_json.status_code) == (404, 400)
    await gw.settle(requests=2)
    rows = {row.status: row for row in gw.requests()}
    assert {row.arm for row in rows.values()} == {REJECTED_ARM} and not sim.engine.counts
    assert rows[404].error_kind == "model_not_found" and "'gpt-2' is not served" in (rows[404].error or "")
    assert rows[400].error is not None and "not valid JSON" in rows[400].error
    assert all(row.workload == WORKLOAD and row.model == "" for row in rows.values())
    logged = [rec.getMessage() for rec in caplog.records if rec.levelno == logging.WARNING]
    assert all(any(row.id in line for line in logged) for row in rows.values()), "one log line per refused request"
    metrics = await gw.metrics()
    assert 'modelswap_requests_rejected_total{status="404",workload="support"} 1.0' in metrics
