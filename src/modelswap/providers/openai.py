"""OpenAI chat completions (and any server that speaks them: vLLM, Azure-style proxies, the simulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from modelswap.providers.base import Dialect, Frames, Json
from modelswap.providers.errors import protocol_error, stream_error
from modelswap.providers.h1 import Timeouts
from modelswap.providers.http import HttpPool, event_json, frame_events
from modelswap.providers.http_upstream import HttpUpstream
from modelswap.providers.registry import provider
from modelswap.providers.sse import SSEEvent

__all__ = ["OpenAIEndpoint", "OpenAIUpstream"]


class OpenAIEndpoint(HttpUpstream):
    """What every OpenAI upstream shares: the key as a bearer token. ``base_url`` includes the
    version prefix (``https://api.openai.com/v1``); an empty ``api_key`` sends no ``Authorization``
    header (local servers)."""

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
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        super().__init__(name, model, base_url, pool, timeout_s, auth, extra_headers)


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
        data = await self._answer(body)
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

        unfinished = "stream ended before [DONE] and before any finish_reason"
        return self._checked_stream(body, take, ended_anyway=lambda: finished, unfinished=unfinished)
