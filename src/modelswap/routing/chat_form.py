"""An exchange in any dialect → the OpenAI Chat Completions form every router signal reads.

The cascade hands over the request and the cheap answer in the app's dialect (a whole body,
or a buffered stream's events); signals are written once, against Chat Completions, and this
module translates with the providers' own translators. A stream is assembled into the whole
``chat.completion`` it stands for, token logprobs included.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modelswap.providers.base import Dialect, Json
from modelswap.providers.cascade import CheapAnswer
from modelswap.providers.translate import AnthropicStreamToOpenAI, anthropic_request_to_openai
from modelswap.providers.translate.responses import anthropic_response_to_openai
from modelswap.providers.translate.responses_request import responses_request_to_chat
from modelswap.providers.translate.responses_response import response_to_chat_completion
from modelswap.providers.translate.responses_stream import ResponsesStreamToChat
from modelswap.routing.signal_base import Exchange

__all__ = ["assemble_chunks", "chat_answer", "chat_request", "exchange_of"]


def chat_request(body: Json, dialect: Dialect) -> Json:
    """The request as a Chat Completions body."""
    if dialect == "anthropic":
        return anthropic_request_to_openai(body)
    if dialect == "responses":
        return responses_request_to_chat(body)
    return body


def chat_answer(answer: CheapAnswer, dialect: Dialect) -> Json:
    """The cheap answer (whole or streamed) as one ``chat.completion``."""
    if answer.body is not None:
        if dialect == "anthropic":
            return anthropic_response_to_openai(answer.body, created=0)
        if dialect == "responses":
            return response_to_chat_completion(answer.body)
        return answer.body
    return assemble_chunks(_chunks(answer.events, dialect))


def exchange_of(body: Json, answer: CheapAnswer | None, dialect: Dialect) -> Exchange:
    """The exchange a signal rates, in Chat Completions form."""
    return Exchange(chat_request(body, dialect), None if answer is None else chat_answer(answer, dialect))


def _chunks(events: Iterable[Json], dialect: Dialect) -> Iterable[Json]:
    if dialect == "openai":
        return events
    translator: AnthropicStreamToOpenAI | ResponsesStreamToChat = (
        AnthropicStreamToOpenAI(created=0, include_usage=True)
        if dialect == "anthropic"
        else ResponsesStreamToChat(include_usage=True)
    )
    return [chunk for event in events for chunk in translator.feed(event)]


def assemble_chunks(chunks: Iterable[Json]) -> Json:
    """OpenAI stream chunks → the ``chat.completion`` they add up to (first choice; usage; logprobs)."""
    text: list[str] = []
    calls: dict[int, Json] = {}
    logprobs: list[Any] = []
    finish: str | None = None
    usage: Json | None = None
    head: Json = {}
    for chunk in chunks:
        head = head or {k: chunk.get(k) for k in ("id", "created", "model")}
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text.append(delta.get("content") or "")
            for call in delta.get("tool_calls") or ():
                _add_call(calls, call)
            logprobs.extend(((choice.get("logprobs") or {}).get("content")) or ())
            finish = choice.get("finish_reason") or finish
    message: Json = {"role": "assistant", "content": "".join(text) or (None if calls else "")}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    choice_out: Json = {"index": 0, "message": message, "finish_reason": finish}
    choice_out["logprobs"] = {"content": logprobs} if logprobs else None
    return {**head, "object": "chat.completion", "choices": [choice_out], "usage": usage}


def _add_call(calls: dict[int, Json], delta: Json) -> None:
    slot = calls.setdefault(
        int(delta.get("index") or 0), {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
    )
    slot["id"] = delta.get("id") or slot["id"]
    fn = delta.get("function") or {}
    slot["function"]["name"] += fn.get("name") or ""
    slot["function"]["arguments"] += fn.get("arguments") or ""
