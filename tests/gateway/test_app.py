"""The ASGI app around the proxy: paths, health, models, body limits, app keys, internal errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from modelswap.config import Migration
from modelswap.gateway.app import GatewayApp
from modelswap.gateway.auth import hash_key
from modelswap.gateway.recorder import Recorder
from modelswap.providers.base import Dialect, Json
from modelswap.rollout import flag
from modelswap.rollout.table import RoutingTable
from modelswap.sim import RunningSim
from modelswap.store import Store

from .conftest import NEW, OLD, WORKLOAD, Gateway, StartGateway, migration_of, openai_endpoint

ASK = {"model": OLD, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
async def gw(start_gateway: StartGateway, migration: Migration) -> Gateway:
    return await start_gateway(migration, wire=False)


async def test_unknown_path_is_404_naming_the_served_paths(gw: Gateway) -> None:
    for method, path in [("GET", "/v2/whatever"), ("GET", "/v1/chat/completions"), ("POST", "/v1/embeddings")]:
        r = await gw.client.request(method, path)
        assert r.status_code == 404
        message = r.json()["error"]["message"]
        assert f"no route {method} {path}" in message and "POST /v1/chat/completions" in message


async def test_health(gw: Gateway) -> None:
    r = await gw.client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


async def test_models_in_each_vendors_shape(gw: Gateway) -> None:
    openai_shape = (await gw.client.get("/v1/models")).json()
    assert openai_shape["object"] == "list"
    assert [m["id"] for m in openai_shape["data"]] == sorted([OLD, NEW])
    anthropic_shape = (await gw.client.get("/v1/models", headers={"anthropic-version": "2023-06-01"})).json()
    assert [m["type"] for m in anthropic_shape["data"]] == ["model", "model"]
    assert anthropic_shape["has_more"] is False


async def test_no_workload_and_no_default_says_how_to_send_the_header(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    migration = migration_of(
        tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW), gateway={"default_workload": None}
    )
    gw = await start_gateway(migration, wire=False)
    r = await gw.client.post("/v1/chat/completions", json=ASK)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "no_workload"
    assert f'send header "x-modelswap-workload: {WORKLOAD}"' in error["message"]
    assert "gateway.default_workload" in error["message"]
    ok = await gw.client.post("/v1/chat/completions", json=ASK, headers={"x-modelswap-workload": WORKLOAD})
    assert ok.status_code == 200


# -- body size limits (on the wire: a real client sending a real body) -------------------------


@pytest.fixture
async def small(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim) -> Gateway:
    migration = migration_of(
        tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW), gateway={"max_body_bytes": 2048}
    )
    return await start_gateway(migration)


def big_body() -> bytes:
    return orjson.dumps({**ASK, "messages": [{"role": "user", "content": "x" * 5000}]})


async def test_body_too_large_by_content_length(small: Gateway, sim: RunningSim) -> None:
    r = await small.client.post(
        "/v1/chat/completions", content=big_body(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert "larger than the gateway's limit of 2048 bytes" in r.json()["error"]["message"]
    assert not sim.engine.counts


async def test_body_too_large_when_chunked(small: Gateway, sim: RunningSim) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        raw = big_body()
        for i in range(0, len(raw), 500):
            yield raw[i : i + 500]

    r = await small.client.post("/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "2048 bytes" in r.json()["error"]["message"]
    assert not sim.engine.counts
    ok = await small.client.post("/v1/chat/completions", json=ASK)
    assert ok.status_code == 200, "the gateway keeps serving"


async def test_body_too_large_on_messages_is_anthropic_shaped(small: Gateway) -> None:
    r = await small.client.post("/v1/messages", content=big_body(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "request_too_large"


# -- app keys ------------------------------------------------------------------------------------


@pytest.fixture
async def keyed(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim) -> Gateway:
    migration = migration_of(
        tmp_path,
        openai_endpoint(sim, OLD),
        openai_endpoint(sim, NEW),
        gateway={"keys": [{"name": "support-app", "sha256": hash_key("app-key-1")}]},
    )
    return await start_gateway(migration, wire=False)


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({}, "this gateway needs an API key"),
        ({"authorization": "Bearer wrong-key"}, "not one this gateway accepts"),
        ({"x-api-key": "wrong-key"}, "not one this gateway accepts"),
    ],
)
async def test_missing_or_wrong_app_key_is_401(
    keyed: Gateway, sim: RunningSim, headers: dict[str, str], words: str
) -> None:
    r = await keyed.client.post("/v1/chat/completions", json=ASK, headers=headers)
    assert r.status_code == 401
    error = r.json()["error"]
    assert error["code"] == "invalid_api_key" and words in error["message"]
    assert "wrong-key" not in r.text
    anthropic = await keyed.client.post("/v1/messages", json={**ASK, "max_tokens": 5}, headers=headers)
    assert anthropic.status_code == 401
    assert anthropic.json()["error"]["type"] == "authentication_error"
    assert not sim.engine.counts


async def test_models_list_needs_a_key_too(keyed: Gateway) -> None:
    assert (await keyed.client.get("/v1/models")).status_code == 401
    r = await keyed.client.get("/v1/models", headers={"authorization": "Bearer app-key-1"})
    assert r.status_code == 200 and r.json()["object"] == "list"


async def test_right_app_key_is_served(keyed: Gateway) -> None:
    r = await keyed.client.post("/v1/chat/completions", json=ASK, headers={"authorization": "Bearer app-key-1"})
    assert r.status_code == 200
    r = await keyed.client.post("/v1/messages", json={**ASK, "max_tokens": 5}, headers={"x-api-key": "app-key-1"})
    assert r.status_code == 200 and r.json()["type"] == "message"


# -- a bug in modelswap: 500 without a traceback --------------------------------------------------

SECRET = "sk-internal-detail-0123456789abcdef"


class Broken:
    """An upstream with a bug: raises a plain exception, before or during a stream."""

    dialect: Dialect = "openai"

    def __init__(self, name: str, model: str) -> None:
        self.name, self.model = name, model

    async def complete(self, body: Json) -> Json:
        raise RuntimeError(f"bug with {SECRET}")

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        yield {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": self.model,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None}],
        }
        raise RuntimeError(f"bug with {SECRET}")

    async def aclose(self) -> None:
        pass


class BrokenArms:
    def get(self, name: str, dialect: Dialect) -> Any:
        return Broken(name, OLD if name == "old" else NEW)

    async def aclose(self) -> None:
        pass


@pytest.fixture
async def broken(start_gateway: StartGateway, migration: Migration, store: Store) -> Gateway:
    flag.set_stage(store, WORKLOAD, "split", 0, "test", "no shadow")
    app = GatewayApp(
        migration,
        BrokenArms(),
        RoutingTable(store, [WORKLOAD]),
        Recorder(store, "redacted", flush_interval_s=0.02),
        replica_id="test",
    )
    return await start_gateway(migration, app=app)


async def test_unexpected_exception_is_a_500_without_a_traceback(
    broken: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="modelswap.gateway"):
        r = await broken.client.post("/v1/chat/completions", json=ASK)
        m = await broken.client.post("/v1/messages", json={**ASK, "max_tokens": 5})
    assert r.status_code == 500
    assert r.json()["error"]["type"] == "server_error"
    assert "internal error in modelswap" in r.json()["error"]["message"]
    assert m.status_code == 500 and m.json()["error"]["type"] == "api_error"
    for response in (r, m):
        assert "Traceback" not in response.text and SECRET not in response.text and "bug" not in response.text
    assert any("bug with" in (rec.exc_text or "") for rec in caplog.records), "the details go to the log"


async def test_a_request_that_hits_a_bug_is_recorded_with_the_error_class(broken: Gateway) -> None:
    r = await broken.client.post("/v1/chat/completions", json=ASK)
    assert r.status_code == 500
    await broken.settle(requests=1)
    (row,) = broken.requests()
    assert (row.status, row.error_kind) == (500, "internal")
    assert row.error is not None and row.error.startswith("RuntimeError: bug with")
    assert SECRET not in row.error, "a key in an exception's text is masked before it is stored"


async def test_unexpected_exception_mid_stream_ends_the_stream_cleanly(
    broken: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="modelswap.gateway"):
        async with broken.client.stream("POST", "/v1/chat/completions", json={**ASK, "stream": True}) as r:
            assert r.status_code == 200
            body = (await r.aread()).decode()
    frames = [line[6:] for line in body.splitlines() if line.startswith("data: ")]
    assert orjson.loads(frames[0])["choices"][0]["delta"]["content"] == "Hel"
    assert "internal error in modelswap" in orjson.loads(frames[1])["error"]["message"]
    assert frames[-1] == "[DONE]"
    assert SECRET not in body and "Traceback" not in body
    await broken.settle(requests=1)
    (row,) = broken.requests()
    assert (row.status, row.error_kind, row.stream) == (500, "internal", True)


async def test_path_prefix_workloads_are_served_under_their_prefix(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    migration = migration_of(
        tmp_path,
        openai_endpoint(sim, OLD),
        openai_endpoint(sim, NEW),
        workloads=[{"name": WORKLOAD}, {"name": "triage", "match": [{"path_prefix": "/triage"}]}],
    )
    gw = await start_gateway(migration, wire=False)
    r = await gw.client.post("/triage/v1/chat/completions", json=ASK)
    assert r.status_code == 200
    assert (await gw.client.get("/triage/v1/models")).status_code == 200
    await gw.settle(requests=1, workload="triage")
    assert (await gw.client.post("/triagex/v1/chat/completions", json=ASK)).status_code == 404
