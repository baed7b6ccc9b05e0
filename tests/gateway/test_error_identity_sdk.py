"""Vendor errors reach the app as the exception its SDK raises for the vendor itself: same dialect,
the vendor's status, ``type`` and ``code`` untouched; across dialects, the faithful equivalent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anthropic
import openai
import orjson
import pytest
from aiohttp import web

from modelswap.sim import RunningSim
from modelswap.store import Store

from .conftest import (
    CLAUDE_OLD,
    OLD,
    Gateway,
    Scripted,
    ServeVendor,
    StartGateway,
    anthropic_endpoint,
    openai_endpoint,
)
from .test_retry_ownership import serving

Script = Callable[..., Awaitable[Scripted]]
ASK = [{"role": "user", "content": "hi"}]

OPENAI_CONTEXT = {
    "error": {
        "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in "
        "130000 tokens.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}
OPENAI_RATE = {
    "error": {
        "message": "Rate limit reached for gpt-4o on tokens per min",
        "type": "tokens",
        "code": "rate_limit_exceeded",
    }
}
OPENAI_503 = {"error": {"message": "The engine is currently overloaded", "type": "server_error", "code": None}}
ANTHROPIC_OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
ANTHROPIC_TOO_LONG = {
    "type": "error",
    "error": {"type": "invalid_request_error", "message": "prompt is too long: 210000 tokens > 200000 maximum"},
}
ANTHROPIC_RATE = {
    "type": "error",
    "error": {
        "type": "rate_limit_error",
        "message": "Number of request tokens has exceeded your per-minute rate limit",
    },
}
ANTHROPIC_SPENT = {
    "type": "error",
    "error": {
        "type": "rate_limit_error",
        "message": "You have reached your monthly spend limit",
        "details": {"error_code": "enforced_spend_limit_reached"},
    },
}


async def openai_app_error(gw: Gateway, model: str, *, stream: bool = False) -> openai.APIStatusError:
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key", max_retries=0) as app:
        with pytest.raises(openai.APIStatusError) as caught:
            if stream:
                async for _ in await app.chat.completions.create(model=model, messages=ASK, stream=True):  # type: ignore[arg-type]
                    pass
            else:
                await app.chat.completions.create(model=model, messages=ASK)  # type: ignore[arg-type]
    return caught.value


async def anthropic_app_error(gw: Gateway, model: str, *, stream: bool = False) -> anthropic.APIStatusError:
    async with anthropic.AsyncAnthropic(base_url=gw.base_url, api_key="app-key", max_retries=0) as app:
        with pytest.raises(anthropic.APIStatusError) as caught:
            if stream:
                async with app.messages.stream(model=model, max_tokens=10, messages=ASK) as events:  # type: ignore[arg-type]
                    async for _ in events:
                        pass
            else:
                await app.messages.create(model=model, max_tokens=10, messages=ASK)  # type: ignore[arg-type]
    return caught.value


# -- same dialect: the vendor's identity untouched ---------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
async def test_openai_context_length_exceeded_stays_that_code(
    stream: bool, start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(400, OPENAI_CONTEXT)
    gw = await serving(start_gateway, tmp_path, store, sim, openai_endpoint(vendor.openai_url, OLD))
    error = await openai_app_error(gw, OLD, stream=stream)
    assert isinstance(error, openai.BadRequestError)
    assert (error.code, error.type, error.param) == ("context_length_exceeded", "invalid_request_error", "messages")
    assert error.body["message"].startswith("This model's maximum context length is 128000 tokens")  # type: ignore[index]


async def test_openai_rate_limit_is_a_rate_limit_error_with_the_vendors_code(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(429, OPENAI_RATE, {"retry-after": "2"})
    gw = await serving(start_gateway, tmp_path, store, sim, openai_endpoint(vendor.openai_url, OLD))
    error = await openai_app_error(gw, OLD)
    assert isinstance(error, openai.RateLimitError)
    assert (error.code, error.type) == ("rate_limit_exceeded", "tokens")
    assert error.response.headers["retry-after"] == "2"


@pytest.mark.parametrize("stream", [False, True])
async def test_anthropic_529_stays_529_overloaded_error(
    stream: bool, start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(529, ANTHROPIC_OVERLOADED)
    gw = await serving(start_gateway, tmp_path, store, sim, anthropic_endpoint(vendor.base_url, CLAUDE_OLD))
    error = await anthropic_app_error(gw, CLAUDE_OLD, stream=stream)
    assert isinstance(error, anthropic.OverloadedError) and error.status_code == 529
    assert error.body["error"]["type"] == "overloaded_error"  # type: ignore[index]


async def test_anthropic_spend_limit_keeps_its_details_code(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, scripted: Script
) -> None:
    vendor = await scripted(429, ANTHROPIC_SPENT)
    gw = await serving(start_gateway, tmp_path, store, sim, anthropic_endpoint(vendor.base_url, CLAUDE_OLD))
    error = await anthropic_app_error(gw, CLAUDE_OLD)
    assert isinstance(error, anthropic.RateLimitError)
    assert error.body["error"]["details"] == {"error_code": "enforced_spend_limit_reached"}  # type: ignore[index]
    assert error.response.headers["x-should-retry"] == "false", "a spent limit is not cured by retrying"


@pytest.fixture
async def overloaded_mid_stream(serve_vendor: ServeVendor) -> str:
    """An Anthropic vendor that starts a message, then sends an ``overloaded_error`` event."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        start = {
            "type": "message_start",
            "message": {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": CLAUDE_OLD,
                "content": [],
                "stop_reason": None,
                "usage": {"input_tokens": 3, "output_tokens": 0},
            },
        }
        await response.write(b"event: message_start\ndata: " + orjson.dumps(start) + b"\n\n")
        await response.write(b"event: error\ndata: " + orjson.dumps(ANTHROPIC_OVERLOADED) + b"\n\n")
        return response

    app = web.Application()
    app.router.add_post("/v1/messages", handler)
    return await serve_vendor(app)


async def test_a_mid_stream_overloaded_error_event_stays_overloaded_error(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, overloaded_mid_stream: str
) -> None:
    gw = await serving(start_gateway, tmp_path, store, sim, anthropic_endpoint(overloaded_mid_stream, CLAUDE_OLD))
    error = await anthropic_app_error(gw, CLAUDE_OLD, stream=True)
    assert error.status_code == 200, "the status went out with message_start"
    assert error.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    assert str(error.body["error"]["message"]).startswith("Overloaded")  # type: ignore[index]


# -- across dialects: the faithful equivalent ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "answer", "exception", "code"),
    [
        (529, ANTHROPIC_OVERLOADED, openai.InternalServerError, None),
        (400, ANTHROPIC_TOO_LONG, openai.BadRequestError, "context_length_exceeded"),
        (429, ANTHROPIC_RATE, openai.RateLimitError, "rate_limit_exceeded"),
        (429, ANTHROPIC_SPENT, openai.RateLimitError, "insufficient_quota"),
    ],
    ids=["overloaded", "prompt-too-long", "rate-limit", "spend-limit"],
)
async def test_an_openai_app_answered_by_claude_sees_openais_equivalent(
    status: int,
    answer: dict[str, Any],
    exception: type[openai.APIStatusError],
    code: str | None,
    start_gateway: StartGateway,
    tmp_path: Path,
    store: Store,
    sim: RunningSim,
    scripted: Script,
) -> None:
    vendor = await scripted(status, answer)
    gw = await serving(start_gateway, tmp_path, store, sim, anthropic_endpoint(vendor.base_url, CLAUDE_OLD))
    error = await openai_app_error(gw, CLAUDE_OLD)
    assert type(error) is exception and error.code == code
    if status == 529:
        assert error.status_code == 503, "OpenAI's word for overloaded"


@pytest.mark.parametrize(
    ("status", "answer", "exception"),
    [
        (503, OPENAI_503, anthropic.OverloadedError),
        (400, OPENAI_CONTEXT, anthropic.BadRequestError),
        (429, OPENAI_RATE, anthropic.RateLimitError),
    ],
    ids=["overloaded", "context-length", "rate-limit"],
)
async def test_an_anthropic_app_answered_by_gpt_sees_anthropics_equivalent(
    status: int,
    answer: dict[str, Any],
    exception: type[anthropic.APIStatusError],
    start_gateway: StartGateway,
    tmp_path: Path,
    store: Store,
    sim: RunningSim,
    scripted: Script,
) -> None:
    vendor = await scripted(status, answer)
    gw = await serving(start_gateway, tmp_path, store, sim, openai_endpoint(vendor.openai_url, OLD))
    error = await anthropic_app_error(gw, OLD)
    assert type(error) is exception
    if status == 400:
        assert str(error.body["error"]["message"]).startswith("prompt is too long"), "the words Claude apps look for"  # type: ignore[index]


@pytest.fixture
async def openai_error_mid_stream(serve_vendor: ServeVendor) -> str:
    """An OpenAI vendor that streams one chunk, then an error object (as OpenAI does mid-stream)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        chunk = {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": OLD,
            "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}],
        }
        await response.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
        error = {"error": {"message": "The server is overloaded", "type": "server_error", "code": "overloaded"}}
        await response.write(b"data: " + orjson.dumps(error) + b"\n\n")
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    return await serve_vendor(app) + "/v1"


async def test_a_mid_stream_openai_error_keeps_its_type_and_code(
    start_gateway: StartGateway, tmp_path: Path, store: Store, sim: RunningSim, openai_error_mid_stream: str
) -> None:
    gw = await serving(start_gateway, tmp_path, store, sim, openai_endpoint(openai_error_mid_stream, OLD))
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key", max_retries=0) as app:
        pieces = []
        with pytest.raises(openai.APIError) as caught:
            async for chunk in await app.chat.completions.create(model=OLD, messages=ASK, stream=True):  # type: ignore[arg-type]
                pieces.append(chunk.choices[0].delta.content)
    assert pieces == ["Hel"]
    assert (caught.value.type, caught.value.code) == ("server_error", "overloaded")
    assert caught.value.message.startswith("The server is overloaded")
