"""End to end: one hostile request cannot stop the evidence of the requests after it.

Cross-vendor like the ``gpt-5-to-sonnet`` scenario: the app speaks Anthropic's Messages API,
the old model is served over OpenAI's wire, the new (Anthropic) model runs in shadow."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from modelswap.sim import RunningSim

from .conftest import CLAUDE_NEW, OLD, WORKLOAD, StartGateway, anthropic_endpoint, migration_of, openai_endpoint


def deep_messages_body(depth: int) -> bytes:
    """A valid Messages request whose unknown field nests ``depth`` objects."""
    nested = b'{"a":' * depth + b"0" + b"}" * depth
    head = b'{"model": "' + OLD.encode() + b'", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]'
    return head + b', "extra": ' + nested + b"}"


@pytest.mark.parametrize("wire", [False, True], ids=["in-process", "uvicorn"])
async def test_a_600_deep_body_is_refused_and_every_later_request_is_recorded(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, wire: bool
) -> None:
    migration = migration_of(
        tmp_path, openai_endpoint(sim, OLD, max_retries=0), anthropic_endpoint(sim, CLAUDE_NEW, max_retries=0)
    )
    gw = await start_gateway(migration, wire=wire)
    headers = {"anthropic-version": "2023-06-01", "content-type": "application/json"}

    r = await gw.client.post("/v1/messages", content=deep_messages_body(600), headers=headers)
    assert r.status_code == 400
    assert r.json()["type"] == "error" and r.json()["error"]["type"] == "invalid_request_error"
    assert "levels deep" in r.json()["error"]["message"]

    ids = []
    for i in range(50):
        ok = await gw.client.post(
            "/v1/messages",
            json={"model": OLD, "max_tokens": 50, "messages": [{"role": "user", "content": f"question {i}"}]},
            headers=headers,
        )
        assert ok.status_code == 200
        ids.append(ok.headers["x-request-id"])

    await gw.settle(requests=51, pairs=50)
    rows = gw.requests(WORKLOAD)
    served = {row.id for row in rows if row.status == 200}
    assert served == set(ids), "every answered request is in the store"
    (refused,) = [row for row in rows if row.status == 400]
    assert refused.error_kind == "body_too_deep" and "levels deep" in (refused.error or "")
    health = await gw.client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    writers = [t for t in threading.enumerate() if t.name == "modelswap-recorder"]
    assert writers and all(t.is_alive() for t in writers)
    assert gw.app.recorder.restarts == 0 and gw.app.recorder.dropped == 0
