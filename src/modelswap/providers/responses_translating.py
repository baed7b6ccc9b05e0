"""Upstreams between OpenAI's Responses API and chat completions, both ways.

``ResponsesOverChat`` serves a Responses app from a chat-completions upstream (and, wrapped
around ``OpenAIOverAnthropic``, from a Claude model); ``ChatOverResponses`` serves a chat app
(and, under ``AnthropicOverOpenAI``, a Messages app) from a Responses-only upstream. Chat
completions are the hub, so every dialect reaches every other with the translations that exist.
"""

from __future__ import annotations

from modelswap.providers.base import Dialect, Json
from modelswap.providers.translate.responses_request import chat_request_to_responses, responses_request_to_chat
from modelswap.providers.translate.responses_response import (
    chat_completion_to_response,
    new_item_id,
    response_to_chat_completion,
)
from modelswap.providers.translate.responses_stream import ChatStreamToResponses, ResponsesStreamToChat
from modelswap.providers.translating import StreamTranslator, Translator, include_usage

__all__ = ["ChatOverResponses", "ResponsesOverChat"]


class ResponsesOverChat(Translator):
    """Takes Responses API bodies, calls an ``openai`` (chat completions) upstream (usage always asked for)."""

    dialect: Dialect = "responses"
    inner_dialect = "openai"
    stream_usage = True

    def translate_request(self, body: Json) -> Json:
        thinking = bool(getattr(self.inner, "takes_thinking_blocks", False))
        return responses_request_to_chat(body, thinking=thinking)  # reasoning items back as Claude's thinking

    def translate_answer(self, answer: Json, body: Json) -> Json:
        return chat_completion_to_response(answer, body, response_id=new_item_id("resp"), created=int(self._clock()))

    def stream_translator(self, body: Json) -> StreamTranslator:
        return ChatStreamToResponses(body, response_id=new_item_id("resp"), created=int(self._clock()))


class ChatOverResponses(Translator):
    """Takes chat completions bodies, calls a ``responses`` upstream."""

    dialect: Dialect = "openai"
    inner_dialect = "responses"

    def translate_request(self, body: Json) -> Json:
        return chat_request_to_responses(body)

    def translate_answer(self, answer: Json, body: Json) -> Json:
        return response_to_chat_completion(answer)

    def stream_translator(self, body: Json) -> StreamTranslator:
        return ResponsesStreamToChat(include_usage=include_usage(body))
