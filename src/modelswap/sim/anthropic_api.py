"""Anthropic endpoints: ``POST /v1/messages`` (plain and SSE), the model list, errors.

The stream is the documented event sequence: ``message_start``, then per content block
``content_block_start`` / ``content_block_delta`` (``text_delta`` or ``input_json_delta``) /
``content_block_stop``, a ``ping`` after the first block starts, ``message_delta`` with
the stop reason and usage, and ``message_stop`` — so ``client.messages.stream()`` and
``get_final_message()`` of the official SDK work unchanged.
"""

from __future__ import annotations

import asyncio
import random
import string
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from modelswap.sim.anthropic_wire import MessagesRequest, parse_request, thinking_signature
from modelswap.sim.conversation import Answer
from modelswap.sim.engine import ENGINE, WORKLOAD_HEADER, Plan, SimEngine, forced_status, retry_after_headers
from modelswap.sim.errors import SimError
from modelswap.sim.sse import PacedWriter, json_pieces, named_event, open_stream, text_pieces

_ids = random.Random()
_ALNUM = string.ascii_letters + string.digits
SERVER_STATUSES = (500, 529)

_ERROR_TYPES = {
    "invalid_request": "invalid_request_error",
    "authentication": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "rate_limit": "rate_limit_error",
    "api_error": "api_error",
    "overloaded": "overloaded_error",
}
_FAULT_MESSAGES = {
    "rate_limit": "Number of requests has exceeded your per-minute rate limit. Please try again later.",
    "api_error": "Internal server error",
    "overloaded": "Overloaded",
    "permission": "Your API key does not have permission to use the specified resource.",
}


def _new_id(prefix: str) -> str:
    return prefix + "".join(_ids.choices(_ALNUM, k=24))


def error_body(err: SimError) -> dict[str, Any]:
    """``{"type": "error", "error": {"type", "message"}}`` as Anthropic sends it."""
    if err.kind == "not_found":
        message = f"model: {err.model}"
    else:
        message = err.message or _FAULT_MESSAGES.get(err.kind, f"Request failed with status {err.status}")
    return {"type": "error", "error": {"type": _ERROR_TYPES[err.kind], "message": message}}


def error_response(err: SimError) -> web.Response:
    """The error as an HTTP response, with Retry-After on a 429."""
    headers = {"request-id": _new_id("req_")}
    if err.status == 429:
        headers |= retry_after_headers(err.retry_after or 0.0)
    return web.Response(
        status=err.status,
        body=orjson.dumps(error_body(err)),
        content_type="application/json",
        headers=headers,
    )


def stop_reason(answer: Answer) -> str:
    """``tool_use``, ``max_tokens`` (cut short), ``stop_sequence`` or ``end_turn``."""
    if answer.tool_calls:
        return "tool_use"
    if answer.stop_sequence is not None:
        return "stop_sequence"
    return "max_tokens" if answer.truncated else "end_turn"


def _usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def content_blocks(answer: Answer) -> list[dict[str, Any]]:
    """The answer's final content: a text block and/or ``tool_use`` blocks."""
    blocks: list[dict[str, Any]] = []
    if answer.thinking:
        blocks.append(
            {"type": "thinking", "thinking": answer.thinking, "signature": thinking_signature(answer.thinking)}
        )
    if answer.text or not answer.tool_calls:
        blocks.append({"type": "text", "text": answer.text})
    blocks.extend(
        {"type": "tool_use", "id": "toolu_" + c.id, "name": c.name, "input": c.arguments} for c in answer.tool_calls
    )
    return blocks


def message_body(plan: Plan, message_id: str) -> dict[str, Any]:
    """A non-streamed ``message``."""
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": plan.model,
        "content": content_blocks(plan.answer),
        "stop_reason": stop_reason(plan.answer),
        "stop_sequence": plan.answer.stop_sequence,
        "usage": _usage(plan.prompt_tokens, plan.completion_tokens),
    }


def stream_events(plan: Plan, message_id: str) -> Iterator[tuple[str, dict[str, Any], int]]:
    """(event name, data, tokens it carries) for the whole stream, in order."""
    start = {**message_body(plan, message_id), "content": [], "stop_reason": None}
    start["usage"] = _usage(plan.prompt_tokens, 1)
    yield "message_start", {"type": "message_start", "message": start}, 0
    for index, block in enumerate(content_blocks(plan.answer)):
        head: dict[str, Any]
        if block["type"] == "text":
            head, deltas = {"type": "text", "text": ""}, _text_deltas(block["text"])
        elif block["type"] == "thinking":
            head, deltas = {"type": "thinking", "thinking": "", "signature": ""}, _thinking_deltas(block)
        else:
            head = {**block, "input": {}}
            deltas = _json_deltas(orjson.dumps(block["input"]).decode())
        yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": head}, 0
        if index == 0:
            yield "ping", {"type": "ping"}, 0
        for delta, tokens in deltas:
            data = {"type": "content_block_delta", "index": index, "delta": delta}
            yield "content_block_delta", data, tokens
        yield "content_block_stop", {"type": "content_block_stop", "index": index}, 0
    delta = {"stop_reason": stop_reason(plan.answer), "stop_sequence": plan.answer.stop_sequence}
    usage = {"output_tokens": plan.completion_tokens}
    yield "message_delta", {"type": "message_delta", "delta": delta, "usage": usage}, 0
    yield "message_stop", {"type": "message_stop"}, 0


def _text_deltas(text: str) -> Iterator[tuple[dict[str, Any], int]]:
    for piece in text_pieces(text):
        yield {"type": "text_delta", "text": piece}, 1


def _thinking_deltas(block: dict[str, Any]) -> Iterator[tuple[dict[str, Any], int]]:
    for piece in text_pieces(block["thinking"]):
        yield {"type": "thinking_delta", "thinking": piece}, 1
    yield {"type": "signature_delta", "signature": block["signature"]}, 0


def _json_deltas(text: str) -> Iterator[tuple[dict[str, Any], int]]:
    yield {"type": "input_json_delta", "partial_json": ""}, 0
    for piece in json_pieces(text):
        yield {"type": "input_json_delta", "partial_json": piece}, 3


async def messages(request: web.Request) -> web.StreamResponse:
    """``POST /v1/messages``."""
    engine = request.app[ENGINE]
    workload = request.headers.get(WORKLOAD_HEADER)
    parsed: MessagesRequest | None = None
    try:
        check_headers(request, engine)
        parsed = parse_request(await read_json(request))
        plan = engine.plan(
            parsed.model,
            parsed.conv,
            max_tokens=parsed.max_tokens,
            server_statuses=SERVER_STATUSES,
            forced_status=forced_status(request.headers),
        )
    except SimError as err:
        model = parsed.model if parsed else ""
        engine.record("anthropic", model, err.status, bool(parsed and parsed.stream), workload)
        return error_response(err)
    engine.record("anthropic", parsed.model, 200, parsed.stream, workload)
    message_id = _new_id("msg_")
    if parsed.stream:
        return await _stream(request, plan, message_id)
    if plan.latency_s > 0:
        await asyncio.sleep(plan.latency_s)
    body = orjson.dumps(message_body(plan, message_id))
    return web.Response(body=body, content_type="application/json", headers={"request-id": _new_id("req_")})


async def _stream(request: web.Request, plan: Plan, message_id: str) -> web.StreamResponse:
    """The event stream, paced by the plan (first content after the time to first token)."""
    response = await open_stream(request, {"request-id": _new_id("req_")})
    writer = PacedWriter(response, plan.ttft_s, plan.s_per_token)
    try:
        started = False
        for name, data, tokens in stream_events(plan, message_id):
            if name == "content_block_delta" and not started:
                await writer.first_token()
                started = True
            await writer.send(named_event(name, data), tokens)
        await writer.close()
    except ConnectionResetError:
        pass  # the client went away mid-stream; nothing left to do
    return response


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; a 400 in Anthropic's shape if it is not."""
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError as exc:
        raise SimError.bad_request(f"There was an issue with your request body: invalid JSON: {exc}") from None


def check_headers(request: web.Request, engine: SimEngine) -> None:
    """``anthropic-version`` is required; a key (``x-api-key`` or Bearer) when configured so."""
    config = engine.config
    if config.require_api_key:
        key = request.headers.get("x-api-key", "").strip()
        if not key:
            scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
            key = bearer.strip() if scheme.lower() == "bearer" else ""
        if not key:
            raise SimError(401, "authentication", "x-api-key header is required")
        if config.api_keys is not None and key not in config.api_keys:
            raise SimError(401, "authentication", "invalid x-api-key")
    if not request.headers.get("anthropic-version"):
        raise SimError.bad_request("anthropic-version: header is required", param="anthropic-version")


def list_models_body(engine: SimEngine) -> dict[str, Any]:
    """Anthropic's ``GET /v1/models`` page (every model, one page)."""
    data = [model_body(model_id, engine) for model_id in sorted(engine.profiles)]
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def model_body(model_id: str, engine: SimEngine) -> dict[str, Any]:
    """Anthropic's model object (404 ``SimError`` if unknown)."""
    profile = engine.profile(model_id)
    created = datetime.fromtimestamp(profile.created, UTC).isoformat().replace("+00:00", "Z")
    return {"type": "model", "id": model_id, "display_name": profile.display_name, "created_at": created}
