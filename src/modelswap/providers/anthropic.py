"""Anthropic's native Messages API (``POST {base_url}/v1/messages``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from modelswap.providers.base import Dialect, Frames, Json
from modelswap.providers.errors import protocol_error, stream_error
from modelswap.providers.forwarding import outgoing
from modelswap.providers.h1 import Timeouts
from modelswap.providers.http import HttpPool, checked_frames, event_json, frame_events, read_json
from modelswap.providers.registry import provider
from modelswap.providers.sse import SSEEvent

__all__ = ["AnthropicUpstream"]


@provider("anthropic", base_url="https://api.anthropic.com", key_env="ANTHROPIC_API_KEY")
class AnthropicUpstream:
    """A Claude model behind the Messages API; speaks the ``anthropic`` dialect.

    ``base_url`` is the host root (``https://api.anthropic.com``). ``stream`` yields
    every event's data object, ``ping`` included, and ends after ``message_stop``; an
    ``error`` event raises ``UpstreamError`` with the kind its ``error.type`` names.
    """

    dialect: Dialect = "anthropic"

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
        self.name = name
        self.model = model
        self.url = base_url.rstrip("/") + "/v1/messages"
        self.timeout_s = timeout_s
        self._pool = pool
        headers = {"Accept": "application/json", "anthropic-version": anthropic_version}
        if api_key:
            headers["x-api-key"] = api_key
        self._headers = {**headers, **(extra_headers or {})}
        self._stream_headers = {**self._headers, "Accept": "text/event-stream"}

    def _request(self, body: Json, *, stream: bool) -> Json:
        out = {**body, "model": self.model}
        if stream:
            out["stream"] = True
        else:
            out.pop("stream", None)
        return out

    async def complete(self, body: Json) -> Json:
        """Send a non-streaming Messages request and return the ``message`` object."""
        async with self._pool.post(
            self.url,
            self._request(body, stream=False),
            outgoing(self._headers, "anthropic"),
            timeout_s=self.timeout_s,
            streaming=False,
            provider=self.name,
        ) as resp:
            data = await read_json(resp, provider=self.name, wire=self.dialect)
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

        exchange = self._pool.post(
            self.url,
            self._request(body, stream=True),
            outgoing(self._stream_headers, "anthropic"),
            timeout_s=self.timeout_s,
            streaming=True,
            provider=self.name,
        )
        return checked_frames(
            exchange,
            provider=self.name,
            take=take,
            ended_anyway=lambda: False,
            wire=self.dialect,
            unfinished="stream ended before message_stop",
        )

    async def aclose(self) -> None:
        """Nothing to release: the shared ``HttpPool`` is closed by its owner."""

    def __repr__(self) -> str:
        return f"AnthropicUpstream({self.name!r}, model={self.model!r}, url={self.url!r})"
