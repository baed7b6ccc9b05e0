"""Upstreams between OpenAI's Responses API and chat completions, both ways.

``ResponsesOverChat`` serves a Responses app from a chat-completions upstream (and, wrapped
around ``OpenAIOverAnthropic``, from a Claude model); ``ChatOverResponses`` serves a chat app
(and, under ``AnthropicOverOpenAI``, a Messages app) from a Responses-only upstream. Chat
completions are the hub, so every dialect reaches every other with the translations that exist.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from modelswap.providers.base import Dialect, Frames, Json, Upstream
from modelswap.providers.closing import aclosing_iter
from modelswap.providers.frames import frames_of, translated_frames
from modelswap.providers.translate import TranslationError
from modelswap.providers.translate.responses_request import chat_request_to_responses, responses_request_to_chat
from modelswap.providers.translate.responses_response import (
    chat_completion_to_response,
    new_item_id,
    response_to_chat_completion,
)
from modelswap.providers.translate.responses_stream import ChatStreamToResponses, ResponsesStreamToChat
from modelswap.providers.translating import _bad_request, _check_inner, _untranslatable

__all__ = ["ChatOverResponses", "ResponsesOverChat"]


class ResponsesOverChat:
    """Takes Responses API bodies, calls an ``openai`` (chat completions) upstream."""

    dialect: Dialect = "responses"

    def __init__(self, inner: Upstream, *, clock: Callable[[], float] = time.time) -> None:
        _check_inner(inner, "openai", "ResponsesOverChat")
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self._clock = clock
        self._thinking = bool(getattr(inner, "takes_thinking_blocks", False))
        """Reasoning items go back as Claude's thinking blocks (the inner upstream is a Claude model)."""

    def _request(self, body: Json) -> Json:
        try:
            return responses_request_to_chat(body, thinking=self._thinking)
        except TranslationError as exc:
            raise _bad_request(exc, self.name) from None

    async def complete(self, body: Json) -> Json:
        """Translate, call the chat upstream, translate its completion to a ``response``."""
        completion = await self.inner.complete(self._request(body))
        try:
            return chat_completion_to_response(
                completion, body, response_id=new_item_id("resp"), created=int(self._clock())
            )
        except TranslationError as exc:
            raise _untranslatable(exc, self.name) from None

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        """Yield Responses events translated from the chat upstream's chunks (usage always asked for)."""
        async with aclosing_iter(self.stream_frames(body)) as batches:
            async for batch in batches:
                for _, event in batch:
                    yield event

    async def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        """``stream``'s events batched as the chat chunks arrived, so the relay writes each batch at once."""
        request = {**self._request(body), "stream_options": {"include_usage": True}}
        translator = ChatStreamToResponses(body, response_id=new_item_id("resp"), created=int(self._clock()))
        batches = translated_frames(frames_of(self.inner, request), translator.feed, translator.finish)
        async with aclosing_iter(batches) as translated:
            async for batch in translated:
                yield batch

    async def aclose(self) -> None:
        """Close the inner upstream."""
        await self.inner.aclose()

    def __repr__(self) -> str:
        return f"ResponsesOverChat({self.inner!r})"


class ChatOverResponses:
    """Takes chat completions bodies, calls a ``responses`` upstream."""

    dialect: Dialect = "openai"

    def __init__(self, inner: Upstream) -> None:
        _check_inner(inner, "responses", "ChatOverResponses")
        self.inner = inner
        self.name = inner.name
        self.model = inner.model

    def _request(self, body: Json) -> Json:
        try:
            return chat_request_to_responses(body)
        except TranslationError as exc:
            raise _bad_request(exc, self.name) from None

    async def complete(self, body: Json) -> Json:
        """Translate, call the Responses upstream, translate its ``response`` to a ``chat.completion``."""
        response = await self.inner.complete(self._request(body))
        try:
            return response_to_chat_completion(response)
        except TranslationError as exc:
            raise _untranslatable(exc, self.name) from None

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        """Yield chat chunks translated from the Responses upstream's events."""
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        translator = ResponsesStreamToChat(include_usage=include_usage)
        async with aclosing_iter(self.inner.stream(self._request(body))) as events:
            async for event in events:
                for chunk in translator.feed(event):
                    yield chunk

    async def aclose(self) -> None:
        """Close the inner upstream."""
        await self.inner.aclose()

    def __repr__(self) -> str:
        return f"ChatOverResponses({self.inner!r})"
