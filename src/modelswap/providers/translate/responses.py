"""Whole (non-streaming) responses, both ways: Anthropic ``message`` ⇄ OpenAI ``chat.completion``.

Thinking blocks have no place in OpenAI's chat completion; they are kept as LiteLLM and
DeepSeek do: the joined text as ``message.reasoning_content`` and the blocks themselves (with
Anthropic's ``signature``) as ``message.thinking_blocks``, so the next turn can send them back
(``request_to_anthropic``) and a Responses app gets ``reasoning`` items. The response ``id``
is carried over unchanged in both directions, so a record can be traced to the
provider's own logs.
"""

from __future__ import annotations

from typing import Any

from modelswap.providers.base import Json
from modelswap.providers.translate.common import (
    ANTHROPIC_STOP_TO_OPENAI,
    OPENAI_FINISH_TO_ANTHROPIC,
    TranslationError,
    anthropic_usage_to_openai,
    dump_arguments,
    expect_list,
    openai_usage_to_anthropic,
    parse_arguments,
)

__all__ = ["anthropic_response_to_openai", "openai_response_to_anthropic", "thinking_block"]


def thinking_block(block: Json) -> Json:
    """A ``thinking`` (text and ``signature``) or ``redacted_thinking`` (``data``) block, only its own fields."""
    if block.get("type") == "redacted_thinking":
        return {"type": "redacted_thinking", "data": str(block.get("data") or "")}
    return {"type": "thinking", "thinking": str(block.get("thinking") or ""), "signature": block.get("signature")}


def anthropic_response_to_openai(message: Json, *, created: int) -> Json:
    """An Anthropic ``message`` → an OpenAI ``chat.completion`` (``created``: Unix seconds)."""
    texts: list[str] = []
    calls: list[Json] = []
    thinking: list[Json] = []
    for j, block in enumerate(expect_list(message.get("content"), "content")):
        btype = block.get("type") if isinstance(block, dict) else None
        if btype in ("thinking", "redacted_thinking"):
            thinking.append(thinking_block(block))
        elif btype == "text":
            texts.append(str(block.get("text") or ""))
        elif btype == "tool_use":
            calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {"name": block.get("name"), "arguments": dump_arguments(block.get("input"))},
                }
            )
        else:
            raise TranslationError(f"content block type {btype!r} has no chat completions equivalent", f"content[{j}]")
    content = "".join(texts) or (None if calls else "")  # null only beside tool calls, as OpenAI does
    reply: Json = {"role": "assistant", "content": content, "refusal": None}
    if calls:
        reply["tool_calls"] = calls
    if thinking:
        reply["reasoning_content"] = "".join(b.get("thinking", "") for b in thinking)
        reply["thinking_blocks"] = thinking
    stop = message.get("stop_reason")
    return {
        "id": message.get("id"),
        "object": "chat.completion",
        "created": created,
        "model": message.get("model"),
        "choices": [
            {
                "index": 0,
                "message": reply,
                "logprobs": None,
                "finish_reason": ANTHROPIC_STOP_TO_OPENAI.get(stop or "", "stop"),
            }
        ],
        "usage": anthropic_usage_to_openai(message.get("usage")),
    }


def openai_response_to_anthropic(completion: Json) -> Json:
    """An OpenAI ``chat.completion`` (its first choice) → an Anthropic ``message``."""
    choices = expect_list(completion.get("choices"), "choices")
    if not choices or not isinstance(choices[0], dict):
        raise TranslationError("the completion has no choices", "choices")
    choice = choices[0]
    reply = choice.get("message") or {}
    content: list[Json] = []
    text = _reply_text(reply)
    if text:
        content.append({"type": "text", "text": text})
    for k, call in enumerate(reply.get("tool_calls") or ()):
        fn = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": fn.get("name"),
                "input": parse_arguments(fn.get("arguments"), f"choices[0].message.tool_calls[{k}].function.arguments"),
            }
        )
    finish = choice.get("finish_reason")
    stop = "refusal" if reply.get("refusal") else OPENAI_FINISH_TO_ANTHROPIC.get(finish or "", "end_turn")
    return {
        "id": completion.get("id"),
        "type": "message",
        "role": "assistant",
        "model": completion.get("model"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": openai_usage_to_anthropic(completion.get("usage")),
    }


def _reply_text(reply: Json) -> str:
    content: Any = reply.get("content")
    if isinstance(content, list):  # some compatible servers return content parts
        content = "".join(str(p.get("text") or "") for p in content if isinstance(p, dict))
    return (content or "") + (reply.get("refusal") or "")
