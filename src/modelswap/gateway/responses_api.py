"""The Responses API's state: ``previous_response_id``, ``store`` and ``GET /v1/responses/{id}``.

``POST /v1/responses`` goes through the proxy like the other two serving paths (routing,
shadow, recording, translation); this module wraps it. Before: a ``previous_response_id``
is resolved from the store into the full ``input`` (earlier input items, then that answer's
output items, then the new input), so every upstream, shadow copy and record sees the whole
conversation. After: unless the app sent ``store: false``, the answer is kept (before its
last byte leaves, so a ``GET`` right after the answer finds it), for ``RETENTION`` at most and
at most ``MAX_STORED`` answers per store.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.parse
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson

from modelswap.gateway.asgi import Receive, Scope, Send, respond
from modelswap.gateway.errors import ClientError
from modelswap.providers.base import Dialect, Json
from modelswap.providers.translate import TranslationError
from modelswap.providers.translate.responses_request import input_items
from modelswap.store.rows import StoredResponse
from modelswap.store.stored_responses_repo import StoredResponsesRepo

log = logging.getLogger("modelswap.gateway")

RETENTION = timedelta(days=30)
"""How long a stored response is kept (OpenAI keeps them 30 days)."""
MAX_STORED = 100_000
"""At most this many stored responses per store; the oldest go first."""
PRUNE_EVERY_S = 60.0

_ENDS = (b"event: response.completed\n", b"event: response.incomplete\n")


class Handle(Protocol):
    """``Proxy.handle``'s signature: what serves the request once its input is complete."""

    async def __call__(
        self,
        body: Json,
        dialect: Dialect,
        path: str,
        headers: dict[str, str],
        key_name: str | None,
        send: Send,
        receive: Receive | None = None,
        *,
        request_id: str | None = None,
    ) -> None: ...


class Reject(Protocol):
    """``Proxy.reject``: records a request refused before any model was called."""

    def __call__(
        self,
        exc: ClientError,
        dialect: Dialect,
        path: str,
        headers: dict[str, str],
        key_name: str | None,
        body: Json | None,
        started: float,
        *,
        request_id: str | None = None,
    ) -> None: ...


def not_found(response_id: str, param: str | None = None) -> ClientError:
    """OpenAI's 404 for a response id it does not have."""
    if param:
        return ClientError(
            404,
            f"Previous response with id '{response_id}' not found.",
            param=param,
            code="previous_response_not_found",
        )
    return ClientError(404, f"Response with id '{response_id}' not found.")


def expanded(body: Json, earlier: StoredResponse) -> Json:
    """``body`` with the earlier turn's input and output put before its own ``input``."""
    output = [item for item in earlier.response.get("output") or () if isinstance(item, dict)]
    return {**body, "input": [*earlier.input_items, *output, *input_items(body.get("input"))]}


def final_response(chunk: bytes) -> Json | None:
    """The response carried by a ``response.completed``/``.incomplete`` frame in ``chunk``, if any."""
    for frame in chunk.split(b"\n\n"):
        if frame.startswith(_ENDS):
            data = frame.partition(b"\ndata: ")[2]
            try:
                event = orjson.loads(data)
            except orjson.JSONDecodeError:
                return None
            response = event.get("response") if isinstance(event, dict) else None
            return response if isinstance(response, dict) else None
    return None


class ResponsesApi:
    """Serves ``POST /v1/responses`` through ``handle`` and the stored-response routes from ``repo``."""

    def __init__(self, handle: Handle, reject: Reject, repo: StoredResponsesRepo | None) -> None:
        self._handle = handle
        self._reject = reject
        self.repo = repo
        self._pruned_at = float("-inf")

    async def create(
        self,
        body: Json,
        dialect: Dialect,
        path: str,
        headers: dict[str, str],
        key_name: str | None,
        send: Send,
        receive: Receive | None = None,
        *,
        request_id: str | None = None,
    ) -> None:
        """Resolve ``previous_response_id``, serve, and keep the answer unless ``store`` is false."""
        started = time.perf_counter()
        previous = body.get("previous_response_id")
        if isinstance(previous, str) and isinstance(body.get("input"), str | list):
            try:
                earlier = await self._get(previous)
                if earlier is None:
                    raise not_found(previous, "previous_response_id")
                body = expanded(body, earlier)
            except ClientError as exc:
                self._reject(exc, dialect, path, headers, key_name, body, started, request_id=request_id)
                raise
            except TranslationError as exc:
                error = ClientError(400, str(exc), param=exc.where)
                self._reject(error, dialect, path, headers, key_name, body, started, request_id=request_id)
                raise error from None
        keep = self.repo is not None and body.get("store") is not False
        sending = self._keeping(send, body) if keep else send
        await self._handle(body, dialect, path, headers, key_name, sending, receive, request_id=request_id)

    def _keeping(self, send: Send, body: Json) -> Send:
        """``send`` that stores the answer before passing on the bytes that finish it."""
        status = 0
        streamed = bool(body.get("stream"))
        try:
            items = input_items(body.get("input"))
        except TranslationError:  # not a valid input: the proxy refuses it before anything is sent
            items = []

        async def sending(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status == 200:
                chunk: bytes = message.get("body", b"")
                response: Json | None = None
                if streamed and b"event: response." in chunk:
                    response = final_response(chunk)
                elif not streamed and not message.get("more_body"):
                    loaded = orjson.loads(chunk) if chunk else None
                    response = loaded if isinstance(loaded, dict) else None
                if response is not None and isinstance(response.get("id"), str):
                    await self._keep(response, items)
            await send(message)

        return sending

    async def _keep(self, response: Json, items: list[Json]) -> None:
        repo = self.repo
        assert repo is not None
        now = datetime.now(UTC)
        entry = StoredResponse(id=response["id"], created_at=now, response=response, input_items=items)
        prune = time.monotonic() - self._pruned_at >= PRUNE_EVERY_S
        if prune:
            self._pruned_at = time.monotonic()

        def write() -> None:
            repo.put(entry)
            if prune:
                repo.prune(before=now - RETENTION, keep_at_most=MAX_STORED)

        try:
            await asyncio.to_thread(write)
        except Exception:  # the answer still goes out; only its later retrieval is lost
            log.exception("could not store response %s", response["id"])

    async def _get(self, response_id: str) -> StoredResponse | None:
        if self.repo is None:
            return None
        found = await asyncio.to_thread(self.repo.get, response_id)
        if found is None or found.created_at < datetime.now(UTC) - RETENTION:
            return None
        return found

    # -- GET / DELETE /v1/responses/{id}[/input_items] -----------------------------------------

    async def stored(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], key_name: str | None, *, rest: str
    ) -> None:
        """``GET /v1/responses/{id}`` (and ``/input_items``) and ``DELETE /v1/responses/{id}``."""
        response_id, _, sub = urllib.parse.unquote(rest).partition("/")
        method = scope["method"]
        if method == "DELETE" and not sub:
            if self.repo is None or not await asyncio.to_thread(self.repo.delete, response_id):
                raise not_found(response_id)
            await respond(send, 200, orjson.dumps({"id": response_id, "object": "response", "deleted": True}))
            return
        if method != "GET" or sub not in ("", "input_items"):
            raise ClientError(404, f"no route {method} /v1/responses/{rest}")
        found = await self._get(response_id)
        if found is None:
            raise not_found(response_id)
        if not sub:
            doc: Any = {k: v for k, v in found.response.items() if k != "streamed"}
        else:
            query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
            doc = _item_list(found.input_items, newest_first=query.get("order", ["desc"])[0] != "asc")
        await respond(send, 200, orjson.dumps(doc))


def _item_list(items: list[Json], *, newest_first: bool) -> Json:
    data = [{**item, "id": item.get("id") or f"item_{i}"} for i, item in enumerate(items)]
    if newest_first:
        data.reverse()
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": False,
    }
