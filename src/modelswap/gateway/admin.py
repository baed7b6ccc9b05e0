"""The admin API (``/admin/*``, behind the admin token): routing state and the rollback flag.

Each change goes through the same functions as the CLI (``modelswap.rollout.flag``),
lands in the shared store as an audited event, and is applied to this replica at once;
other replicas pick it up from the store within a second.

Hostile callers are expected: a weak token is refused at construction, failed tokens are
throttled per client address (429 with ``Retry-After``), and a JSON body over
``MAX_ADMIN_BODY`` is refused with 413 before it is read in full.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qs

import orjson

from modelswap.config import Migration
from modelswap.gateway.asgi import Receive, Send, header_map, read_body
from modelswap.gateway.auth import admin_ok
from modelswap.gateway.errors import ClientError
from modelswap.gateway.startcheck import UnsafeStart, weak_token_message
from modelswap.gateway.throttle import AuthGuard
from modelswap.rollout import flag
from modelswap.rollout.table import RoutingTable

MAX_ADMIN_BODY = 64 * 1024
"""Largest admin API request body, in bytes."""


def _flip_json(f: flag.Flip) -> dict[str, Any]:
    return {"workload": f.workload, "before": _state(f.before), "after": _state(f.after)}


def _state(s: Any) -> dict[str, Any]:
    d = asdict(s)
    d.pop("mirror_old_when_full", None)
    return d


class Admin:
    """Handles ``/admin/*`` for one gateway replica."""

    def __init__(
        self,
        migration: Migration,
        routes: RoutingTable,
        token: str | None,
        actor_default: str,
        guard: AuthGuard | None = None,
    ) -> None:
        if token is not None and (weak := weak_token_message("admin token", migration.gateway.admin_token_env, token)):
            raise UnsafeStart(weak)
        self.migration = migration
        self.routes = routes
        self.token = token
        self.actor_default = actor_default
        self.guard = guard or AuthGuard()
        self.names = [w.name for w in migration.workloads]

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        headers = header_map(scope)
        if self.token is None:
            raise ClientError(
                403, f"the admin API is disabled: set the {self.migration.gateway.admin_token_env} environment variable"
            )
        client = self.guard.address(scope)
        self.guard.refuse_if_blocked(client)
        if not admin_ok(headers, self.token):
            self.guard.failed(client)
            raise ClientError(401, "admin token missing or wrong: send Authorization: Bearer <admin token>")
        method, path = scope["method"], scope["path"]
        body = await self._json(headers, receive) if method == "POST" else {}
        result = await self._route(method, path, body, scope.get("query_string", b""))
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": orjson.dumps(result)})

    async def _route(self, method: str, path: str, body: dict[str, Any], query: bytes) -> Any:
        if (method, path) == ("GET", "/admin/routing"):
            return {"workloads": {n: _state(s) for n, s in self.routes.snapshot().items()}}
        if (method, path) == ("GET", "/admin/events"):
            given = parse_qs(query.decode("latin-1")).get("workload")
            workload = given[0] if given else None
            events = await asyncio.to_thread(self.routes.store.rollout_events, workload)
            return {"events": [{**asdict(e), "ts": e.ts.isoformat()} for e in events]}
        if method == "POST" and path in ("/admin/rollback", "/admin/rollback/undo", "/admin/stage"):
            flips = await asyncio.to_thread(self._change, path, body)
            await asyncio.to_thread(self.routes.refresh)
            return {"changed": [_flip_json(f) for f in flips]}
        raise ClientError(404, f"no admin route {method} {path}; try GET /admin/routing, POST /admin/rollback")

    def _change(self, path: str, body: dict[str, Any]) -> list[flag.Flip]:
        actor = str(body.get("actor") or self.actor_default)
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise ClientError(400, "'reason' must be a string (it goes in the audit trail)", param="reason")
        try:
            if path == "/admin/stage":
                workload = self._workloads(body, required=True)[0]
                if body.get("stage") is None:
                    raise ClientError(
                        400, "'stage' is required: one of full, rolled_back, shadow, split", param="stage"
                    )
                share, clear = body.get("share"), body.get("clear_rollback", False)
                if not isinstance(clear, bool):
                    raise ClientError(400, "'clear_rollback' must be true or false", param="clear_rollback")
                stage = str(body.get("stage"))
                return [flag.set_stage(self.routes.store, workload, stage, share, actor, reason, clear_rollback=clear)]
            workloads = self._workloads(body, required=False)
            if path == "/admin/rollback":
                return flag.rollback(self.routes.store, workloads, actor, reason)
            spare = body.get("workload") is None  # a blanket undo keeps the controller's evidence rollbacks
            return flag.undo_rollback(self.routes.store, workloads, actor, reason, spare_evidence=spare)
        except flag.FlagError as exc:
            raise ClientError(400, str(exc)) from None

    def _workloads(self, body: dict[str, Any], *, required: bool) -> list[str]:
        given = body.get("workload")
        if given is None:
            if required:
                raise ClientError(400, "'workload' is required", param="workload")
            return self.names
        if given not in self.names:
            raise ClientError(400, f"unknown workload {given!r}; known: {', '.join(self.names)}", param="workload")
        return [given]

    @staticmethod
    async def _json(headers: dict[str, str], receive: Receive) -> dict[str, Any]:
        declared = headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > MAX_ADMIN_BODY:
            raise ClientError(413, f"the admin API takes JSON bodies of at most {MAX_ADMIN_BODY} bytes")
        raw = await read_body(receive, MAX_ADMIN_BODY)
        if not raw.strip():
            return {}
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ClientError(400, f"the request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise ClientError(400, "the request body must be a JSON object")
        return body
