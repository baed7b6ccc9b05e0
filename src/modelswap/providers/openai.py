"""OpenAI chat completions (and any server that speaks them: vLLM, Azure-style proxies, the simulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import ClassVar

from modelswap.providers.base import Dialect, Frames, Json
from modelswap.providers.errors import protocol_error, stream_error
from modelswap.providers.forwarding import outgoing
from modelswap.providers.h1 import Timeouts
from modelswap.providers.http import HttpPool, checked_frames, event_json, frame_events, read_json
from modelswap.providers.registry import provider
from modelswap.providers.sse import SSEEvent

__all__ = ["OpenAIEndpoint", "OpenAIUpstream"]


class OpenAIEndpoint:
    """What every OpenAI upstream shares: one URL under ``base_url``, the key as a bearer token,
    the pool it posts through. ``base_url`` includes the version prefix (``https://api.openai.com/v1``);
    an empty ``api_key`` sends no ``Authorization`` header (local servers)."""

    path: ClassVar[str]
    """The endpoint under ``base_url`` (``/chat/completions``, ``/responses``)."""

    def __init__(
        self,
        name: str,
        model: str,
        base_url: str,
        api_key: str,
        pool: HttpPool,
        timeout_s: float | Timeouts = 60.0,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.url = base_url.rstrip("/") + self.path
        self.timeout_s = timeout_s
        self._pool = pool
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._headers = {**headers, **(extra_headers or {})}
        self._stream_headers = {**self._headers, "Accept": "text/event-stream"}

    async def aclose(self) -> None:
        """Nothing to release: the shared ``HttpPool`` is closed by its owner."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, model={self.model!r}, url={self.url!r})"


@provider("openai", base_url="https://api.openai.com/v1", key_env="OPENAI_API_KEY")
class OpenAIUpstream(OpenAIEndpoint):
    """``POST {base_url}/chat/completions``, streaming or not; speaks the ``openai`` dialect.

    Request bodies pass through unchanged except ``model`` (always ``self.model``) and the stream flags.
    """

    dialect: Dialect = "openai"
    path = "/chat/completions"

    def _request(self, body: Json, *, stream: bool) -> Json:
        out = {**body, "model": self.model}
        if stream:
            out["stream"] = True
        else:
            out.pop("stream", None)
            out.pop("stream_options", None)  # OpenAI rejects stream_options without stream
        return out

    async def complete(self, body: Json) -> Json:
        """Send a non-streaming chat completion and return the ``chat.completion`` object."""
        async with self._pool.post(
            self.url,
            self._request(body, stream=False),
            outgoing(self._headers, "openai"),
            timeout_s=self.timeout_s,
            streaming=False,
            provider=self.name,
        ) as resp:
            data = await read_json(resp, provider=self.name, wire=self.dialect)
        if not isinstance(data.get("choices"), list):
            if "error" in data:
                raise stream_error(
                    data, provider=self.name, wire=self.dialect
                )  # some servers send errors with HTTP 200
            raise protocol_error(self.name, "response has no 'choices' list", repr(data).encode())
        return data

    def stream(self, body: Json) -> AsyncIterator[Json]:
        """Stream a chat completion; yields each ``chat.completion.chunk`` until ``[DONE]``."""
        return frame_events(self.stream_frames(body))

    def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        """``stream``'s chunks with their raw SSE frames, batched per chunk read (see ``Frames``)."""
        finished = False

        def take(event: SSEEvent) -> tuple[Json | None, bool]:
            nonlocal finished
            if event.data.startswith("[DONE]"):
                return None, True
            chunk = event_json(event, provider=self.name)
            if "error" in chunk and "choices" not in chunk:
                raise stream_error(chunk, provider=self.name, wire=self.dialect)
            if not finished:
                choices = chunk.get("choices") or ()
                finished = any(isinstance(c, dict) and c.get("finish_reason") for c in choices)
            return chunk, False

        exchange = self._pool.post(
            self.url,
            self._request(body, stream=True),
            outgoing(self._stream_headers, "openai"),
            timeout_s=self.timeout_s,
            streaming=True,
            provider=self.name,
        )
        return checked_frames(
            exchange,
            provider=self.name,
            take=take,
            ended_anyway=lambda: finished,
            wire=self.dialect,
            unfinished="stream ended before [DONE] and before any finish_reason",
        )
