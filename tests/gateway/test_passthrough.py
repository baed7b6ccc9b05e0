"""Endpoints and models modelswap does not migrate are passed to the vendor unchanged and recorded."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from aiohttp import web

from modelswap.gateway.passthrough import PASSTHROUGH_ARM
from modelswap.sim import RunningSim

from .conftest import (
    CLAUDE_NEW,
    CLAUDE_OLD,
    NEW,
    OLD,
    OPENAI_KEY_ENV,
    WORKLOAD,
    StartGateway,
    anthropic_endpoint,
    migration_of,
    openai_endpoint,
    sample,
)

QUESTION = [{"role": "user", "content": "How do I export my projects?"}]


async def test_embeddings_are_the_vendors_own(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim) -> None:
    gw = await start_gateway(migration_of(tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW)))
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app", max_retries=0) as client:
        got = await client.embeddings.create(model="text-embedding-3-small", input=["hello", "world"])
    async with openai.AsyncOpenAI(base_url=sim.base_url, api_key="x", max_retries=0) as direct:
        alone = await direct.embeddings.create(model="text-embedding-3-small", input=["hello", "world"])
    assert [d.embedding for d in got.data] == [d.embedding for d in alone.data]
    assert got.usage.prompt_tokens == alone.usage.prompt_tokens and len(got.data[0].embedding) == 1536

    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert (row.arm, row.endpoint, row.status, row.error_kind) == (PASSTHROUGH_ARM, "old", 200, None)
    assert row.latency_ms > 0 and row.request_body is None
    metrics = await gw.metrics()
    assert sample(metrics, "modelswap_requests_total", workload=WORKLOAD, arm=PASSTHROUGH_ARM, status="200") == 1


async def test_count_tokens_goes_to_anthropic_and_errors_keep_its_shape(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    migration = migration_of(tmp_path, anthropic_endpoint(sim, CLAUDE_OLD), anthropic_endpoint(sim, CLAUDE_NEW))
    gw = await start_gateway(migration)
    async with anthropic.AsyncAnthropic(base_url=gw.base_url, api_key="app", max_retries=0) as client:
        counted = await client.messages.count_tokens(model=CLAUDE_OLD, messages=QUESTION)  # type: ignore[arg-type]
        with pytest.raises(anthropic.BadRequestError) as refused:
            await client.messages.count_tokens(model=CLAUDE_OLD, messages=[])
    async with anthropic.AsyncAnthropic(base_url=sim.anthropic_base_url, api_key="x", max_retries=0) as direct:
        alone = await direct.messages.count_tokens(model=CLAUDE_OLD, messages=QUESTION)  # type: ignore[arg-type]
    assert counted.input_tokens == alone.input_tokens > 0
    body: Any = refused.value.body
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert refused.value.request_id is not None

    await gw.settle(requests=2)
    assert sorted((r.arm, r.status) for r in gw.requests()) == [(PASSTHROUGH_ARM, 200), (PASSTHROUGH_ARM, 400)]


async def test_an_unknown_path_is_anthropic_shaped_when_no_vendor_speaks_it(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    gw = await start_gateway(migration_of(tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW)))
    async with anthropic.AsyncAnthropic(base_url=gw.base_url, api_key="app", max_retries=0) as client:
        with pytest.raises(anthropic.NotFoundError) as refused:
            await client.messages.count_tokens(model=OLD, messages=QUESTION)  # type: ignore[arg-type]
    body: Any = refused.value.body
    assert body["type"] == "error" and "speaks Anthropic's API" in body["error"]["message"]


async def test_other_models_pass_through_and_snapshots_route_like_the_model(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    gw = await start_gateway(migration_of(tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW)))
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app", max_retries=0) as client:
        mini = await client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=QUESTION)  # type: ignore[arg-type]
        dated = await client.chat.completions.with_raw_response.create(model="gpt-4o-2024-08-06", messages=QUESTION)  # type: ignore[arg-type]
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=QUESTION, stream=True)  # type: ignore[arg-type]
        chunks = [c async for c in stream]
    assert mini.parse().model == "gpt-4o-mini" and "x-modelswap-arm" not in mini.headers
    assert dated.parse().model == OLD and dated.headers["x-modelswap-arm"] == "old"
    assert {c.model for c in chunks} == {"gpt-4o-mini"} and "".join(
        c.choices[0].delta.content or "" for c in chunks if c.choices
    )
    await gw.settle(requests=3)
    rows = {(r.arm, r.model, r.stream) for r in gw.requests()}
    assert rows == {(PASSTHROUGH_ARM, "gpt-4o-mini", False), ("old", OLD, False)}
    assert {(s.model, s.stream) for s in sim.engine.served} >= {("gpt-4o-mini", True), ("gpt-4o-mini", False)}


async def test_unknown_models_can_be_refused(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim) -> None:
    migration = migration_of(
        tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW), gateway={"unknown_models": "reject"}
    )
    gw = await start_gateway(migration)
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app", max_retries=0) as client:
        with pytest.raises(openai.NotFoundError) as refused:
            await client.chat.completions.create(model="gpt-4o-mini", messages=QUESTION)  # type: ignore[arg-type]
        dated = await client.chat.completions.create(model="gpt-4o-2024-08-06", messages=QUESTION)  # type: ignore[arg-type]
    assert refused.value.code == "model_not_found" and dated.model == OLD
    assert not any(s.model == "gpt-4o-mini" for s in sim.engine.served)


@pytest.mark.parametrize("serving", ["old", "new"])
async def test_a_responses_request_for_another_model_goes_to_that_models_vendor(
    serving: str, start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    """The endpoint of the model's own vendor answers, whichever of old and new it is, though
    neither endpoint is a Responses one (OpenAI serves both APIs at one base URL)."""
    gpt, claude = openai_endpoint(sim, OLD), anthropic_endpoint(sim, CLAUDE_NEW)
    old, new = (gpt, claude) if serving == "old" else (anthropic_endpoint(sim, CLAUDE_OLD), gpt)
    gw = await start_gateway(migration_of(tmp_path, old, new))
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app", max_retries=0) as client:
        raw = await client.responses.with_raw_response.create(model="gpt-4o-mini", input="How do I export?")
        async with client.responses.stream(model="gpt-4o-mini", input="How do I export?") as stream:
            streamed = await stream.get_final_response()
    whole = raw.parse()
    assert whole.model == "gpt-4o-mini" and whole.output_text and "x-modelswap-arm" not in raw.headers
    assert streamed.model == "gpt-4o-mini" and streamed.output_text == whole.output_text
    await gw.settle(requests=2)
    assert {(r.arm, r.endpoint, r.model, r.status) for r in gw.requests()} == {
        (PASSTHROUGH_ARM, serving, "gpt-4o-mini", 200)
    }


async def test_a_responses_request_no_vendor_can_answer_is_a_404_saying_what_to_do(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    gw = await start_gateway(
        migration_of(tmp_path, anthropic_endpoint(sim, CLAUDE_OLD), anthropic_endpoint(sim, CLAUDE_NEW))
    )
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app", max_retries=0) as client:
        with pytest.raises(openai.NotFoundError) as refused:
            await client.responses.create(model="gpt-4o-mini", input="How do I export?")
        served = await client.responses.create(model=CLAUDE_OLD, input="How do I export?")
    error = refused.value
    assert (error.code, error.param) == ("model_not_found", "model")
    assert "'gpt-4o-mini'" in error.message and "its vendor (openai)" in error.message
    assert CLAUDE_OLD in error.message and "add an endpoint" in error.message
    assert served.output_text, "a migrated model is still answered"
    await gw.settle(requests=2)
    assert sorted(r.status for r in gw.requests()) == [200, 404], "the refusal is recorded"
    assert not any(s.model == "gpt-4o-mini" for s in sim.engine.served)


Upload = dict[str, Any]


@pytest.fixture
async def files_vendor(serve_vendor: Callable[[web.Application], Awaitable[str]]) -> tuple[str, list[Upload]]:
    """An OpenAI-like vendor with ``POST /v1/files`` (multipart) that keeps what it received."""
    seen: list[Upload] = []

    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        file = form["file"]
        assert isinstance(file, web.FileField)
        seen.append(
            {
                "purpose": form["purpose"],
                "content": file.file.read(),
                "filename": file.filename,
                "authorization": request.headers.get("authorization"),
                "project": request.headers.get("openai-project"),
                "idempotency": request.headers.get("idempotency-key"),
                "cookie": request.headers.get("cookie"),
            }
        )
        doc = {
            "id": "file-abc123",
            "object": "file",
            "bytes": len(seen[-1]["content"]),
            "created_at": 1,
            "filename": file.filename,
            "purpose": form["purpose"],
            "status": "processed",
        }
        return web.json_response(doc, headers={"x-request-id": "req_vendor_1", "x-ratelimit-limit-requests": "500"})

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/files", upload)
    return await serve_vendor(app) + "/v1", seen


async def test_files_are_uploaded_as_multipart_with_the_endpoints_key(
    start_gateway: StartGateway,
    tmp_path: Path,
    sim: RunningSim,
    files_vendor: tuple[str, list[Upload]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, seen = files_vendor
    gw = await start_gateway(migration_of(tmp_path, openai_endpoint(url, OLD), openai_endpoint(sim, NEW)))
    content = b'{"prompt": "hi"}\n' * 50_000  # ~850 kB
    async with openai.AsyncOpenAI(
        base_url=gw.openai_url, api_key="sk-app-own-key", project="proj_123", max_retries=0
    ) as client:
        raw = await client.files.with_raw_response.create(
            file=("batch.jsonl", io.BytesIO(content)),
            purpose="batch",
            extra_headers={"Cookie": "session=app-secret", "Idempotency-Key": "upload-1"},
        )
    created = raw.parse()
    assert (created.id, created.bytes) == ("file-abc123", len(content))
    (got,) = seen
    assert (got["content"], got["filename"], got["purpose"]) == (content, "batch.jsonl", "batch")
    assert got["authorization"] == "Bearer sk-test-openai-key-000000000000", "the endpoint's key, not the app's"
    assert (got["project"], got["idempotency"], got["cookie"]) == ("proj_123", "upload-1", None)
    assert raw.headers["x-upstream-request-id"] == "req_vendor_1"
    assert raw.headers["x-ratelimit-limit-requests"] == "500"
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert raw.request_id == row.id and row.arm == PASSTHROUGH_ARM
    assert OPENAI_KEY_ENV  # the key above is the one the fixture put in this variable
