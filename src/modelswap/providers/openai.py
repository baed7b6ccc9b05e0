"""OpenAI chat completions (and any server that speaks them: vLLM, Azure-style proxies, the simulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from modelswap.providers.base import Dialect, Frames, Json, UpstreamError
from modelswap.providers.closing import aclosing_iter
from modelswap.providers.errors import protocol_error, stream_error
from modelswap.providers.http import HttpPool, event_json, read_frames, read_json

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
        self._headers = {"Content-Type": "application/json", **headers, **(extra_headers or {})}
        self._stream_headers = {**self._headers, "Accept": "text/event-stream"}

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
        async with aclosing_iter(self.stream_frames(body)) as batches:
            async for batch in batches:
                for _, chunk in batch:
                    yield chunk

    async def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        """``stream``'s chunks with their raw SSE frames, batched per chunk read (see ``Frames``)."""
        finished = done = False
        async with self._pool.post(
            self.url,
            self._request(body, stream=True),
            self._stream_headers,
            timeout_s=self.timeout_s,
            streaming=True,
            provider=self.name,
        ) as resp:
            async for batch in read_frames(resp, provider=self.name):
                if done:
                    continue  # read to the end so the connection can be reused
                out: Frames = []
                failure: UpstreamError | None = None
                for raw, event in batch:
                    if event.data.startswith("[DONE]"):
                        done = True
                        break
                    try:
                        chunk = event_json(event, provider=self.name)
                    except UpstreamError as exc:
                        failure = exc
                        break
                    if "error" in chunk and "choices" not in chunk:
                        failure = stream_error(chunk, provider=self.name)
                        break
                    if not finished:
                        choices = chunk.get("choices") or ()
                        finished = any(isinstance(c, dict) and c.get("finish_reason") for c in choices)
                    out.append((raw, chunk))
                if out:
                    yield out  # what came before a failure is delivered first, as event by event
                if failure is not None:
                    raise failure
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
