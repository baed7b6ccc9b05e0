"""Upstreams that speak one dialect to their caller and the other to the model behind them.

``OpenAIOverAnthropic`` lets an app written for OpenAI's chat completions be served by a
Claude model (``n`` > 1 fans out to ``n`` parallel calls whose choices and usage are merged;
``max_tokens`` defaults to the model's output limit from the catalog); ``AnthropicOverOpenAI``
is the reverse. A request that cannot be
translated fails as ``bad_request`` (400) naming the field; a response that cannot be
translated fails as ``protocol``. Errors from the inner upstream pass through unchanged.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from modelswap.catalog.models import lookup as catalog_lookup
from modelswap.providers.base import Dialect, Frames, Json, Upstream, UpstreamError
from modelswap.providers.closing import aclosing_iter
from modelswap.providers.fanout import gather_all, merge_completions, merge_streams
from modelswap.providers.frames import frames_of, one_by_one, translated_frames
from modelswap.providers.translate import (
    DEFAULT_MAX_TOKENS,
    AnthropicStreamToOpenAI,
    OpenAIStreamToAnthropic,
    TranslationError,
    anthropic_request_to_openai,
    anthropic_response_to_openai,
    openai_request_to_anthropic,
    openai_response_to_anthropic,
)
from modelswap.providers.translate.request_to_anthropic import requested_n

__all__ = ["AnthropicOverOpenAI", "OpenAIOverAnthropic"]


def _bad_request(exc: TranslationError, provider: str) -> UpstreamError:
    body = {"error": {"message": str(exc), "type": "invalid_request_error", "param": exc.where, "code": None}}
    return UpstreamError(
        f"{provider}: cannot translate request: {exc}",
        kind="bad_request",
        status=400,
        provider=provider,
        body=body,
    )


def _untranslatable(exc: TranslationError, provider: str) -> UpstreamError:
    return UpstreamError(
        f"{provider}: cannot translate response: {exc}", kind="protocol", status=502, provider=provider
    )


def _check_inner(inner: Upstream, expected: Dialect, wrapper: str) -> None:
    if inner.dialect != expected:
        raise ValueError(f"{wrapper} needs an inner upstream speaking {expected!r}, got {inner.dialect!r}")


class OpenAIOverAnthropic:
    """Takes OpenAI chat completions bodies, calls an ``anthropic``-dialect upstream."""

    dialect: Dialect = "openai"
    takes_thinking_blocks = True
    """Assistant messages' ``thinking_blocks`` reach the Claude model (``ResponsesOverChat`` asks)."""

    def __init__(self, inner: Upstream, *, clock: Callable[[], float] = time.time) -> None:
        _check_inner(inner, "anthropic", "OpenAIOverAnthropic")
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self._clock = clock
        info = catalog_lookup(str(inner.model or ""))
        self.default_max_tokens = (info.max_output_tokens if info else None) or DEFAULT_MAX_TOKENS
        """``max_tokens`` when the app sends none: the model's own output limit when the catalog has it."""

    def _request(self, body: Json) -> tuple[Json, int]:
        try:
            return openai_request_to_anthropic(body, default_max_tokens=self.default_max_tokens), requested_n(body)
        except TranslationError as exc:
            raise _bad_request(exc, self.name) from None

    async def complete(self, body: Json) -> Json:
        """Translate, call the inner upstream (``n`` times at once), translate back to a ``chat.completion``."""
        request, n = self._request(body)
        messages = await gather_all([self.inner.complete(request) for _ in range(n)])
        try:
            created = int(self._clock())
            return merge_completions([anthropic_response_to_openai(m, created=created) for m in messages])
        except TranslationError as exc:
            raise _untranslatable(exc, self.name) from None

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        """Yield OpenAI chunks translated from the inner upstream's events (no ``[DONE]`` object)."""
        request, n = self._request(body)
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        created = int(self._clock())
        if n == 1:
            async for chunk in self._one_stream(
                request, AnthropicStreamToOpenAI(created=created, include_usage=include_usage)
            ):
                yield chunk
            return
        streams = [
            self._one_stream(request, AnthropicStreamToOpenAI(created=created, include_usage=True)) for _ in range(n)
        ]
        async with aclosing_iter(merge_streams(streams, include_usage=include_usage)) as merged:
            async for chunk in merged:
                yield chunk

    async def _one_stream(self, request: Json, translator: AnthropicStreamToOpenAI) -> AsyncIterator[Json]:
        async with aclosing_iter(translated_frames(frames_of(self.inner, request), translator.feed)) as batches:
            async for batch in batches:
                for _, chunk in batch:
                    yield chunk

    async def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        """``stream``'s chunks batched as the Messages events arrived (with ``n`` > 1: one by one)."""
        request, n = self._request(body)
        if n > 1:
            batches = one_by_one(self.stream(body))
        else:
            options = body.get("stream_options")
            include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
            translator = AnthropicStreamToOpenAI(created=int(self._clock()), include_usage=include_usage)
            batches = translated_frames(frames_of(self.inner, request), translator.feed)
        async with aclosing_iter(batches) as translated:
            async for batch in translated:
                yield batch

    async def aclose(self) -> None:
        """Close the inner upstream."""
        await self.inner.aclose()

    def __repr__(self) -> str:
        return f"OpenAIOverAnthropic({self.inner!r})"


class AnthropicOverOpenAI:
    """Takes Anthropic Messages bodies, calls an ``openai``-dialect upstream."""

    dialect: Dialect = "anthropic"

    def __init__(self, inner: Upstream) -> None:
        _check_inner(inner, "openai", "AnthropicOverOpenAI")
        self.inner = inner
        self.name = inner.name
        self.model = inner.model

    def _request(self, body: Json) -> Json:
        try:
            return anthropic_request_to_openai(body)
        except TranslationError as exc:
            raise _bad_request(exc, self.name) from None

    async def complete(self, body: Json) -> Json:
        """Translate, call the inner upstream, translate the completion back to a ``message``."""
        completion = await self.inner.complete(self._request(body))
        try:
            return openai_response_to_anthropic(completion)
        except TranslationError as exc:
            raise _untranslatable(exc, self.name) from None

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        """Yield Anthropic events translated from the inner upstream's chunks.

        Usage is always requested from OpenAI (``stream_options.include_usage``) because
        Anthropic's ``message_delta`` must carry it.
        """
        request = {**self._request(body), "stream_options": {"include_usage": True}}
        translator = OpenAIStreamToAnthropic()
        async with aclosing_iter(self.inner.stream(request)) as chunks:
            async for chunk in chunks:
                for event in translator.feed(chunk):
                    yield event
        for event in translator.finish():
            yield event

    async def aclose(self) -> None:
        """Close the inner upstream."""
        await self.inner.aclose()

    def __repr__(self) -> str:
        return f"AnthropicOverOpenAI({self.inner!r})"
