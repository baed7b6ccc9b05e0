"""The simulator's OpenAI Responses API: ``POST /v1/responses``, whole and streamed.

The request is read through modelswap's Responses → chat translation into the same engine that
answers ``/v1/chat/completions`` (so a model answers alike on both paths), and the answer is
sent in the Responses API's own wire format: a ``response`` object, or its event stream
(``response.created`` ... ``response.completed``) paced like the chat stream. The simulator keeps
no state: ``previous_response_id`` is refused with OpenAI's 400 for a response it does not have.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from aiohttp import web

from modelswap.providers.translate import TranslationError
from modelswap.providers.translate.responses_request import responses_request_to_chat
from modelswap.providers.translate.responses_response import chat_completion_to_response, new_item_id
from modelswap.providers.translate.responses_stream import ChatStreamToResponses
from modelswap.sim.engine import ENGINE, WORKLOAD_HEADER, Plan, forced_status
from modelswap.sim.errors import SimError
from modelswap.sim.openai_api import (
    SERVER_STATUSES,
    _new_id,
    check_auth,
    completion_body,
    error_response,
    finish_reason,
    read_json,
    stream_deltas,
    usage,
)
from modelswap.sim.openai_wire import parse_request
from modelswap.sim.sse import PacedWriter, named_event, open_stream


def _chat_body(body: Any) -> dict[str, Any]:
    """The Responses body as a chat body, with the Responses API's own errors for what it refuses."""
    if not isinstance(body, dict):
        raise SimError.bad_request("Invalid body: expected a JSON object.")
    if body.get("previous_response_id"):
        raise SimError(
            400,
            "invalid_request",
            f"Previous response with id '{body['previous_response_id']}' not found.",
            param="previous_response_id",
            code="previous_response_not_found",
        )
    if body.get("input") in (None, "", []):
        raise SimError.bad_request("Missing required parameter: 'input'.", param="input")
    try:
        return responses_request_to_chat(body)
    except TranslationError as exc:
        raise SimError.bad_request(f"Invalid '{exc.where}': {exc.message}", param=exc.where) from None


async def responses(request: web.Request) -> web.StreamResponse:
    """``POST /v1/responses``."""
    engine = request.app[ENGINE]
    workload = request.headers.get(WORKLOAD_HEADER)
    body: Any = None
    model = ""
    stream = False
    try:
        check_auth(request, engine)
        body = await read_json(request)
        model = str(body.get("model") or "") if isinstance(body, dict) else ""
        stream = bool(isinstance(body, dict) and body.get("stream"))
        parsed = parse_request(_chat_body(body))
        plan = engine.plan(
            parsed.model,
            parsed.conv,
            max_tokens=parsed.max_tokens,
            server_statuses=SERVER_STATUSES,
            forced_status=forced_status(request.headers),
        )
    except SimError as err:
        engine.record("responses", model, err.status, stream, workload)
        return error_response(err)
    engine.record("responses", parsed.model, 200, stream, workload)
    response_id, created = new_item_id("resp"), int(time.time())
    if stream:
        return await _stream(request, plan, body, response_id, created)
    if plan.latency_s > 0:
        await asyncio.sleep(plan.latency_s)
    completion = completion_body(plan, _new_id("chatcmpl-", 29), created)
    answer = chat_completion_to_response(completion, body, response_id=response_id, created=created)
    headers = {"x-request-id": _new_id("req_", 24)}
    return web.Response(body=orjson.dumps(answer), content_type="application/json", headers=headers)


async def _stream(
    request: web.Request, plan: Plan, body: dict[str, Any], response_id: str, created: int
) -> web.StreamResponse:
    """The Responses event stream, paced by the plan like the chat stream."""
    translator = ChatStreamToResponses(body, response_id=response_id, created=created)
    base = {"model": plan.model}
    response = await open_stream(request, {"x-request-id": _new_id("req_", 24)})
    writer = PacedWriter(response, plan.ttft_s, plan.s_per_token)

    async def emit(events: list[dict[str, Any]], tokens: float = 0) -> None:
        for i, event in enumerate(events):
            await writer.send(named_event(event["type"], event), tokens if i == len(events) - 1 else 0)

    try:
        await emit(translator.feed({**base, "choices": []}))
        await writer.first_token()
        for delta, tokens in stream_deltas(plan.answer):
            await emit(translator.feed({**base, "choices": [{"index": 0, "delta": delta}]}), tokens)
        last = {"index": 0, "delta": {}, "finish_reason": finish_reason(plan.answer)}
        await emit(translator.feed({**base, "choices": [last], "usage": usage(plan)}))
        await emit(translator.finish())
        await writer.close()
    except ConnectionResetError:
        pass  # the client went away mid-stream; nothing left to do
    return response
