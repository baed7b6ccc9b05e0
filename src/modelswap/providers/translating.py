"""Upstreams that speak one dialect to their caller and the other to the model behind them.

``Translator`` is their shared shape: translate the request, call the inner upstream,
translate its answer (or feed its stream through a stream translator). ``OpenAIOverAnthropic``
lets an app written for OpenAI's chat completions be served by a Claude model (``n`` > 1 fans
out to ``n`` parallel calls whose choices and usage are merged; ``max_tokens`` defaults to the
model's output limit from the catalog); ``AnthropicOverOpenAI`` is the reverse. A request that
cannot be translated fails as ``bad_request`` (400) naming the field; a response that cannot be
translated fails as ``protocol``. Errors from the inner upstream pass through unchanged.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import ClassVar, Protocol

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

__all__ = ["AnthropicOverOpenAI", "OpenAIOverAnthropic", "StreamTranslator", "Translator", "include_usage"]


class StreamTranslator(Protocol):
    """Turns the inner upstream's stream events into the caller's, one event at a time."""

    def feed(self, event: Json) -> list[Json]: ...


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


class Translator:
    """An ``Upstream`` in ``dialect`` over an ``inner`` one in ``inner_dialect``.

    A subclass says how a request, an answer and a stream translate (``translate_request``,
    ``translate_answer``, ``stream_translator``); this class calls the inner upstream between
    them and turns a ``TranslationError`` into the caller's error (400 for the request, 502 for
    the answer).
    """

    dialect: Dialect
    inner_dialect: ClassVar[Dialect]
    stream_usage: ClassVar[bool] = False
    """Whether a streamed request always asks the inner upstream for usage (``stream_options``)."""

    def __init__(self, inner: Upstream, *, clock: Callable[[], float] = time.time) -> None:
        if inner.dialect != self.inner_dialect:
            raise ValueError(
                f"{type(self).__name__} needs an inner upstream speaking {self.inner_dialect!r}, got {inner.dialect!r}"
            )
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self._clock = clock

    def translate_request(self, body: Json) -> Json:
        """The inner upstream's request for the caller's ``body`` (may raise ``TranslationError``)."""
        raise NotImplementedError

    def translate_answer(self, answer: Json, body: Json) -> Json:
        """The caller's answer for the inner upstream's ``answer`` to ``body`` (may raise ``TranslationError``)."""
        raise NotImplementedError

    def stream_translator(self, body: Json) -> StreamTranslator:
        """A fresh translator for one streamed answer to ``body`` (its ``finish()``, if any, ends the stream)."""
        raise NotImplementedError

    def _request(self, body: Json) -> Json:
        try:
            return self.translate_request(body)
        except TranslationError as exc:
            raise _bad_request(exc, self.name) from None

    def _answer(self, answer: Json, body: Json) -> Json:
        try:
            return self.translate_answer(answer, body)
        except TranslationError as exc:
            raise _untranslatable(exc, self.name) from None

    async def complete(self, body: Json) -> Json:
        """Translate, call the inner upstream, translate its answer back."""
        return self._answer(await self.inner.complete(self._request(body)), body)

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        """The caller's stream events, translated from the inner upstream's (nothing runs before
        the first ``async for`` step, a request that cannot be translated included)."""
        async with aclosing_iter(self.stream_frames(body)) as batches:
            async for batch in batches:
                for _, event in batch:
                    yield event

    def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        """``stream``'s events in the batches the inner upstream's arrived in, so the relay writes
        each batch at once (no raw frames: translated events are encoded by the relay)."""
        return self._translated(body)

    async def _translated(
        self, body: Json, request: Json | None = None, translator: StreamTranslator | None = None
    ) -> AsyncIterator[Frames]:
        if request is None:
            request = self._request(body)
            if self.stream_usage:
                request = {**request, "stream_options": {"include_usage": True}}
        translator = translator or self.stream_translator(body)
        finish: Callable[[], list[Json]] | None = getattr(translator, "finish", None)
        async with aclosing_iter(translated_frames(frames_of(self.inner, request), translator.feed, finish)) as out:
            async for batch in out:
                yield batch

    async def aclose(self) -> None:
        """Close the inner upstream."""
        await self.inner.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"


def include_usage(body: Json) -> bool:
    """Whether a chat completions request asks for usage in its stream (``stream_options.include_usage``)."""
    options = body.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


class OpenAIOverAnthropic(Translator):
    """Takes OpenAI chat completions bodies, calls an ``anthropic``-dialect upstream."""

    dialect: Dialect = "openai"
    inner_dialect = "anthropic"
    takes_thinking_blocks = True
    """Assistant messages' ``thinking_blocks`` reach the Claude model (``ResponsesOverChat`` asks)."""

    def __init__(self, inner: Upstream, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(inner, clock=clock)
        info = catalog_lookup(str(inner.model or ""))
        self.default_max_tokens = (info.max_output_tokens if info else None) or DEFAULT_MAX_TOKENS
        """``max_tokens`` when the app sends none: the model's own output limit when the catalog has it."""

    def translate_request(self, body: Json) -> Json:
        return openai_request_to_anthropic(body, default_max_tokens=self.default_max_tokens)

    def translate_answer(self, answer: Json, body: Json) -> Json:
        return anthropic_response_to_openai(answer, created=int(self._clock()))

    def stream_translator(self, body: Json) -> StreamTranslator:
        return AnthropicStreamToOpenAI(created=int(self._clock()), include_usage=include_usage(body))

    def _n(self, body: Json) -> int:
        try:
            return requested_n(body)
        except TranslationError as exc:
            raise _bad_request(exc, self.name) from None

    async def complete(self, body: Json) -> Json:
        """Translate, call the inner upstream (``n`` times at once), translate back to a ``chat.completion``."""
        request, n = self._request(body), self._n(body)
        if n == 1:
            return self._answer(await self.inner.complete(request), body)
        messages = await gather_all([self.inner.complete(request) for _ in range(n)])
        created = int(self._clock())
        try:
            return merge_completions([anthropic_response_to_openai(m, created=created) for m in messages])
        except TranslationError as exc:
            raise _untranslatable(exc, self.name) from None

    def stream_frames(self, body: Json) -> AsyncIterator[Frames]:
        """OpenAI chunks translated from the inner upstream's events (no ``[DONE]`` object), batched
        as they arrived; with ``n`` > 1 the ``n`` merged streams' chunks one by one."""
        return self._frames(body)

    async def _frames(self, body: Json) -> AsyncIterator[Frames]:
        request, n = self._request(body), self._n(body)
        if n == 1:
            batches = self._translated(body, request)
        else:
            created = int(self._clock())
            each = [
                _events(self._translated(body, request, AnthropicStreamToOpenAI(created=created, include_usage=True)))
                for _ in range(n)
            ]
            batches = one_by_one(merge_streams(each, include_usage=include_usage(body)))
        async with aclosing_iter(batches) as out:
            async for batch in out:
                yield batch


async def _events(batches: AsyncIterator[Frames]) -> AsyncIterator[Json]:
    async with aclosing_iter(batches) as out:
        async for batch in out:
            for _, event in batch:
                yield event


class AnthropicOverOpenAI(Translator):
    """Takes Anthropic Messages bodies, calls an ``openai``-dialect upstream.

    Usage is always requested from OpenAI (``stream_options.include_usage``) because
    Anthropic's ``message_delta`` must carry it.
    """

    dialect: Dialect = "anthropic"
    inner_dialect = "openai"
    stream_usage = True

    def translate_request(self, body: Json) -> Json:
        return anthropic_request_to_openai(body)

    def translate_answer(self, answer: Json, body: Json) -> Json:
        return openai_response_to_anthropic(answer)

    def stream_translator(self, body: Json) -> StreamTranslator:
        return OpenAIStreamToAnthropic()
