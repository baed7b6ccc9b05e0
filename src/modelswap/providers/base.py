"""The one interface every model provider implements, and the errors it raises.

An ``Upstream`` takes a request body in its *dialect* (the wire format it speaks to
its caller: ``openai`` chat completions, ``anthropic`` messages or OpenAI's ``responses``) and returns the
response body in the same dialect. Translation between dialects, retries and
fallbacks are wrappers around an ``Upstream`` that are themselves ``Upstream``s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any, Literal, Protocol, runtime_checkable

from modelswap.providers.safe_text import safe_error_text

Dialect = Literal["openai", "anthropic", "responses"]
Json = dict[str, Any]

ErrorKind = Literal[
    "bad_request",  # 400/404/413/422: the request itself is wrong; never retried
    "auth",  # 401/403: key missing, wrong or not allowed
    "rate_limited",  # 429
    "overloaded",  # 503/529
    "server",  # other 5xx
    "timeout",  # no answer within the endpoint's timeout
    "connection",  # could not connect / connection dropped
    "protocol",  # the provider answered something that is not its documented format
]

RETRYABLE: frozenset[str] = frozenset({"rate_limited", "overloaded", "server", "timeout", "connection"})


class UpstreamError(Exception):
    """A provider call failed; carries what a caller needs to report or retry it.

    ``message`` is always safe to show (``safe_error_text``: no URL, address, credential or
    key, one line, bounded), whoever built the error and whatever the vendor sent.
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
    ) -> None:
        message = safe_error_text(message)
        super().__init__(message)
        self.message = message
        self.kind: ErrorKind = kind
        self.status = status
        self.provider = provider
        self.retry_after = retry_after
        self.body = body

    def hide(self, secrets: Iterable[str]) -> None:
        """Also hide these exact values (the request's own key and URL) from the message."""
        self.message = safe_error_text(self.message, secrets)
        self.args = (self.message,)

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
