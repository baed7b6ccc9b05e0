"""Anthropic's native Messages API (``POST {base_url}/v1/messages``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from modelswap.providers.base import Dialect, Frames, Json, UpstreamError
from modelswap.providers.closing import aclosing_iter
from modelswap.providers.errors import protocol_error, stream_error
from modelswap.providers.http import HttpPool, event_json, read_frames, read_json

__all__ = ["AnthropicUpstream"]


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
        timeout_s: float = 60.0,
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
        self._headers = {"Content-Type": "application/json", **headers, **(extra_headers or {})}
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
            self._headers,
            timeout_s=self.timeout_s,
            streaming=False,
            provider=self.name,
        ) as resp:
            data = await read_json(resp, provider=self.name)
        if data.get("type") == "error":
            raise stream_error(data, provider=self.name)
        if not isinstance(data.get("content"), list):
            raise protocol_error(self.name, "response has no 'content' list", repr(data).encode())
        return data

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        """Stream a Messages request; yields each event object through ``message_stop``."""
        async with aclosing_iter(self.stream_frames(body)) as batches:
            async for batch in batches:
                for _, event in batch:
                    yield event

    async def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        """``stream``'s events with their raw SSE frames, batched per chunk read (see ``Frames``)."""
        stopped = False
        async with self._pool.post(
            self.url,
            self._request(body, stream=True),
            self._stream_headers,
            timeout_s=self.timeout_s,
            streaming=True,
            provider=self.name,
        ) as resp:
            async for batch in read_frames(resp, provider=self.name):
                if stopped:
                    continue  # read to the end so the connection can be reused
                out: Frames = []
                failure: UpstreamError | None = None
                for raw, event in batch:
                    try:
                        data = event_json(event, provider=self.name)
                    except UpstreamError as exc:
                        failure = exc
                        break
                    etype = data.setdefault("type", event.event)
                    if not isinstance(etype, str):
                        failure = protocol_error(self.name, "stream event has no type", event.data.encode())
                        break
                    if etype == "error":
                        failure = stream_error(data, provider=self.name)
                        break
                    out.append((raw, data))
                    if etype == "message_stop":
                        stopped = True
                        break
                if out:
                    yield out  # what came before a failure is delivered first, as event by event
                if failure is not None:
                    raise failure
        if stopped:
            return
        raise UpstreamError(
            f"{self.name}: stream ended before message_stop",
            kind="connection",
            status=0,
            provider=self.name,
        )

    async def aclose(self) -> None:
        """Nothing to release: the shared ``HttpPool`` is closed by its owner."""

    def __repr__(self) -> str:
        return f"AnthropicUpstream({self.name!r}, model={self.model!r}, url={self.url!r})"
