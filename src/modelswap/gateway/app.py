"""The gateway's ASGI application: a route table to the proxy, the model list, the admin API and health.

The serving paths are plain ASGI (no framework per request) because they sit on the
app's latency budget: the route table is a dict on (method, path), with the app-key check
as a wrapper around the handlers that need it (``access``); prefix mounts (the admin API,
and apps mounted from outside such as the console) are tried after it. The handlers live
beside it: the proxy, ``models_api``, ``responses_api``, ``rollout_api``, ``passthrough``.
"""

from __future__ import annotations

import asyncio
import gc
import getpass
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import orjson

from modelswap.config import Migration
from modelswap.gateway.access import Access, Endpoint
from modelswap.gateway.admin import Admin
from modelswap.gateway.asgi import ClientGone, Receive, Scope, Send, body_too_large, header_map, read_body, respond
from modelswap.gateway.auth import KeyRing
from modelswap.gateway.errors import INTERNAL_MESSAGE, ClientError
from modelswap.gateway.ids import new_id
from modelswap.gateway.metrics import CONTENT_TYPE_LATEST, GatewayMetrics
from modelswap.gateway.models_api import ModelsApi
from modelswap.gateway.passthrough import Relay, dialect_of, no_responses_vendor, request_id_headers, responses_vendor
from modelswap.gateway.proxy import Proxy
from modelswap.gateway.recorder import Recorder
from modelswap.gateway.responses_api import ResponsesApi
from modelswap.gateway.rollout_api import FEEDBACK_PATH, STATUS_PREFIX, RolloutApi
from modelswap.gateway.shadow import ShadowRunner
from modelswap.gateway.throttle import THROTTLED, AuthGuard, AuthThrottle, TrustedProxies
from modelswap.gateway.validate import parse_body
from modelswap.providers.base import Dialect, Json
from modelswap.providers.passthrough import Vendor
from modelswap.providers.wiring import Arms
from modelswap.rollout.controller import Controller
from modelswap.rollout.readiness import canary_blockers
from modelswap.rollout.table import RoutingTable
from modelswap.store import STICKY_KEY_SECRET, get_or_create_secret

log = logging.getLogger("modelswap.gateway")

REQUEST_ID = "modelswap.request_id"
"""The scope key holding the id modelswap gives each request (its record's id, sent back in the SDKs' headers)."""

_SERVING: dict[str, Dialect] = {
    "/v1/chat/completions": "openai",
    "/chat/completions": "openai",
    "/v1/messages": "anthropic",
    "/v1/responses": "responses",
}
_MODEL_PREFIXES = ("/v1/models/", "/models/")
_PASSED_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


class GatewayApp:
    """One gateway replica: proxy, recorder, shadow pool and routing table under one lifespan."""

    def __init__(
        self,
        migration: Migration,
        arms: Arms,
        routes: RoutingTable,
        recorder: Recorder,
        *,
        replica_id: str,
        poll_interval_s: float = 0.2,
        on_startup: list[Callable[[], Awaitable[None]]] | None = None,
        on_shutdown: list[Callable[[], Awaitable[None]]] | None = None,
        admin_token: str | None = None,
    ) -> None:
        g = migration.gateway
        self.migration = migration
        self.metrics = GatewayMetrics()
        self.shadow = ShadowRunner(g.shadow_concurrency, g.shadow_queue, on_drop=self.metrics.shadow_dropped.inc)
        self.recorder = recorder
        self.routes = routes
        self.arms = arms
        self.proxy = Proxy(migration, arms, routes, recorder, self.shadow, self.metrics, replica_id)
        self.relay = Relay(arms.vendors, recorder.add_request, self.metrics, replica_id, g.max_passthrough_body_bytes)
        self.passthrough_unknown_models = g.unknown_models == "passthrough"
        self.responses = ResponsesApi(self.proxy.handle, self.proxy.reject, getattr(routes.store, "responses", None))
        keyring = KeyRing([*g.keys, *migration.env_gateway_keys()])
        token = admin_token if admin_token is not None else migration.admin_token()
        throttle = AuthThrottle(g.auth_failure_burst, g.auth_failure_refill_s)
        self.guard = AuthGuard(throttle, TrustedProxies(g.trusted_proxies))
        self.admin = Admin(migration, routes, token, actor_default=_whoami(), guard=self.guard)
        self.admin_token = token
        """The admin token (``None``: the admin API is disabled); apps mounted beside the admin API reuse it."""
        metrics_token = migration.metrics_token() if g.metrics_token_env else None
        self.access = Access(keyring, self.guard, metrics_token, g.metrics_token_env)
        """The app keys (as a wrapper on the serving routes) and the metrics token."""
        self.limit = g.max_body_bytes
        self.poll_interval_s = poll_interval_s
        self.started_at = time.time()
        self.models_api = ModelsApi(migration, self.started_at)
        self._on_startup = on_startup or []
        self._on_shutdown = on_shutdown or []
        self.before_shutdown: list[Callable[[], Awaitable[None]]] = []
        """Awaited first when the gateway stops, e.g. until requests cut by the server have been recorded."""
        self.metrics.bind_gauges(lambda: recorder.depth, lambda: recorder.dropped)
        self.metrics.bind_recorder(recorder.health)
        self.metrics.bind_retry_budgets(getattr(arms, "budgets", {}))
        self.max_depth = g.max_body_depth
        self._routes = self._route_table()
        self._mounts: list[tuple[str, bool, Endpoint]] = [("/admin", False, self.admin)]
        self.rollout_api = RolloutApi(
            Controller(migration, routes.store, readiness=canary_blockers(migration, routes.store))
        )

    def _route_table(self) -> dict[tuple[str, str], Endpoint]:
        """(method, path) → endpoint; serving and model paths are matched after the workload prefix is stripped."""
        table: dict[tuple[str, str], Endpoint] = {}
        for path, dialect in _SERVING.items():
            table[("POST", path)] = self.access.app_key(partial(self._serve, dialect=dialect))
        for path in ("/v1/models", "/models"):
            table[("GET", path)] = self.access.app_key(self.models_api.list)
        table[("POST", FEEDBACK_PATH)] = self.access.app_key(self._feedback)
        return table

    def add_lifespan(self, start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]) -> None:
        """Run ``start`` when the gateway starts and ``stop`` when it stops (e.g. the rollout controller)."""
        self._on_startup.append(start)
        self._on_shutdown.insert(0, stop)

    def mount(self, prefix: str, app: Endpoint) -> None:
        """Serve ``prefix`` and everything under it with ``app`` (e.g. the console at ``/console``)."""
        self._mounts.insert(0, (prefix.rstrip("/"), True, app))

    # -- lifespan ------------------------------------------------------------------------------

    async def startup(self) -> None:
        for hook in self._on_startup:
            await hook()
        self.proxy.sticky_secret = await asyncio.to_thread(get_or_create_secret, self.routes.store, STICKY_KEY_SECRET)
        await asyncio.to_thread(self.routes.refresh)
        self.routes.start(self.poll_interval_s)
        self.shadow.start()
        self.recorder.start()
        # Everything alive now (imported code, config, pools) lives as long as the process: move it
        # out of the collector's reach, so a full collection scans request garbage only and pauses
        # the event loop for milliseconds instead of ~100 ms (measured in bench/gateway_overhead.py).
        gc.collect()
        gc.freeze()

    async def shutdown(self) -> None:
        """Stop taking shadow work, let it drain, flush every record, close connections."""
        for hook in self.before_shutdown:
            await hook()
        await self.routes.stop()
        await self.shadow.stop()
        await asyncio.to_thread(self.recorder.close)
        await self.arms.aclose()
        await self.relay.aclose()
        for hook in self._on_shutdown:
            await hook()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("gateway failed to start")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- requests ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        path: str = scope["path"]
        routed = self.proxy.matcher.route_path(path)
        scope[REQUEST_ID] = request_id = new_id()
        try:
            await self._endpoint(scope["method"], path, routed)(scope, receive, send)
        except ClientError as exc:
            headers = header_map(scope)
            dialect = dialect_of(routed, headers)
            if exc.request_id is None and exc.code != THROTTLED:  # refused before any handler recorded it
                self.proxy.reject(exc, "openai", routed, headers, None, None, started, request_id=request_id)
            elif exc.request_id is None:  # a blocked client: counted, not written (it cannot fill the store)
                self.metrics.rejected.labels("", str(exc.status)).inc()
            own = exc.headers()
            named = {name for name, _ in own}  # modelswap's x-should-retry and retry-after win over the vendor's
            vendor = [(name, value) for name, value in exc.vendor_headers if name.lower() not in named]
            answer_headers = [*own, *vendor, *request_id_headers(exc.request_id or request_id)]
            await respond(send, exc.status_for(dialect), exc.body(dialect), answer_headers)
        except ClientGone:
            return
        except Exception:
            log.exception("unexpected error on %s", path)
            body = ClientError(500, INTERNAL_MESSAGE).body(dialect_of(routed, header_map(scope)))
            await respond(send, 500, body, [(b"content-type", b"application/json"), *request_id_headers(request_id)])

    def _endpoint(self, method: str, path: str, routed: str) -> Endpoint:
        """The endpoint for a request: the route table, then the model by id, then the site paths and mounts."""
        endpoint = self._routes.get((method, routed))
        if endpoint is not None:
            return endpoint
        if routed.startswith("/v1/responses/"):
            return self.access.app_key(partial(self.responses.stored, rest=routed.removeprefix("/v1/responses/")))
        if method == "GET" and routed.startswith(_MODEL_PREFIXES):
            return self.access.app_key(partial(self.models_api.retrieve, model=routed.split("/models/", 1)[1]))
        if path == "/healthz":
            return self._health
        if path == "/metrics":
            return self._metrics
        if method == "GET" and path.startswith(STATUS_PREFIX + "/"):
            return self._rollout_status
        for prefix, exact, app in self._mounts:
            if path.startswith(prefix) and (path[len(prefix) : len(prefix) + 1] == "/" or (exact and path == prefix)):
                return app
        if routed.startswith("/v1/") and method in _PASSED_METHODS:
            return self.access.app_key(partial(self._pass, path=routed))
        return partial(self._no_route, method=method, path=path)

    async def _no_route(self, scope: Scope, receive: Receive, send: Send, *, method: str, path: str) -> None:
        raise ClientError(
            404,
            f"no route {method} {path}; modelswap serves POST /v1/chat/completions, POST /v1/messages, "
            "POST /v1/responses, GET /v1/responses/{id}, GET /v1/models[/{model}], passes every other /v1/* "
            "path to the vendor, and serves /healthz, /metrics and /admin/*",
        )

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.access.check_metrics(scope)
        self.metrics.set_routing(self.routes.snapshot())
        await respond(send, 200, self.metrics.render(), [(b"content-type", CONTENT_TYPE_LATEST.encode())])

    async def _feedback(self, scope: Scope, receive: Receive, send: Send, headers: object, identity: object) -> None:
        await self.rollout_api.feedback(receive, send)

    async def _rollout_status(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.access.check_metrics(scope)  # read-only figures: the same token as /metrics
        await self.rollout_api.status(scope["path"], send)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        identity: str | None,
        *,
        dialect: Dialect,
    ) -> None:
        path: str = scope["path"]
        started = time.perf_counter()
        request_id: str = scope[REQUEST_ID]
        try:
            declared = headers.get("content-length")
            if declared and declared.isascii() and declared.isdecimal() and int(declared) > self.limit:
                raise body_too_large(self.limit)
            raw = await read_body(receive, self.limit)
            if declared is None:  # a chunked body's size, known now: what sizes the upstream encoding
                headers["content-length"] = str(len(raw))  # (``forwarding.large_request``) and shadow copies
            body = parse_body(raw, self.max_depth)
        except ClientError as exc:  # refused before the proxy saw it: recorded all the same
            self.proxy.reject(exc, dialect, path, headers, identity, None, started, request_id=request_id)
            raise
        model = body.get("model")
        if self.passthrough_unknown_models and isinstance(model, str) and model not in self.proxy.models:
            vendor = self._vendor_for_model(model, dialect, path, headers, identity, body, started, request_id)
        else:
            vendor = None
        if vendor is not None:
            workload = self._workload_of(path, headers, identity)
            await self.relay.forward(
                scope,
                receive,
                send,
                headers,
                path=self.proxy.matcher.route_path(path),
                workload=workload,
                request_id=request_id,
                body=raw,
                model=str(model),
                vendor=vendor,
            )
            return
        del raw  # the parsed body is what is used from here: do not hold a large one twice
        handle = self.responses.create if dialect == "responses" else self.proxy.handle
        await handle(body, dialect, path, headers, identity, send, receive, request_id=request_id)

    def _vendor_for_model(
        self,
        model: str,
        dialect: Dialect,
        path: str,
        headers: dict[str, str],
        identity: str | None,
        body: Json,
        started: float,
        request_id: str,
    ) -> Vendor | None:
        """Where a request for a model not under migration goes (``None``: the proxy answers it,
        a 404 naming the model). A Responses request goes to the model's own vendor, or is
        refused here with what to do when no endpoint can reach one."""
        if dialect != "responses":
            return self.relay.vendor_for(dialect) if self.relay.can_pass(dialect) else None
        vendor = responses_vendor(self.relay.vendors, model)
        if vendor is None:
            exc = no_responses_vendor(model, sorted(self.proxy.models))
            self.proxy.reject(exc, dialect, path, headers, identity, body, started, request_id=request_id)
            raise exc
        return vendor

    def _workload_of(self, path: str, headers: dict[str, str], identity: str | None) -> str:
        """The workload a passed-through request counts under (rules that read the body do not apply)."""
        try:
            return self.proxy.matcher.match(path=path, headers=headers, body={}, key_name=identity) or ""
        except Exception:
            return ""

    async def _pass(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        identity: str | None,
        *,
        path: str,
    ) -> None:
        """A ``/v1/*`` path modelswap does not migrate: to the vendor, unchanged."""
        workload = self._workload_of(scope["path"], headers, identity)
        await self.relay.forward(
            scope, receive, send, headers, path=path, workload=workload, request_id=scope[REQUEST_ID]
        )

    async def _health(self, scope: Scope, receive: Receive, send: Send) -> None:
        """200 ``ok``, or 503 ``degraded`` with the reasons while records are not being written."""
        health = self.recorder.health()
        s = health.state
        doc: dict[str, Any] = {"status": health.status, "uptime_s": round(time.time() - self.started_at, 1)}
        if health.reasons:
            doc["reasons"] = list(health.reasons)
        doc["recorder"] = {
            "pending": s.pending,
            "written": s.written,
            "reduced": s.reduced,
            "dropped": sum(s.dropped.values()),
            "restarts": s.restarts,
        }
        await respond(send, 200 if health.status == "ok" else 503, orjson.dumps(doc))


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
