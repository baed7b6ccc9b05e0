"""The migration file's ``gateway:`` section: how ``modelswap serve`` listens, limits its clients,
authenticates and records."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from modelswap.config_base import ENV_NAME
from modelswap.config_base import SettingsModel as _Model


class GatewayKey(_Model):
    """A key an app may use to call the gateway, stored only as its SHA-256."""

    name: str
    """Who holds it, e.g. ``support-app``; usable in workload match rules."""
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """Hex SHA-256 of the key (``modelswap hash-key`` prints it)."""


class Gateway(_Model):
    """How ``modelswap serve`` listens, authenticates and records."""

    host: str = "127.0.0.1"
    """Interface to bind."""
    port: int = Field(default=8787, ge=0, le=65535)
    """Port to bind."""
    keys: tuple[GatewayKey, ...] = ()
    """Accepted app keys (hashed). Empty: any key is accepted (fine on loopback, not in production)."""
    keys_env: str | None = None
    """NAME of an env var holding more keys as ``name:sha256,name:sha256``."""
    admin_token_env: str = "MODELSWAP_ADMIN_TOKEN"
    """NAME of the env var holding the admin token for the admin API and the console."""
    default_workload: str | None = None
    """Workload for requests no rule matches; without it they get a 400."""
    record_bodies: Literal["full", "redacted", "none"] = "redacted"
    """Store request/response bodies in full, with secrets and PII patterns masked, or not at all."""
    shadow_concurrency: int = Field(default=32, ge=1, le=4096)
    """Shadow calls in flight at once; more are queued."""
    shadow_queue: int = Field(default=1000, ge=0)
    """Shadow copies waiting; beyond this they are dropped and counted."""
    unknown_models: Literal["passthrough", "reject"] = "passthrough"
    """A request for a model that is not under migration (``gpt-4o-mini`` beside a migrated ``gpt-4o``):
    ``passthrough`` sends it unchanged to the old endpoint's vendor (recorded on the arm ``passthrough``);
    ``reject`` answers 404 ``model_not_found``. Dated snapshots and aliases of a migrated model
    (``gpt-4o-2024-08-06``) route like the model either way."""
    max_body_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    """Largest chat request body (``/v1/chat/completions``, ``/v1/messages``), read whole to route and
    translate it. The default is the larger of the vendors' own limits (OpenAI: 50 MB per request with
    images; Anthropic: 32 MB for Messages), so a body a vendor accepts is not refused here; a larger
    one gets a 413 ``request_too_large`` in the API's own error shape."""
    max_passthrough_body_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    """Largest body of a request passed through unchanged (files, batches, embeddings...). Such bodies
    are streamed to the vendor as they arrive, never held whole; the default is OpenAI's file limit
    (512 MB; Anthropic: 500 MB for files, 256 MB for batches)."""
    shutdown_grace_s: int = Field(default=90, ge=0, le=3600)
    """On SIGTERM/SIGINT: seconds requests in flight may take to finish (new connections are refused
    meanwhile). Requests still running then are cut, answered with a 503 in the vendor's error shape
    (an error event for streams) and recorded as ``shutdown``. Keep it above the endpoints' ``first_byte_timeout_s``
    and below the orchestrator's kill deadline (Kubernetes ``terminationGracePeriodSeconds``)."""
    header_timeout_s: float = Field(default=10.0, gt=0, le=600)
    """Seconds a request line and headers may take to arrive, from their first byte; slower: 408 and close."""
    body_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    """Longest pause while a request body is arriving; longer: 408 and close."""
    keep_alive_s: int = Field(default=5, ge=1, le=3600)
    """Seconds an idle client connection stays open. Behind a load balancer that reuses connections,
    set it above the balancer's idle timeout (e.g. 65 behind AWS ALB's 60 s)."""
    max_connections: int = Field(default=1000, ge=1, le=1_000_000)
    """Client connections open at once; one more gets a 503 (OpenAI's error shape) and is closed."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks (``10.0.0.0/8``) of reverse proxies whose ``X-Forwarded-For`` (client
    address, for throttling) and ``X-Forwarded-Proto`` (HTTPS, for ``Secure`` cookies) are believed."""
    metrics_token_env: str | None = Field(default=None, pattern=ENV_NAME.pattern)
    """NAME of an env var holding a bearer token that ``/metrics`` then requires; unset: ``/metrics`` is open."""
    console_session_hours: float = Field(default=12.0, gt=0, le=720)
    """How long a console sign-in lasts; signing out ends it at once."""
    auth_failure_burst: int = Field(default=10, ge=1, le=10_000)
    """Failed authentications one client address may make in a row before it gets 429s."""
    auth_failure_refill_s: float = Field(default=6.0, gt=0, le=3600)
    """Seconds for a client address to earn back one failed attempt (10/min by default)."""

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network like 10.0.0.0/8") from None
        return value

    max_body_depth: int = Field(default=128, ge=8, le=200)
    """Deepest nesting of objects/arrays accepted in a request body; deeper gets a 400 (at most 200:
    deeper bodies cannot be encoded for the upstream or recorded)."""
    record_queue: int = Field(default=100_000, ge=100)
    """Records waiting in memory for the store (e.g. while it is down); beyond this they are dropped,
    counted in ``modelswap_records_dropped_total`` and ``/healthz`` says degraded."""
    record_stall_s: float = Field(default=10.0, gt=0, le=3600)
    """``/healthz`` says degraded (503) when records have waited this long without a successful write
    (store down, writer stuck) or a record was dropped this recently."""
