"""OpenAI's Responses API (``POST {base_url}/responses``): the ``openai-responses`` provider kind.

For models served only there (and for apps on ``client.responses`` answered without
translation). modelswap keeps the conversation itself: ``input`` always holds every earlier
turn, so the upstream is sent ``store: false`` and no ``previous_response_id``; the answer
echoes the app's ``previous_response_id`` and ``store`` again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from modelswap.providers.base import Dialect, Frames, Json
from modelswap.providers.closing import aclosing_iter
from modelswap.providers.errors import protocol_error, stream_error
from modelswap.providers.http import event_json
from modelswap.providers.openai import OpenAIEndpoint
from modelswap.providers.registry import provider
from modelswap.providers.sse import SSEEvent

__all__ = ["OpenAIResponsesUpstream"]

_ENDS = frozenset({"response.completed", "response.incomplete"})
_ECHOED = ("previous_response_id", "store")


@provider("openai-responses", base_url="https://api.openai.com/v1", key_env="OPENAI_API_KEY")
class OpenAIResponsesUpstream(OpenAIEndpoint):
    """``POST {base_url}/responses``, streaming or not; speaks the ``responses`` dialect."""

    dialect: Dialect = "responses"
    path = "/responses"
    forwards_app_headers = False

    def _request(self, body: Json, *, stream: bool) -> Json:
        out = {k: v for k, v in body.items() if k not in ("previous_response_id", "stream", "stream_options")}
        out["model"] = self.model
        out["store"] = False
        if stream:
            out["stream"] = True
        return out

    @staticmethod
    def _echo(response: Json, body: Json) -> Json:
        """The app's own ``previous_response_id`` and ``store`` back in the answer."""
        response["previous_response_id"] = body.get("previous_response_id")
        response["store"] = body.get("store", True)
        return response

    async def complete(self, body: Json) -> Json:
        """Create a response (not streamed) and return the ``response`` object."""
        data = await self._answer(body)
        if "error" in data and data.get("error") and not isinstance(data.get("output"), list):
            raise stream_error(data, provider=self.name, wire=self.dialect)
        if not isinstance(data.get("output"), list):
            raise protocol_error(self.name, "response has no 'output' list", repr(data).encode())
        if data.get("status") == "failed":
            raise stream_error({"error": _error_of(data.get("error"))}, provider=self.name, wire=self.dialect)
        return self._echo(data, body)

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        """Stream a response; yields every event object through ``response.completed``."""
        async with aclosing_iter(self._frames(body)) as batches:
            async for batch in batches:
                for _, event in batch:
                    response = event.get("response")
                    if isinstance(response, dict):
                        self._echo(response, body)
                    yield event

    def _frames(self, body: Json) -> AsyncIterator[Frames]:
        def take(event: SSEEvent) -> tuple[Json | None, bool]:
            data = event_json(event, provider=self.name)
            etype = data.setdefault("type", event.event)
            if not isinstance(etype, str):
                raise protocol_error(self.name, "stream event has no type", event.data.encode())
            if etype == "error":
                raise stream_error({"error": _error_of(data)}, provider=self.name, wire=self.dialect)
            if etype == "response.failed":
                raise stream_error(
                    {"error": _error_of((data.get("response") or {}).get("error"))},
                    provider=self.name,
                    wire=self.dialect,
                )
            return data, etype in _ENDS

        return self._checked_stream(body, take, unfinished="stream ended before response.completed")


def _error_of(error: object) -> Json:
    """A Responses error (``{code, message}``, at the top of an ``error`` event or in a failed
    response) in the ``{message, type}`` shape the error mapping reads."""
    if not isinstance(error, dict):
        return {"message": "the response failed", "type": "server_error"}
    return {"message": error.get("message") or "the response failed", "type": error.get("code") or "server_error"}
