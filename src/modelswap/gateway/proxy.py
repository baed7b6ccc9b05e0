"""The serving path: one chat request in, the chosen model's answer out, a record and a
shadow copy handed off without waiting.

``Proxy.handle`` is called by the ASGI app for ``/v1/chat/completions`` (OpenAI dialect)
and ``/v1/messages`` (Anthropic dialect). Every decision it makes is delegated to pure
functions (matching, routing, validation); what remains is match → choose arm → call →
record. The request's state is a ``call.Call``; counting, pricing and recording each attempt
is ``attempt_log``; relaying a stream's events is ``stream_relay``.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime
from functools import partial

import orjson

from modelswap.config import Migration
from modelswap.gateway.asgi import Receive, Send, respond
from modelswap.gateway.attempt_log import AttemptLog
from modelswap.gateway.call import Call, Outcome, Sink, cut, error_outcome
from modelswap.gateway.cascade_arm import CascadeArms
from modelswap.gateway.client_watch import ClientWatch
from modelswap.gateway.errors import ClientError, from_upstream
from modelswap.gateway.ids import new_id
from modelswap.gateway.metrics import GatewayMetrics
from modelswap.gateway.model_names import ModelNames
from modelswap.gateway.pseudonym import sticky_pseudonym
from modelswap.gateway.records import error_text, log_failure, rejection_row
from modelswap.gateway.shadow import ShadowRunner
from modelswap.gateway.stream_relay import relay
from modelswap.gateway.streaming import usage_of
from modelswap.gateway.validate import check_body
from modelswap.providers.base import Dialect, Json, Upstream, UpstreamError
from modelswap.providers.fallback import Fallback
from modelswap.providers.forwarding import begin
from modelswap.providers.frames import frames_of
from modelswap.providers.shadowed import Shadowed
from modelswap.providers.wiring import Arms
from modelswap.rollout.routing import choose_arm, sticky_key_of
from modelswap.rollout.table import RoutingTable
from modelswap.workload_match import WorkloadMatcher


def _json_headers(extra: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), *extra]


class Proxy:
    """Serves chat requests for every workload of one migration."""

    def __init__(
        self,
        migration: Migration,
        arms: Arms,
        routes: RoutingTable,
        sink: Sink,
        shadow: ShadowRunner,
        metrics: GatewayMetrics,
        replica_id: str,
    ) -> None:
        self.migration = migration
        self.arms = arms
        self.routes = routes
        self.sink = sink
        self.shadow = shadow
        self.metrics = metrics
        self.replica_id = replica_id
        self.matcher = WorkloadMatcher(migration.workloads, migration.gateway.default_workload)
        self.workloads = {w.name: w for w in migration.workloads}
        self.models = ModelNames(migration.endpoints, (e.model for e in migration.endpoints.values()))
        self.attempts = AttemptLog(migration, arms, sink, metrics, replica_id)
        self.cascades = CascadeArms(arms, metrics, self.attempts)
        for w in migration.workloads:  # build each signal now: a bad one stops the start, not a request
            if w.routing is not None:
                self.cascades.decider(w.name, w.routing, "openai")
        self.sticky_secret: bytes | None = None
        """The store's key for ``sticky_key_hash``; set once by the gateway at start."""

    # -- entry -----------------------------------------------------------------------------

    async def handle(
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
        """Validate and match, choose the arm, call it, answer; the record and the shadow copy are
        handed off without waiting.

        ``receive`` (the ASGI one, body already read) tells a stream when the client has gone.
        A refused request is recorded too (``reject``), and so is one that fails on a bug."""
        started = time.perf_counter()
        try:
            check_body(body, dialect, self.models)
            name = self.matcher.match(path=path, headers=headers, body=body, key_name=key_name)
            if name is None:
                raise ClientError(400, self.matcher.explain_no_match(path=path, key_name=key_name), code="no_workload")
        except ClientError as exc:
            self.reject(exc, dialect, path, headers, key_name, body, started, request_id=request_id)
            raise
        workload = self.workloads[name]
        sticky = sticky_key_of(workload.sticky_key, headers, body)
        decision = choose_arm(self.routes.get(name), sticky, name, random.random())
        call = Call(
            id=request_id or new_id(),
            workload=workload,
            dialect=dialect,
            body=body,
            stream=bool(body.get("stream")),
            sticky_hash=sticky_pseudonym(self.sticky_secret, sticky),
            started=started,
            ts=datetime.now(UTC),
            arm=decision.serve,
            attempt_started=started,
            exchange=begin(headers),
        )
        try:
            upstream = self._upstream(call, decision.shadow)
            if call.stream:
                await self._serve_stream(call, upstream, send, receive)
            else:
                await self._serve_once(call, upstream, send, receive)
        except Exception as exc:
            if not call.recorded:  # a bug before any outcome was recorded: record it, then let the app answer 500
                self._record_bug(call, exc)
            raise

    def _upstream(self, call: Call, shadow: str | None) -> Upstream:
        """The chosen arm's upstream, wrapped: the new arm of a routed workload is a cascade (cheap
        model first); otherwise falling back to the old model when the workload allows it; and
        copying each request to the ``shadow`` arm."""
        upstream = self.arms.get(call.arm, call.dialect)
        if call.arm == "new" and call.workload.routing is not None:
            upstream = self.cascades.upstream(call, call.workload.routing)
        elif call.arm == "new" and call.workload.fallback_to_old:
            old = self.arms.get("old", call.dialect)
            upstream = Fallback(upstream, old, on_fall_back=partial(self._falling_back, call))
        if shadow is not None:
            routing = call.workload.routing
            copy: Upstream = self.arms.get(shadow, call.dialect)
            if shadow == "new" and routing is not None:  # the cascade is the new arm, shadowed too
                copy = self.cascades.shadow_upstream(call, routing)
            upstream = Shadowed(upstream, copy, self.shadow.submit, partial(self.attempts.record_pair, call, shadow))
        return upstream

    def reject(
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
    ) -> None:
        """Record and log a request refused before any model was called (the caller answers it,
        with ``exc.request_id``, the record's id)."""
        try:
            workload = self.matcher.match(path=path, headers=headers, body=body or {}, key_name=key_name) or ""
        except Exception:  # the body is the problem: rules that read it cannot be trusted on it
            workload = ""
        exc.request_id = request_id or new_id()
        row = rejection_row(
            request_id=exc.request_id,
            ts=datetime.now(UTC),
            workload=workload,
            status=exc.status,
            kind=exc.code or "invalid_request",
            error=error_text(exc),
            latency_s=time.perf_counter() - started,
            stream=body is not None and body.get("stream") is True,
            replica_id=self.replica_id,
        )
        self.metrics.rejected.labels(workload, str(exc.status)).inc()
        log_failure(row)
        self.sink.add_request(row)

    def _record_bug(self, call: Call, exc: Exception) -> None:
        try:
            self.arms.get(call.served, call.dialect)
        except Exception:  # the arm itself is what broke: the app's 500 and the log still tell
            return
        bug = Outcome(500, time.perf_counter() - call.started, error_kind="internal", error=error_text(exc))
        self.attempts.finish(call, call.served, bug)

    # -- non-streaming -----------------------------------------------------------------------

    async def _serve_once(self, call: Call, upstream: Upstream, send: Send, receive: Receive | None = None) -> None:
        watch = ClientWatch(receive) if receive is not None else None
        try:
            answer = await upstream.complete(call.body)
        except UpstreamError as exc:
            raise self._failed(call, exc) from None
        except asyncio.CancelledError:
            if watch is None or not watch.fired:  # the server's graceful stop ran out of time
                self.attempts.finish(call, call.arm, cut(call))
                raise  # the server answers the 503 (http_protocol)
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # this cancellation was ours: the client left, the upstream call stops
            gone = Outcome(
                499,
                time.perf_counter() - call.started,
                error_kind="client_closed",
                error="the client closed the connection before the answer came",
            )
            self.attempts.finish(call, call.arm, gone)
            return
        finally:
            if watch is not None:
                watch.stop()
        out = Outcome(200, time.perf_counter() - call.started, response=answer)
        out.prompt_tokens, out.completion_tokens, out.cached_tokens = usage_of(answer, call.dialect)
        self.attempts.finish(call, call.served, out, fallback=call.fell_back)
        body = orjson.dumps(answer)
        await respond(send, 200, body, _json_headers(self._answer_headers(call)))

    # -- streaming ---------------------------------------------------------------------------

    async def _serve_stream(self, call: Call, upstream: Upstream, send: Send, receive: Receive | None = None) -> None:
        body = call.body
        # the record needs usage: ask for it upstream, and strip it again if the client did not
        strip_usage = call.dialect == "openai" and not (body.get("stream_options") or {}).get("include_usage")
        if strip_usage:
            body = {**body, "stream_options": {**(body.get("stream_options") or {}), "include_usage": True}}
        # wait for the first events before answering, so early failures (and fallbacks) still get a status
        events = frames_of(upstream, body)
        try:
            first = await anext(events, None)
        except UpstreamError as exc:
            raise self._failed(call, exc) from None
        except asyncio.CancelledError:  # the server's graceful stop ran out of time; it answers the 503
            self.attempts.finish(call, call.arm, cut(call))
            raise
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            *self._answer_headers(call),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        out, tail = await relay(
            call, events, first, send, strip_usage=strip_usage, keep_bodies=self.attempts.keep_bodies, receive=receive
        )
        self.attempts.finish(call, call.served, out, fallback=call.fell_back)
        await send({"type": "http.response.body", "body": tail, "more_body": False})
        if out.error_kind == "shutdown":
            raise asyncio.CancelledError  # recorded and ended with an error event: the stop goes on

    # -- fallback and shadow -------------------------------------------------------------------

    def _falling_back(self, call: Call, failed: Upstream, exc: UpstreamError, elapsed_s: float) -> None:
        """The chosen arm failed and the old model is asked next: count it and record the failed
        attempt under its own id (the served answer keeps the request's)."""
        self.metrics.fallbacks.labels(call.workload.name).inc()
        self.attempts.finish(call, call.arm, error_outcome(exc, elapsed_s), retried=True)
        call.fell_back, call.attempt_started = True, time.perf_counter()

    def _failed(self, call: Call, exc: UpstreamError) -> ClientError:
        """Record the last attempt's failure; the error for the app names the model that failed."""
        arm = call.served
        latency_s = time.perf_counter() - call.attempt_started
        self.attempts.finish(call, arm, error_outcome(exc, latency_s), fallback=call.fell_back)
        error = from_upstream(exc, arm, self.arms.get(call.endpoint, call.dialect).model)
        error.request_id = call.id
        if call.exchange.received and self.arms.vendors[call.endpoint].wire == call.dialect:
            # retry-after is the gateway's to say (ClientError.retry_after), not repeated from the vendor
            error.vendor_headers = tuple(h for h in call.exchange.received if not h[0].startswith(b"retry-after"))
        return error

    # -- bookkeeping ---------------------------------------------------------------------------

    def _answer_headers(self, call: Call) -> list[tuple[bytes, bytes]]:
        """modelswap's request id where each SDK reads it, the arm that answered, and the vendor's
        informative headers when it speaks the app's dialect (a translated answer's would mislead)."""
        rid = call.id.encode()
        out = [(b"x-request-id", rid), (b"request-id", rid), (b"x-modelswap-arm", call.served.encode())]
        if call.routing is not None:
            out.append((b"x-modelswap-escalated", b"true" if call.escalation is not None else b"false"))
        if call.exchange.received and self.arms.vendors[call.endpoint].wire == call.dialect:
            out += call.exchange.received
        return out
