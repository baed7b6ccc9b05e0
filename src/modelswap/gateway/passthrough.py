"""Requests modelswap does not migrate, passed to a vendor unchanged and recorded.

Which requests: every ``/v1/*`` path without a route of its own (embeddings, legacy completions,
moderations, files, ``/v1/messages/count_tokens``...) and chat requests for a model that is not
under migration (``gateway.unknown_models: passthrough``). Where: the old endpoint's vendor when
it speaks the app's API, else the new one's; the app's API is Anthropic's for ``/v1/messages*``
paths and requests with an ``anthropic-version`` header, OpenAI's otherwise. A Responses API
request for another model goes to the endpoint of that model's own vendor (the catalog's) that
speaks OpenAI's API, else to one that speaks the Responses API (``responses_vendor``). The record
(arm ``passthrough``) keeps status and latency, never the bodies.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime

from modelswap.catalog.models import lookup as catalog_lookup
from modelswap.gateway.asgi import ClientGone, Receive, Scope, Send, body_too_large
from modelswap.gateway.errors import ClientError, from_upstream
from modelswap.gateway.metrics import GatewayMetrics
from modelswap.gateway.records import error_text, log_failure
from modelswap.providers.base import Dialect, UpstreamError
from modelswap.providers.forwarding import UPSTREAM_REQUEST_ID
from modelswap.providers.passthrough import PassthroughClient, Vendor
from modelswap.store.rows import RequestRow

__all__ = ["PASSTHROUGH_ARM", "Relay", "dialect_of", "responses_vendor"]

PASSTHROUGH_ARM = "passthrough"
"""The ``arm`` of a request passed to a vendor unchanged."""

_VENDOR_IDS = frozenset({"x-request-id", "request-id"})
_DROPPED = _VENDOR_IDS | {"set-cookie"}
UPSTREAM_ID = UPSTREAM_REQUEST_ID.encode()
_SETTING = "gateway.max_passthrough_body_bytes"


def dialect_of(path: str, headers: Mapping[str, str]) -> Dialect:
    """The API an app speaks on a path modelswap passes through."""
    return "anthropic" if path.startswith("/v1/messages") or "anthropic-version" in headers else "openai"


def responses_vendor(vendors: Mapping[str, Vendor], model: str) -> Vendor | None:
    """The endpoint vendor to pass a Responses API request for ``model`` to: the old (else new)
    endpoint whose model has ``model``'s vendor in the catalog and which speaks OpenAI's API
    (OpenAI serves chat and Responses at one base URL); else one that speaks the Responses API;
    ``None`` when no endpoint can answer it."""
    speaking = [v for v in (vendors.get("old"), vendors.get("new")) if v is not None and v.wire != "anthropic"]
    info = catalog_lookup(model)
    for vendor in speaking if info is not None else ():
        own = catalog_lookup(vendor.model)
        if own is not None and info is not None and own.vendor == info.vendor:
            return vendor
    return next((v for v in speaking if v.wire == "responses"), None)


def no_responses_vendor(model: str, migrated: list[str]) -> ClientError:
    """The 404 for a Responses API request for a model no endpoint's vendor can answer."""
    info = catalog_lookup(model)
    whose = f"its vendor ({info.vendor})" if info is not None else "a vendor that serves it"
    return ClientError(
        404,
        f"the model {model!r} is not under migration and no endpoint of this migration can pass a Responses "
        f"API request for it to {whose}: use one of the migrated models ({', '.join(migrated)}), add an "
        "endpoint of that vendor to the migration, or call the vendor directly",
        code="model_not_found",
        param="model",
    )


def request_id_headers(request_id: str) -> list[tuple[bytes, bytes]]:
    """modelswap's id for a request, where each SDK reads it (``x-request-id``: openai's
    ``_request_id``; ``request-id``: anthropic's)."""
    rid = request_id.encode()
    return [(b"x-request-id", rid), (b"request-id", rid)]


class Relay:
    """Passes requests through to a vendor and records each (status, latency, sizes never bodies)."""

    def __init__(
        self,
        vendors: Mapping[str, Vendor],
        add_request: Callable[[RequestRow], None],
        metrics: GatewayMetrics,
        replica_id: str,
        limit: int,
        client: PassthroughClient | None = None,
    ) -> None:
        self.vendors = vendors
        self._add = add_request
        self.metrics = metrics
        self.replica_id = replica_id
        self.limit = limit
        self.client = client or PassthroughClient()

    def can_pass(self, dialect: Dialect) -> bool:
        """Whether an endpoint's vendor speaks ``dialect``."""
        return any(v.wire == dialect for v in self.vendors.values())

    def vendor_for(self, dialect: Dialect) -> Vendor:
        """The old endpoint's vendor when it speaks ``dialect``, else the new one's; a 404 otherwise."""
        for name in ("old", "new"):
            vendor = self.vendors.get(name)
            if vendor is not None and vendor.wire == dialect:
                return vendor
        api = "Anthropic's" if dialect == "anthropic" else "OpenAI's"
        raise ClientError(
            404, f"no endpoint of this migration speaks {api} API, so this request cannot be passed through"
        )

    async def forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: Mapping[str, str],
        *,
        path: str,
        workload: str,
        request_id: str,
        body: bytes | None = None,
        model: str = "",
        vendor: Vendor | None = None,
    ) -> None:
        """Send the request to ``vendor`` (by default the one ``vendor_for`` the app's API) and relay
        its answer as it comes; ``body`` when it was already read (a request for an unknown model),
        else it is streamed from ``receive``."""
        started = time.perf_counter()
        if vendor is None:
            vendor = self.vendor_for(dialect_of(path, headers))
        declared = headers.get("content-length")
        if declared and declared.isascii() and declared.isdecimal() and int(declared) > self.limit:
            raise body_too_large(self.limit, _SETTING)
        reading = _BodyReader(receive, self.limit) if body is None and _has_body(scope, headers) else None
        payload = body if reading is None else reading.chunks()
        status, error_kind, error = 0, None, None
        try:
            async with self.client.send(
                vendor, scope["method"], path, scope.get("query_string", b"").decode("latin-1"), headers, payload
            ) as answer:
                status = answer.status
                head = [
                    (k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in answer.headers
                    if k.lower() not in _DROPPED
                ]
                head += [(UPSTREAM_ID, v.encode("latin-1")) for k, v in answer.headers if k.lower() in _VENDOR_IDS][:1]
                head += request_id_headers(request_id)
                await send({"type": "http.response.start", "status": status, "headers": head})
                async for chunk in answer.chunks():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            if status >= 400:
                error_kind, error = f"http_{status}", f"the vendor answered HTTP {status}"
        except UpstreamError as exc:
            if reading is not None and reading.refusal is not None:  # the app's body, not the vendor
                raise reading.refusal from None
            error_kind, error = exc.kind, error_text(exc, exc.message)
            if status:  # the answer had started: it ends short, as the vendor's did
                return self._record(request_id, workload, vendor, model, status, started, error_kind, error)
            failure = from_upstream(exc, vendor.endpoint)
            self._record(request_id, workload, vendor, model, failure.status, started, error_kind, error)
            failure.request_id = request_id
            raise failure from None
        except (OSError, ClientGone) as exc:  # the app went away
            status, error_kind, error = 499, "client_closed", error_text(exc)
        self._record(request_id, workload, vendor, model, status, started, error_kind, error)

    def _record(
        self,
        request_id: str,
        workload: str,
        vendor: Vendor,
        model: str,
        status: int,
        started: float,
        error_kind: str | None,
        error: str | None,
    ) -> None:
        latency_s = time.perf_counter() - started
        self.metrics.observe(workload, PASSTHROUGH_ARM, status, latency_s, None)
        row = RequestRow(
            id=request_id,
            ts=datetime.now(UTC),
            workload=workload,
            arm=PASSTHROUGH_ARM,
            endpoint=vendor.endpoint,
            model=model,
            status=status,
            latency_ms=latency_s * 1000,
            error_kind=error_kind,
            error=error,
            replica_id=self.replica_id,
        )
        if error_kind is not None:
            self.metrics.errors.labels(workload, PASSTHROUGH_ARM, error_kind).inc()
            log_failure(row)
        self._add(row)

    async def aclose(self) -> None:
        await self.client.aclose()


class _BodyReader:
    """The app's body as it arrives, at most ``limit`` bytes; what stopped it is kept in ``refusal``
    (the HTTP client sending it reports its own error)."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self._limit = limit
        self.refusal: Exception | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.refusal = ClientGone()
                raise self.refusal
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._limit:
                self.refusal = body_too_large(self._limit, _SETTING)
                raise self.refusal
            if chunk:
                yield chunk
            if not message.get("more_body"):
                return


def _has_body(scope: Scope, headers: Mapping[str, str]) -> bool:
    return (
        scope["method"] not in ("GET", "HEAD", "DELETE", "OPTIONS")
        or "content-length" in headers
        or ("transfer-encoding" in headers)
    )
