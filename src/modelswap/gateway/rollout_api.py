"""The rollout's two HTTP faces on the gateway.

* ``POST /v1/modelswap/feedback`` (behind the app keys, like the serving paths): an app reports
  how a user rated an answer, ``{"request_id": "<the x-request-id it got>", "score": 0..1}``;
  the rollout analysis compares the share of negative feedback (score < 0.5) per arm.
* ``GET /modelswap/rollout/{workload}`` (behind the ``/metrics`` token when one is set): the
  workload's verdict and figures as JSON, read-only, for Argo Rollouts' ``web`` metric provider
  (``jsonPath: "{$.verdict}"``) and any other poller.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime

import orjson

from modelswap.gateway.asgi import Receive, Send, read_body, respond
from modelswap.gateway.errors import ClientError
from modelswap.rollout.controller import Controller

FEEDBACK_PATH = "/v1/modelswap/feedback"
STATUS_PREFIX = "/modelswap/rollout"
MAX_FEEDBACK_BODY = 4096
MAX_REQUEST_ID = 200


def parse_feedback(raw: bytes) -> tuple[str, float]:
    """``(request_id, score)`` from a feedback body, or a ``ClientError`` saying what to change."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ClientError(400, 'the body must be JSON: {"request_id": "...", "score": 0..1}') from None
    if not isinstance(body, dict):
        raise ClientError(400, "the body must be a JSON object with request_id and score")
    request_id, score = body.get("request_id"), body.get("score")
    if not isinstance(request_id, str) or not request_id or len(request_id) > MAX_REQUEST_ID:
        raise ClientError(
            400, f"request_id must be the x-request-id of a served request (1–{MAX_REQUEST_ID} chars)", "request_id"
        )
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score) or not 0 <= score <= 1:
        raise ClientError(400, "score must be a number from 0 (bad) to 1 (good)", "score")
    return request_id, float(score)


class RolloutApi:
    """Feedback in, verdicts out, over one store."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller

    async def feedback(self, receive: Receive, send: Send) -> None:
        request_id, score = parse_feedback(await read_body(receive, MAX_FEEDBACK_BODY))
        store = self.controller.store
        await asyncio.to_thread(store.canary.add_feedback, request_id, score, datetime.now(UTC))
        await respond(send, 200, orjson.dumps({"request_id": request_id, "score": score, "recorded": True}))

    async def status(self, path: str, send: Send) -> None:
        workload = path[len(STATUS_PREFIX) :].strip("/")
        names = self.controller.names
        if workload not in names:
            raise ClientError(404, f"no workload {workload!r}; known: {', '.join(names)}", "workload")
        data = await asyncio.to_thread(self.controller.status, workload)
        await respond(send, 200, orjson.dumps(data))
