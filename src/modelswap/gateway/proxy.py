"""The serving path: one chat request in, the chosen model's answer out, a record and a
shadow copy handed off without waiting.

``Proxy.handle`` is called by the ASGI app for ``/v1/chat/completions`` (OpenAI dialect)
and ``/v1/messages`` (Anthropic dialect). Every decision it makes is delegated to pure
functions (matching, routing, validation); what remains is I/O and bookkeeping.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

import orjson

from modelswap.catalog import Usage, cost
from modelswap.config import Migration, Workload
from modelswap.gateway.asgi import Receive, Send, respond
from modelswap.gateway.client_watch import STREAM_WATCH_AFTER_S, ClientWatch
from modelswap.gateway.errors import INTERNAL_MESSAGE, ClientError, error_frame, from_upstream, upstream_status
from modelswap.gateway.ids import new_id
from modelswap.gateway.metrics import GatewayMetrics
from modelswap.gateway.model_names import ModelNames
from modelswap.gateway.pseudonym import sticky_pseudonym
from modelswap.gateway.records import error_text, log_failure, rejection_row
from modelswap.gateway.shadow import ShadowRunner
from modelswap.gateway.streaming import DONE, StreamTally, encode_event, error_event, usage_of, without_usage
from modelswap.gateway.validate import check_body
from modelswap.providers.base import Dialect, Frames, Json, Upstream, UpstreamError
from modelswap.providers.fallback import Fallback
from modelswap.providers.forwarding import Exchange, begin
from modelswap.providers.frames import aclose_quietly, frames_of
from modelswap.providers.shadowed import Shadowed, ShadowResult
from modelswap.providers.wiring import Arms, price_overrides
from modelswap.rollout.routing import choose_arm, sticky_key_of
from modelswap.rollout.table import RoutingTable
from modelswap.store.rows import RequestRow, ShadowPairRow
from modelswap.workload_match import WorkloadMatcher

log = logging.getLogger("modelswap.gateway")


class Sink(Protocol):
    """Where finished records go (the recorder); an interface so tests can collect them."""

    def add_request(self, row: RequestRow) -> None: ...

    def add_pair(self, row: ShadowPairRow) -> None: ...


@dataclass(slots=True)
class Call:
    """One request on its way through: what was asked and what has been decided."""

    id: str
    workload: Workload
    dialect: Dialect
    body: Json
    stream: bool
    sticky_hash: str | None
    started: float
    ts: datetime
    arm: str
    """The arm routing chose to serve."""
    attempt_started: float
    """When the current upstream attempt began (the fallback's, once it falls back)."""
    exchange: Exchange
    """The app's headers forwarded to the vendor, and the vendor's passed back."""
    recorded: bool = False
    """Whether the record under ``id`` has been handed to the sink."""
    fell_back: bool = False
    """Whether the chosen arm failed and the old model was asked instead."""

    @property
    def served(self) -> str:
        """The arm asked last: the one that answered, or whose failure the app is told."""
        return "old" if self.fell_back else self.arm


@dataclass(slots=True)
class Outcome:
    """How one upstream call ended, for the record and the metrics."""

    status: int
    latency_s: float
    ttft_s: float | None = None
    error_kind: str | None = None
    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    response: Json | None = None
    tokens_estimated: bool = False


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
        self.overrides = price_overrides(migration)
        self._unpriced: set[str] = set()
        self.keep_bodies = migration.gateway.record_bodies != "none"
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
        """The chosen arm's upstream, wrapped: falling back to the old model when the workload
        allows it, and copying each request to the ``shadow`` arm."""
        upstream = self.arms.get(call.arm, call.dialect)
        if call.arm == "new" and call.workload.fallback_to_old:
            old = self.arms.get("old", call.dialect)
            upstream = Fallback(upstream, old, on_fall_back=partial(self._falling_back, call))
        if shadow is not None:
            copy = self.arms.get(shadow, call.dialect)
            upstream = Shadowed(upstream, copy, self.shadow.submit, partial(self._record_pair, call, shadow))
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
        self._finish(call, call.served, bug)

    # -- non-streaming -----------------------------------------------------------------------

    async def _serve_once(self, call: Call, upstream: Upstream, send: Send, receive: Receive | None = None) -> None:
        watch = ClientWatch(receive) if receive is not None else None
        try:
            answer = await upstream.complete(call.body)
        except UpstreamError as exc:
            raise self._failed(call, exc) from None
        except asyncio.CancelledError:
            if watch is None or not watch.fired:  # the server's graceful stop ran out of time
                self._finish(call, call.arm, _cut(call))
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
            self._finish(call, call.arm, gone)
            return
        finally:
            if watch is not None:
                watch.stop()
        out = Outcome(200, time.perf_counter() - call.started, response=answer)
        out.prompt_tokens, out.completion_tokens, out.cached_tokens = usage_of(answer, call.dialect)
        self._finish(call, call.served, out, fallback=call.fell_back)
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
            self._finish(call, call.arm, _cut(call))
            raise
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            *self._answer_headers(call),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        out, tail = await self._relay(call, events, first, send, strip_usage, receive)
        self._finish(call, call.served, out, fallback=call.fell_back)
        await send({"type": "http.response.body", "body": tail, "more_body": False})
        if out.error_kind == "shutdown":
            raise asyncio.CancelledError  # recorded and ended with an error event: the stop goes on

    async def _relay(
        self,
        call: Call,
        events: AsyncIterator[Frames],
        first: Frames | None,
        send: Send,
        strip_usage: bool,
        receive: Receive | None = None,
    ) -> tuple[Outcome, bytes]:
        """Relay a stream's events; returns how it went and the bytes that end it (to send after
        the record is handed off)."""
        tally = StreamTally(assemble=self.keep_bodies)
        take = getattr(tally, call.dialect)  # StreamTally.openai, .anthropic or .responses
        ttft: float | None = None
        out = Outcome(200, 0.0)
        dialect = call.dialect
        batch = first
        watch = ClientWatch(receive, STREAM_WATCH_AFTER_S, cancel=False) if receive is not None else None
        try:
            while batch is not None:
                if watch is not None and watch.fired:  # stop paying for tokens nobody receives
                    raise ConnectionResetError("the client closed the connection mid-stream")
                frames: list[bytes] = []
                for raw, event in batch:
                    if take(event) and ttft is None:
                        ttft = time.perf_counter() - call.started
                    if strip_usage and "usage" in event:  # asked upstream for the record; OpenAI omits it
                        if not event.get("choices"):
                            continue
                        raw = without_usage(raw, event)
                    frames.append(encode_event(event, dialect) if raw is None else raw)
                if frames:
                    chunk = frames[0] if len(frames) == 1 else b"".join(frames)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                try:
                    batch = await events.__anext__()
                except StopAsyncIteration:
                    batch = None
            tail = DONE if call.dialect == "openai" else b""
        except UpstreamError as exc:
            out.status, out.error_kind, out.error = upstream_status(exc), exc.kind, error_text(exc, exc.message)
            tail = error_frame(exc, call.dialect) + (DONE if call.dialect == "openai" else b"")
        except OSError as exc:  # the client went away
            out.status, out.error_kind, out.error = 499, "client_closed", error_text(exc)
            tail = b""
        except asyncio.CancelledError:  # the server's graceful stop ran out of time
            out.status, out.error_kind, out.error = 503, "shutdown", SHUTDOWN_MESSAGE
            tail = error_event(SHUTDOWN_MESSAGE, "shutdown", call.dialect) + (DONE if call.dialect == "openai" else b"")
        except Exception as exc:  # a bug: the status is already sent, so end the stream with an error event
            log.exception("unexpected error while relaying a stream")
            out.status, out.error_kind, out.error = 500, "internal", error_text(exc)
            tail = error_event(INTERNAL_MESSAGE, "internal_error", call.dialect)
            tail += DONE if call.dialect == "openai" else b""
        finally:
            if watch is not None:
                watch.stop()
            await aclose_quietly(events)
        out.latency_s, out.ttft_s = time.perf_counter() - call.started, ttft
        out.prompt_tokens, out.completion_tokens, out.cached_tokens = (
            tally.prompt_tokens,
            tally.completion_tokens,
            tally.cached_tokens,
        )
        if out.status != 200 and out.completion_tokens is None:  # cut short: the vendor still billed it
            out.prompt_tokens, out.completion_tokens = tally.estimate(call.body)
            out.tokens_estimated = True
        out.response = tally.response() if tally.assemble else None
        return out, tail

    # -- fallback and shadow -------------------------------------------------------------------

    def _falling_back(self, call: Call, failed: Upstream, exc: UpstreamError, elapsed_s: float) -> None:
        """The chosen arm failed and the old model is asked next: count it and record the failed
        attempt under its own id (the served answer keeps the request's)."""
        self.metrics.fallbacks.labels(call.workload.name).inc()
        self._finish(call, call.arm, self._error_outcome(exc, elapsed_s), retried=True)
        call.fell_back, call.attempt_started = True, time.perf_counter()

    def _failed(self, call: Call, exc: UpstreamError) -> ClientError:
        """Record the last attempt's failure; the error for the app names the model that failed."""
        arm = call.served
        latency_s = time.perf_counter() - call.attempt_started
        self._finish(call, arm, self._error_outcome(exc, latency_s), fallback=call.fell_back)
        error = from_upstream(exc, arm, self.arms.get(arm, call.dialect).model)
        error.request_id = call.id
        if call.exchange.received and self.arms.vendors[arm].wire == call.dialect:
            # retry-after is the gateway's to say (ClientError.retry_after), not repeated from the vendor
            error.vendor_headers = tuple(h for h in call.exchange.received if not h[0].startswith(b"retry-after"))
        return error

    def _record_pair(self, call: Call, arm: str, result: ShadowResult) -> None:
        """Count and record how a shadow copy went (called from the shadow job)."""
        if result.error is not None:
            out = self._error_outcome(result.error, result.latency_s)
        else:
            out = Outcome(200, result.latency_s, response=result.answer)
            if result.answer is not None:
                out.prompt_tokens, out.completion_tokens, out.cached_tokens = usage_of(result.answer, call.dialect)
        model = result.upstream.model
        self.metrics.shadow.labels(call.workload.name, arm, "ok" if out.error_kind is None else out.error_kind).inc()
        self.sink.add_pair(
            ShadowPairRow(
                request_id=call.id,
                ts=datetime.now(UTC),
                arm=arm,
                model=model,
                status=out.status,
                error_kind=out.error_kind,
                error=out.error,
                latency_ms=out.latency_s * 1000,
                prompt_tokens=out.prompt_tokens,
                completion_tokens=out.completion_tokens,
                cached_tokens=out.cached_tokens,
                cost_usd=self._cost(model, out),
                response_body=out.response if self.keep_bodies else None,
            )
        )

    # -- bookkeeping ---------------------------------------------------------------------------

    def _answer_headers(self, call: Call) -> list[tuple[bytes, bytes]]:
        """modelswap's request id where each SDK reads it, the arm that answered, and the vendor's
        informative headers when it speaks the app's dialect (a translated answer's would mislead)."""
        rid = call.id.encode()
        out = [(b"x-request-id", rid), (b"request-id", rid), (b"x-modelswap-arm", call.served.encode())]
        if call.exchange.received and self.arms.vendors[call.served].wire == call.dialect:
            out += call.exchange.received
        return out

    @staticmethod
    def _error_outcome(exc: UpstreamError, latency_s: float) -> Outcome:
        return Outcome(upstream_status(exc), latency_s, error_kind=exc.kind, error=error_text(exc, exc.message))

    def _cost(self, model: str, out: Outcome) -> float | None:
        if out.prompt_tokens is None or out.completion_tokens is None or model in self._unpriced:
            return None
        usage = Usage(
            prompt_tokens=out.prompt_tokens,
            completion_tokens=out.completion_tokens,
            cached_tokens=out.cached_tokens or 0,
        )
        try:
            return cost(usage, model, self.overrides)
        except (KeyError, ValueError):
            self._unpriced.add(model)
            log.warning("no price for model %r: costs are not recorded (add a price to its endpoint)", model)
            return None

    def _finish(self, call: Call, arm: str, out: Outcome, *, fallback: bool = False, retried: bool = False) -> None:
        """Count and record one upstream attempt. A failed attempt that was ``retried`` on the
        old model gets its own record id: the served answer keeps the request's id."""
        name = call.workload.name
        model = self.arms.get(arm, call.dialect).model
        self.metrics.observe(name, arm, out.status, out.latency_s, out.ttft_s)
        call.recorded = call.recorded or not retried
        row = RequestRow(
            id=new_id() if retried else call.id,
            ts=call.ts,
            workload=name,
            arm=arm,
            endpoint=arm,
            model=model,
            status=out.status,
            latency_ms=out.latency_s * 1000,
            stream=call.stream,
            error_kind=out.error_kind,
            error=out.error,
            ttft_ms=out.ttft_s * 1000 if out.ttft_s is not None else None,
            prompt_tokens=out.prompt_tokens,
            completion_tokens=out.completion_tokens,
            cached_tokens=out.cached_tokens,
            cost_usd=self._cost(model, out),
            request_body=call.body if self.keep_bodies else None,
            response_body=out.response if self.keep_bodies else None,
            sticky_key_hash=call.sticky_hash,
            fallback=fallback,
            replica_id=self.replica_id,
            tokens_estimated=out.tokens_estimated,
        )
        if out.error_kind is not None:
            self.metrics.errors.labels(name, arm, out.error_kind).inc()
            log_failure(row)
        self.sink.add_request(row)


SHUTDOWN_MESSAGE = "the gateway shut down before the answer was complete; retry the request"
"""What a request cut by a graceful stop's end is told, and what its record says."""


def _cut(call: Call) -> Outcome:
    """The record of a request the server's graceful stop cut (uvicorn cancels it at the grace's end;
    nothing else cancels a request but the client-leaving watch, which records its own)."""
    return Outcome(503, time.perf_counter() - call.started, error_kind="shutdown", error=SHUTDOWN_MESSAGE)
