"""What every native upstream shares: one URL, its headers, the pool it posts through, the two calls.

A vendor's upstream (``openai.py``, ``anthropic.py``, ``openai_responses.py``) says what differs:
its ``path``, how its key is sent (``auth_headers``), how a request is shaped (``_request``), and
how an answer or a stream event is judged. The POST itself, its headers for a JSON or a streamed
answer, and the checked stream of frames live here once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import ClassVar

from modelswap.providers.base import Dialect, Frames, Json
from modelswap.providers.forwarding import outgoing
from modelswap.providers.h1 import Timeouts
from modelswap.providers.http import EventTake, Exchange, HttpPool, checked_frames, read_json

__all__ = ["HttpUpstream"]


class HttpUpstream:
    """A model behind one ``POST {base_url}{path}`` that answers JSON or a server-sent event stream."""

    dialect: Dialect
    path: ClassVar[str]
    """The endpoint under ``base_url`` (``/chat/completions``, ``/v1/messages``, ``/responses``)."""
    forwards_app_headers: ClassVar[bool] = True
    """Whether the app's own allowed headers reach this vendor (``providers.forwarding.outgoing``)."""

    def __init__(
        self,
        name: str,
        model: str,
        base_url: str,
        pool: HttpPool,
        timeout_s: float | Timeouts,
        headers: Mapping[str, str],
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.url = base_url.rstrip("/") + self.path
        self.timeout_s = timeout_s
        self._pool = pool
        self._headers = {"Accept": "application/json", **headers, **(extra_headers or {})}
        self._stream_headers = {**self._headers, "Accept": "text/event-stream"}

    def _request(self, body: Json, *, stream: bool) -> Json:
        """The body sent for the app's ``body`` (the model named, the stream flags set)."""
        raise NotImplementedError

    def _exchange(self, body: Json, *, stream: bool) -> Exchange:
        headers: Mapping[str, str] = self._stream_headers if stream else self._headers
        if self.forwards_app_headers:
            headers = outgoing(headers, self.dialect)
        return self._pool.post(
            self.url,
            self._request(body, stream=stream),
            headers,
            timeout_s=self.timeout_s,
            streaming=stream,
            provider=self.name,
        )

    async def _answer(self, body: Json) -> Json:
        """The JSON object answered to ``body`` (an error status raises with the vendor's identity)."""
        async with self._exchange(body, stream=False) as resp:
            return await read_json(resp, provider=self.name, wire=self.dialect)

    def _checked_stream(
        self, body: Json, take: EventTake, *, unfinished: str, ended_anyway: Callable[[], bool] = lambda: False
    ) -> AsyncIterator[Frames]:
        """The stream answered to ``body``, each event judged by ``take`` (see ``checked_frames``)."""
        return checked_frames(
            self._exchange(body, stream=True),
            provider=self.name,
            take=take,
            ended_anyway=ended_anyway,
            wire=self.dialect,
            unfinished=unfinished,
        )

    async def aclose(self) -> None:
        """Nothing to release: the shared ``HttpPool`` is closed by its owner."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, model={self.model!r}, url={self.url!r})"
