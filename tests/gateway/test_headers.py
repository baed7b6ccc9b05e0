"""Headers: the app's allowed ones reach a vendor of its own API, the vendor's come back, and every
answer (errors too) carries modelswap's request id where each SDK reads it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from aiohttp import web

from modelswap.sim import RunningSim

from .conftest import (
    ANTHROPIC_KEY_ENV,
    CLAUDE_NEW,
    CLAUDE_OLD,
    NEW,
    OLD,
    Gateway,
    Scripted,
    StartGateway,
    anthropic_endpoint,
    migration_of,
    openai_endpoint,
)

QUESTION = [{"role": "user", "content": "hi"}]
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": OLD,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}
MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": CLAUDE_OLD,
    "content": [{"type": "text", "text": "hello"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 3, "output_tokens": 1},
}
VENDOR_HEADERS = {
    "x-request-id": "req_vendor",
    "request-id": "req_vendor",
    "openai-processing-ms": "42",
    "x-ratelimit-remaining-requests": "499",
    "anthropic-ratelimit-requests-remaining": "49",
}


@pytest.fixture
async def vendor(serve_vendor: Callable[[web.Application], Awaitable[str]]) -> tuple[str, list[dict[str, str]]]:
    """Answers chat completions and messages, with informative headers; keeps the headers it got."""
    seen: list[dict[str, str]] = []

    def answer(body: dict[str, Any]) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            seen.append({k.lower(): v for k, v in request.headers.items()})
            return web.json_response(body, headers=VENDOR_HEADERS)

        return handle

    app = web.Application()
    app.router.add_post("/v1/chat/completions", answer(COMPLETION))
    app.router.add_post("/v1/messages", answer(MESSAGE))
    return await serve_vendor(app), seen


async def test_openai_app_headers_reach_openai_and_its_headers_come_back(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, vendor: tuple[str, list[dict[str, str]]]
) -> None:
    url, seen = vendor
    gw = await start_gateway(migration_of(tmp_path, openai_endpoint(url + "/v1", OLD), openai_endpoint(sim, NEW)))
    async with openai.AsyncOpenAI(
        base_url=gw.openai_url, api_key="sk-app", organization="org-9", project="proj-9", max_retries=0
    ) as client:
        raw = await client.chat.completions.with_raw_response.create(
            model=OLD,
            messages=QUESTION,  # type: ignore[arg-type]
            extra_headers={"Idempotency-Key": "idem-1", "anthropic-beta": "not-for-openai"},
        )
    reply = raw.parse()
    (got,) = seen
    assert (got["openai-organization"], got["openai-project"], got["idempotency-key"]) == ("org-9", "proj-9", "idem-1")
    assert "anthropic-beta" not in got and got["authorization"] != "Bearer sk-app"
    assert raw.headers["openai-processing-ms"] == "42" and raw.headers["x-ratelimit-remaining-requests"] == "499"
    assert raw.headers["x-upstream-request-id"] == "req_vendor"
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert reply._request_id == row.id == raw.headers["x-request-id"]


@pytest.fixture
async def claude_gateway(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, vendor: tuple[str, list[dict[str, str]]]
) -> Gateway:
    """A gateway whose old model is Claude on the recording vendor."""
    migration = migration_of(tmp_path, anthropic_endpoint(vendor[0], CLAUDE_OLD), anthropic_endpoint(sim, CLAUDE_NEW))
    return await start_gateway(migration)


async def test_anthropic_betas_reach_anthropic(
    claude_gateway: Gateway, vendor: tuple[str, list[dict[str, str]]]
) -> None:
    gw, seen = claude_gateway, vendor[1]
    async with anthropic.AsyncAnthropic(base_url=gw.base_url, api_key="sk-ant-app", max_retries=0) as client:
        message = await client.beta.messages.create(
            model=CLAUDE_OLD,
            max_tokens=50,
            messages=QUESTION,  # type: ignore[list-item]
            betas=["files-api-2025-04-14"],
        )
    (got,) = seen
    assert got["anthropic-beta"] == "files-api-2025-04-14"
    assert got["x-api-key"] == "sk-ant-test-key-0000000000000000" and ANTHROPIC_KEY_ENV
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert message._request_id == row.id


async def test_translated_answers_do_not_carry_the_other_vendors_headers(
    claude_gateway: Gateway, vendor: tuple[str, list[dict[str, str]]]
) -> None:
    gw, seen = claude_gateway, vendor[1]
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app", project="proj-9", max_retries=0) as client:
        raw = await client.chat.completions.with_raw_response.create(model=CLAUDE_OLD, messages=QUESTION)  # type: ignore[arg-type]
    assert raw.parse().choices[0].message.content == "hello"
    assert "openai-project" not in seen[0], "an OpenAI header never goes to Anthropic"
    assert "anthropic-ratelimit-requests-remaining" not in raw.headers and "x-upstream-request-id" not in raw.headers


async def test_errors_carry_the_request_id_in_both_sdks(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    migration = migration_of(
        tmp_path, anthropic_endpoint(sim, CLAUDE_OLD), anthropic_endpoint(sim, CLAUDE_NEW), gateway={"keys": []}
    )
    gw = await start_gateway(migration)
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app", max_retries=0) as client:
        with pytest.raises(openai.BadRequestError) as bad:
            await client.chat.completions.create(model=CLAUDE_OLD, messages=[])
    async with anthropic.AsyncAnthropic(base_url=gw.base_url, api_key="app", max_retries=0) as client:
        with pytest.raises(anthropic.BadRequestError) as no_max:
            await client.messages.create(model=CLAUDE_OLD, messages=[], max_tokens=10)
    await gw.settle(requests=2)
    ids = {r.id for r in gw.requests()}
    assert bad.value.request_id in ids and no_max.value.request_id in ids
    assert bad.value.request_id != no_max.value.request_id


async def test_a_vendors_error_keeps_its_rate_limit_headers_and_our_request_id(
    start_gateway: StartGateway,
    tmp_path: Path,
    sim: RunningSim,
    scripted: Callable[..., Awaitable[Scripted]],
) -> None:
    limited = await scripted(
        429,
        {"error": {"message": "Rate limit reached", "type": "requests", "param": None, "code": "rate_limit_exceeded"}},
        {"x-ratelimit-remaining-requests": "0", "x-request-id": "req_vendor_429", "retry-after": "1"},
    )
    migration = migration_of(
        tmp_path, openai_endpoint(limited.openai_url, OLD, max_retries=0), openai_endpoint(sim, NEW, max_retries=0)
    )
    gw = await start_gateway(migration)
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app", max_retries=0) as client:
        with pytest.raises(openai.RateLimitError) as limited_error:
            await client.chat.completions.create(model=OLD, messages=QUESTION)  # type: ignore[arg-type]
    headers = limited_error.value.response.headers
    assert headers["x-ratelimit-remaining-requests"] == "0" and headers["x-upstream-request-id"] == "req_vendor_429"
    assert len(headers.get_list("retry-after")) <= 1
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert limited_error.value.request_id == row.id and row.status == 429
