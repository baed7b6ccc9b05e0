"""Anthropic's native Messages API (``POST {base_url}/v1/messages``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from modelswap.providers.base import Dialect, Frames, Json
from modelswap.providers.errors import protocol_error, stream_error
from modelswap.providers.h1 import Timeouts
from modelswap.providers.http import HttpPool, event_json, frame_events
from modelswap.providers.http_upstream import HttpUpstream
from modelswap.providers.registry import provider
from modelswap.providers.sse import SSEEvent

__all__ = ["AnthropicUpstream"]


@provider("anthropic", base_url="https://api.anthropic.com", key_env="ANTHROPIC_API_KEY")
class AnthropicUpstream(HttpUpstream):
    """A Claude model behind the Messages API; speaks the ``anthropic`` dialect.

    ``base_url`` is the host root (``https://api.anthropic.com``). ``stream`` yields
    every event's data object, ``ping`` included, and ends after ``message_stop``; an
    ``error`` event raises ``UpstreamError`` with the kind its ``error.type`` names.
    """

    dialect: Dialect = "anthropic"
    path = "/v1/messages"

    def __init__(
        self,
        name: str,
        model: str,
        base_url: str,
        api_key: str,
        pool: HttpPool,
        timeout_s: float | Timeouts = 60.0,
        anthropic_version: str = "2023-06-01",
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        headers = {"anthropic-version": anthropic_version, **({"x-api-key": api_key} if api_key else {})}
        super().__init__(name, model, base_url, pool, timeout_s, headers, extra_headers)

    def _request(self, body: Json, *, stream: bool) -> Json:
        out = {**body, "model": self.model}
        if stream:
            out["stream"] = True
        else:
            out.pop("stream", None)
        return out

    async def complete(self, body: Json) -> Json:
        """Send a non-streaming Messages request and return the ``message`` object."""
        data = await self._answer(body)
        if data.get("type") == "error":
            raise stream_error(data, provider=self.name, wire=self.dialect)
        if not isinstance(data.get("content"), list):
            raise protocol_error(self.name, "response has no 'content' list", repr(data).encode())
        return data

    def stream(self, body: Json) -> AsyncIterator[Json]:
        """Stream a Messages request; yields each event object through ``message_stop``."""
        return frame_events(self.stream_frames(body))

    def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        """``stream``'s events with their raw SSE frames, batched per chunk read (see ``Frames``)."""

        def take(event: SSEEvent) -> tuple[Json | None, bool]:
            data = event_json(event, provider=self.name)
            etype = data.setdefault("type", event.event)
            if not isinstance(etype, str):
                raise protocol_error(self.name, "stream event has no type", event.data.encode())
            if etype == "error":
                raise stream_error(data, provider=self.name, wire=self.dialect)
            return data, etype == "message_stop"

        return self._checked_stream(body, take, unfinished="stream ended before message_stop")
