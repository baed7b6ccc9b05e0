"""OpenAI endpoints: ``POST /v1/chat/completions`` (plain and SSE), ``GET /v1/models``, errors.

Bodies follow OpenAI's documented shapes field for field (``chatcmpl-`` ids,
``chat.completion.chunk`` objects, ``system_fingerprint``, ``usage`` details), so the
official ``openai`` SDK parses them unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import string
import time
from collections.abc import Iterator
from typing import Any

import orjson
from aiohttp import web

from modelswap.sim.conversation import Answer, ToolCall, count_tokens
from modelswap.sim.engine import ENGINE, WORKLOAD_HEADER, Plan, SimEngine, forced_status, retry_after_headers
from modelswap.sim.errors import SimError
from modelswap.sim.logprobs import logprobs_of
from modelswap.sim.openai_wire import ChatRequest, parse_request
from modelswap.sim.sse import PacedWriter, data_event, json_pieces, open_stream, text_pieces

_ids = random.Random()
_ALNUM = string.ascii_letters + string.digits
SERVER_STATUSES = (500, 503)

_ERROR_TYPES = {
    "invalid_request": "invalid_request_error",
    "authentication": "invalid_request_error",
    "permission": "invalid_request_error",
    "not_found": "invalid_request_error",
    "rate_limit": "requests",
    "api_error": "server_error",
    "overloaded": "server_error",
}
_FAULT_MESSAGES = {
    "rate_limit": "Rate limit reached for requests. Please try again in {retry}.",
    "api_error": "The server had an error while processing your request. Sorry about that!",
    "overloaded": "The engine is currently overloaded, please try again later.",
    "permission": "You are not allowed to sample from this model.",
}
_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


def _new_id(prefix: str, length: int) -> str:
    return prefix + "".join(_ids.choices(_ALNUM, k=length))


def fingerprint(model: str) -> str:
    """A stable ``system_fingerprint`` per model."""
    return "fp_" + hashlib.blake2b(model.encode(), digest_size=5).hexdigest()


def error_body(err: SimError) -> dict[str, Any]:
    """``{"error": {"message", "type", "param", "code"}}`` as OpenAI sends it."""
    message = err.message
    code = err.code
    if err.kind == "not_found":
        message = f"The model `{err.model}` does not exist or you do not have access to it."
    elif err.kind == "rate_limit":
        message = _FAULT_MESSAGES["rate_limit"].format(retry=f"{err.retry_after or 0:.3g}s")
        code = "rate_limit_exceeded"
    elif not message:
        message = _FAULT_MESSAGES.get(err.kind, f"Request failed with status {err.status}.")
    return {"error": {"message": message, "type": _ERROR_TYPES[err.kind], "param": err.param, "code": code}}


def error_response(err: SimError) -> web.Response:
    """The error as an HTTP response, with Retry-After on a 429."""
    headers = {"x-request-id": _new_id("req_", 24)}
    if err.status == 429:
        headers |= retry_after_headers(err.retry_after or 0.0)
        headers |= {"x-ratelimit-remaining-requests": "0"}
    return web.Response(
        status=err.status,
        body=orjson.dumps(error_body(err)),
        content_type="application/json",
        headers=headers,
    )


def usage(plan: Plan) -> dict[str, Any]:
    """The ``usage`` object, with the detail fields the API always includes."""
    return {
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": plan.completion_tokens,
        "total_tokens": plan.prompt_tokens + plan.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": sum(count_tokens(a.thinking) for a in plan.answers),
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def finish_reason(answer: Answer) -> str:
    """``tool_calls``, ``length`` (cut at max_tokens) or ``stop``."""
    if answer.tool_calls:
        return "tool_calls"
    return "length" if answer.truncated else "stop"


def _tool_call(call: ToolCall) -> dict[str, Any]:
    function = {"name": call.name, "arguments": call.arguments_json}
    return {"id": "call_" + call.id, "type": "function", "function": function}


def _choice(index: int, answer: Answer, top_logprobs: int | None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": answer.text if answer.text or not answer.tool_calls else None,
        "refusal": None,
        "annotations": [],
    }
    if answer.tool_calls:
        message["tool_calls"] = [_tool_call(c) for c in answer.tool_calls]
    logprobs = None if top_logprobs is None else logprobs_of(list(text_pieces(answer.text)), top_logprobs)
    return {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish_reason(answer)}


def completion_body(plan: Plan, completion_id: str, created: int, top_logprobs: int | None = None) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` (``top_logprobs``: None unless the request asked for logprobs)."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": plan.model,
        "choices": [_choice(i, a, top_logprobs) for i, a in enumerate(plan.answers)],
        "usage": usage(plan),
        "service_tier": "default",
        "system_fingerprint": fingerprint(plan.model),
    }


def stream_deltas(answer: Answer) -> Iterator[tuple[dict[str, Any], int]]:
    """(delta, tokens it carries) in order: role, text pieces, then each tool call's pieces."""
    if not answer.tool_calls:
        yield {"role": "assistant", "content": "", "refusal": None}, 0
        for piece in text_pieces(answer.text):
            yield {"content": piece}, 1
        return
    yield {"role": "assistant", "content": None, "refusal": None}, 0
    for index, call in enumerate(answer.tool_calls):
        head = {"index": index, "id": "call_" + call.id, "type": "function"}
        yield {"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]}, 1
        for piece in json_pieces(call.arguments_json):
            yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, 3


async def chat_completions(request: web.Request) -> web.StreamResponse:
    """``POST /v1/chat/completions``."""
    engine = request.app[ENGINE]
    workload = request.headers.get(WORKLOAD_HEADER)
    parsed: ChatRequest | None = None
    try:
        check_auth(request, engine)
        parsed = parse_request(await read_json(request))
        plan = engine.plan(
            parsed.model,
            parsed.conv,
            max_tokens=parsed.max_tokens,
            server_statuses=SERVER_STATUSES,
            forced_status=forced_status(request.headers),
            choices=parsed.n,
        )
    except SimError as err:
        model = parsed.model if parsed else ""
        engine.record("openai", model, err.status, bool(parsed and parsed.stream), workload)
        return error_response(err)
    engine.record("openai", parsed.model, 200, parsed.stream, workload)
    completion_id, created = _new_id("chatcmpl-", 29), int(time.time())
    top = parsed.top_logprobs if parsed.logprobs else None
    if parsed.stream:
        return await _stream(request, plan, parsed.include_usage, completion_id, created, top)
    if plan.latency_s > 0:
        await asyncio.sleep(plan.latency_s)
    body = orjson.dumps(completion_body(plan, completion_id, created, top))
    return web.Response(body=body, content_type="application/json")


async def _stream(
    request: web.Request, plan: Plan, include_usage: bool, completion_id: str, created: int, top: int | None
) -> web.StreamResponse:
    """SSE chunks paced by the plan, a final chunk with the finish reason, usage, ``[DONE]``."""
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": plan.model,
        "service_tier": "default",
        "system_fingerprint": fingerprint(plan.model),
    }
    extra = {"usage": None} if include_usage else {}
    response = await open_stream(request, {"x-request-id": _new_id("req_", 24)})
    writer = PacedWriter(response, plan.ttft_s, plan.s_per_token)
    try:
        await writer.first_token()
        for index, answer in enumerate(plan.answers):
            for delta, tokens in stream_deltas(answer):
                piece = delta.get("content")
                logprobs = logprobs_of([piece], top) if top is not None and piece else None
                choice = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": None}
                await writer.send(data_event({**base, "choices": [choice], **extra}), tokens)
            last = {"index": index, "delta": {}, "logprobs": None, "finish_reason": finish_reason(answer)}
            await writer.send(data_event({**base, "choices": [last], **extra}))
        if include_usage:
            await writer.send(data_event({**base, "choices": [], "usage": usage(plan)}))
        await writer.send(b"data: [DONE]\n\n")
        await writer.close()
    except ConnectionResetError:
        pass  # the client went away mid-stream; nothing left to do
    return response


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; OpenAI's 400 wording if it is not."""
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise SimError.bad_request(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
            "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
            "valid JSON.)"
        ) from None


def check_auth(request: web.Request, engine: SimEngine) -> None:
    """401 when a key is required and missing or not one of the accepted keys."""
    config = engine.config
    if not config.require_api_key:
        return
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise SimError(401, "authentication", _NO_KEY)
    if config.api_keys is not None and key.strip() not in config.api_keys:
        shown = key.strip()[:3] + "*" * 4 + key.strip()[-4:]
        raise SimError(
            401,
            "authentication",
            f"Incorrect API key provided: {shown}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )


def list_models_body(engine: SimEngine) -> dict[str, Any]:
    """OpenAI's ``GET /v1/models`` list."""
    data = [
        {"id": model_id, "object": "model", "created": p.created, "owned_by": p.vendor}
        for model_id, p in sorted(engine.profiles.items())
    ]
    return {"object": "list", "data": data}


def model_body(model_id: str, engine: SimEngine) -> dict[str, Any]:
    """OpenAI's ``GET /v1/models/{id}`` object (404 ``SimError`` if unknown)."""
    profile = engine.profile(model_id)
    return {"id": model_id, "object": "model", "created": profile.created, "owned_by": profile.vendor}
