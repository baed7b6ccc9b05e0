"""The one interface every model provider implements, and the errors it raises.

An ``Upstream`` takes a request body in its *dialect* (the wire format it speaks to
its caller: ``openai`` chat completions, ``anthropic`` messages or OpenAI's ``responses``) and returns the
response body in the same dialect. Translation between dialects, retries and
fallbacks are wrappers around an ``Upstream`` that are themselves ``Upstream``s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from modelswap.providers.safe_text import safe_error_text

Dialect = Literal["openai", "anthropic", "responses"]
Json = dict[str, Any]

ErrorKind = Literal[
    "bad_request",  # 400/404/413/422: the request itself is wrong; never retried
    "auth",  # 401/403: key missing, wrong or not allowed
    "rate_limited",  # 429
    "quota",  # 429 insufficient_quota / a spend limit: waiting does not cure it; never retried
    "overloaded",  # 503/529
    "server",  # other 5xx
    "timeout",  # no answer within the endpoint's timeout
    "connection",  # could not connect / connection dropped
    "protocol",  # the provider answered something that is not its documented format
]

RETRYABLE: frozenset[str] = frozenset({"rate_limited", "overloaded", "server", "timeout", "connection"})


@dataclass(frozen=True, slots=True)
class VendorError:
    """An error as the vendor itself answered it: the wire it spoke, its status and identity.

    Kept so the gateway can hand an app the vendor's own ``type`` and ``code`` (its SDK picks
    the exception class from them) or map them faithfully into the app's dialect. ``message``
    is safe to show (``safe_error_text``); the identity strings are short and identifier-like.
    """

    wire: Dialect
    status: int
    """The HTTP status the vendor answered (for an error inside a stream: the one its type stands for)."""
    type: str | None = None
    """``error.type``: ``invalid_request_error``, ``overloaded_error``, ``requests``, ..."""
    code: str | None = None
    """OpenAI's ``error.code`` (``context_length_exceeded``, ``rate_limit_exceeded``...)."""
    param: str | None = None
    """OpenAI's ``error.param``: the request field at fault."""
    detail_code: str | None = None
    """Anthropic's ``error.details.error_code`` (``enforced_spend_limit_reached``...)."""
    message: str = ""
    should_retry: bool | None = None
    """The vendor's own ``x-should-retry`` header, when it sent one."""
    in_stream: bool = False
    """Whether it came as an error event inside a stream (after HTTP 200) rather than as a status."""


class UpstreamError(Exception):
    """A provider call failed; carries what a caller needs to report or retry it.

    ``message`` is always safe to show (``safe_error_text``: no URL, address, credential or
    key, one line, bounded), whoever built the error and whatever the vendor sent.
    ``vendor`` is set when the vendor itself answered the error (not for timeouts, dropped
    connections or malformed answers); ``unsent`` when the request never left modelswap
    (the connection could not be opened), so retrying it cannot repeat any work.
    ``client_may_retry`` is ``False`` when the retry owner (``Retrying``) already retried it or
    its budget is spent; ``retry_grant`` is the budget a caller's retry of it must come out of
    (``providers.retry.grant_client_retry`` decides, once, when the app is answered).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind,
        status: int,
        provider: str,
        retry_after: float | None = None,
        body: Json | None = None,
        vendor: VendorError | None = None,
        unsent: bool = False,
    ) -> None:
        message = safe_error_text(message)
        super().__init__(message)
        self.message = message
        self.kind: ErrorKind = kind
        self.status = status
        self.provider = provider
        self.retry_after = retry_after
        self.body = body
        self.vendor = vendor
        self.unsent = unsent
        self.client_may_retry: bool | None = None
        self.retry_grant: Callable[[], bool] | None = None

    def hide(self, secrets: Iterable[str]) -> None:
        """Also hide these exact values (the request's own key and URL) from the messages."""
        secrets = list(secrets)
        self.message = safe_error_text(self.message, secrets)
        self.args = (self.message,)
        if self.vendor is not None:
            self.vendor = dataclasses.replace(self.vendor, message=safe_error_text(self.vendor.message, secrets))

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    def __repr__(self) -> str:
        return f"UpstreamError({self.provider}: {self.kind} {self.status}: {self.message})"


Frames = list[tuple[bytes | None, Json]]
"""Stream events in the batches they arrived in, each with its SSE frame exactly as the server
sent it (``None`` when the frame was not a plain ``data:`` line and must be re-encoded)."""


@runtime_checkable
class Upstream(Protocol):
    """A model behind a provider, spoken to in one dialect.

    ``complete`` returns the full response body. ``stream`` yields parsed stream
    events: for ``openai`` each ``data:`` chunk object (the ``[DONE]`` sentinel
    ends the iteration); for ``anthropic`` each event's data object (its ``type``
    field names the event); for ``responses`` each event object (``response.created`` ...
    ``response.completed``). Both overwrite the body's ``model`` with ``self.model``.
    A ``responses`` body's ``input`` always holds the whole conversation: the gateway has
    already resolved ``previous_response_id``, which is kept only to be echoed.
    """

    name: str
    model: str
    dialect: Dialect

    async def complete(self, body: Json) -> Json: ...

    def stream(self, body: Json) -> AsyncIterator[Json]: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class FramesUpstream(Upstream, Protocol):
    """An upstream that can also hand over its stream's raw frames (``stream_frames``), so a
    relay in the same dialect passes the server's bytes on instead of re-encoding each event.
    ``stream_frames`` yields what ``stream`` would, batched per chunk read, never an empty batch.
    """

    def stream_frames(self, body: Json) -> AsyncIterator[Frames]: ...


class Wrapper:
    """Base of an upstream that wraps another (``primary``): it answers under the primary's name,
    model and dialect, as the caller's records and errors expect."""

    def __init__(self, primary: Upstream) -> None:
        self.primary = primary
        self.name = primary.name
        self.model = primary.model
        self.dialect: Dialect = primary.dialect
