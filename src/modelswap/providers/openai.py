"""OpenAI chat completions (and any server that speaks them: vLLM, Azure-style proxies, the simulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from modelswap.providers.base import Dialect, Json, UpstreamError
from modelswap.providers.errors import protocol_error, stream_error
from modelswap.providers.http import HttpPool, event_json, read_events, read_json

__all__ = ["OpenAIUpstream"]


class OpenAIUpstream:
    """``POST {base_url}/chat/completions``, streaming or not; speaks the ``openai`` dialect.

    ``base_url`` includes the version prefix (``https://api.openai.com/v1``). An empty
    ``api_key`` sends no ``Authorization`` header (local servers). Request bodies pass
    through unchanged except ``model`` (always ``self.model``) and the stream flags.
    """

    dialect: Dialect = "openai"

    def __init__(
        self,
        name: str,
        model: str,
        base_url: str,
        api_key: str,
        pool: HttpPool,
        timeout_s: float = 60.0,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.timeout_s = timeout_s
        self._pool = pool
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._headers = {**headers, **(extra_headers or {})}

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
            self._headers,
            timeout_s=self.timeout_s,
            streaming=False,
            provider=self.name,
        ) as resp:
            data = await read_json(resp, provider=self.name)
        if not isinstance(data.get("choices"), list):
            if "error" in data:
                raise stream_error(data, provider=self.name)  # some servers send errors with HTTP 200
            raise protocol_error(self.name, "response has no 'choices' list", repr(data).encode())
        return data

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        """Stream a chat completion; yields each ``chat.completion.chunk`` until ``[DONE]``."""
        finished = done = False
        async with self._pool.post(
            self.url,
            self._request(body, stream=True),
            {**self._headers, "Accept": "text/event-stream"},
            timeout_s=self.timeout_s,
            streaming=True,
            provider=self.name,
        ) as resp:
            async for event in read_events(resp, provider=self.name):
                if done or event.data.startswith("[DONE]"):
                    done = True  # read to the end so the connection can be reused
                    continue
                chunk = event_json(event, provider=self.name)
                if "error" in chunk and "choices" not in chunk:
                    raise stream_error(chunk, provider=self.name)
                finished = finished or any(
                    isinstance(c, dict) and c.get("finish_reason") for c in chunk.get("choices") or ()
                )
                yield chunk
        if not (done or finished):
            raise UpstreamError(
                f"{self.name}: stream ended before [DONE] and before any finish_reason",
                kind="connection",
                status=0,
                provider=self.name,
            )

    async def aclose(self) -> None:
        """Nothing to release: the shared ``HttpPool`` is closed by its owner."""

    def __repr__(self) -> str:
        return f"OpenAIUpstream({self.name!r}, model={self.model!r}, url={self.url!r})"
