"""Whole responses both ways between OpenAI's Responses API and chat completions.

A ``chat.completion`` becomes a ``response`` object with the request's settings echoed as the
Responses API does (``instructions``, ``tools``, ``text``, ``previous_response_id`` ...): its
reply text is one ``message`` output item, each tool call a ``function_call`` item, and a
``reasoning_content`` (servers that return one) a ``reasoning`` item. ``finish_reason:
length`` is ``status: incomplete`` with ``max_output_tokens`` as the reason. The reverse
direction flattens output items back into one assistant message.
"""

from __future__ import annotations

import secrets
from typing import Any

from modelswap.providers.base import Json
from modelswap.providers.translate.common import TranslationError, expect_list

__all__ = [
    "chat_completion_to_response",
    "chat_usage",
    "new_item_id",
    "response_shell",
    "response_to_chat_completion",
    "responses_usage",
]

_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}
_FINISH_OF_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}


def new_item_id(prefix: str) -> str:
    """An id in OpenAI's style (``resp_``, ``msg_``, ``fc_``, ``rs_`` followed by 48 hex digits)."""
    return f"{prefix}_{secrets.token_hex(24)}"


def response_shell(request: Json, *, response_id: str, created: int, model: str | None) -> Json:
    """A ``response`` object in progress: the request's settings echoed, no output yet."""
    reasoning = request.get("reasoning")
    reasoning = reasoning if isinstance(reasoning, dict) else {}
    text = request.get("text")
    text = text if isinstance(text, dict) else {}
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": "in_progress",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "max_tool_calls": request.get("max_tool_calls"),
        "model": model or request.get("model"),
        "output": [],
        "parallel_tool_calls": request.get("parallel_tool_calls", True),
        "previous_response_id": request.get("previous_response_id"),
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "service_tier": "default",
        "store": request.get("store", True),
        "temperature": request.get("temperature", 1.0),
        "text": {"format": {"type": "text"}, "verbosity": "medium", **text},
        "tool_choice": request.get("tool_choice", "auto"),
        "tools": request.get("tools") or [],
        "top_logprobs": request.get("top_logprobs", 0),
        "top_p": request.get("top_p", 1.0),
        "truncation": request.get("truncation") or "disabled",
        "usage": None,
        "user": request.get("user"),
        "metadata": request.get("metadata") or {},
    }


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _details(usage: Json, key: str, field: str) -> int:
    details = usage.get(key)
    return _count(details.get(field)) if isinstance(details, dict) else 0


def responses_usage(usage: Any) -> Json | None:
    """Chat ``usage`` → Responses ``usage`` (input/output tokens with cached and reasoning details)."""
    if not isinstance(usage, dict) or not usage:
        return None
    prompt, completion = _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": _details(usage, "prompt_tokens_details", "cached_tokens")},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": _details(usage, "completion_tokens_details", "reasoning_tokens")},
        "total_tokens": _count(usage.get("total_tokens")) or prompt + completion,
    }


def chat_usage(usage: Any) -> Json | None:
    """Responses ``usage`` → chat ``usage``."""
    if not isinstance(usage, dict) or not usage:
        return None
    prompt, completion = _count(usage.get("input_tokens")), _count(usage.get("output_tokens"))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": _count(usage.get("total_tokens")) or prompt + completion,
        "prompt_tokens_details": {"cached_tokens": _details(usage, "input_tokens_details", "cached_tokens")},
        "completion_tokens_details": {"reasoning_tokens": _details(usage, "output_tokens_details", "reasoning_tokens")},
    }


def message_item(text: str, *, item_id: str, refusal: str | None = None, status: str = "completed") -> Json:
    """An assistant ``message`` output item holding ``text`` (or a refusal)."""
    part: Json = (
        {"type": "refusal", "refusal": refusal}
        if refusal
        else {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    )
    return {"type": "message", "id": item_id, "status": status, "role": "assistant", "content": [part]}


def function_call_item(call_id: str, name: str, arguments: str, *, item_id: str, status: str = "completed") -> Json:
    """A ``function_call`` output item."""
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def reasoning_item(text: str, *, item_id: str, signature: str | None = None) -> Json:
    """A ``reasoning`` output item with ``text`` as its summary; Claude's ``signature`` of the
    thinking is its ``encrypted_content`` (sent back in a later turn's ``input``)."""
    item: Json = {"type": "reasoning", "id": item_id, "summary": [{"type": "summary_text", "text": text}]}
    if signature:
        item["encrypted_content"] = signature
    return item


def reasoning_items(message: Json) -> list[Json]:
    """A chat message's reasoning as ``reasoning`` items: one per signed thinking block when
    the message has ``thinking_blocks`` (a redacted block has no text to show and is left out),
    else one for its ``reasoning_content``."""
    blocks = message.get("thinking_blocks")
    if isinstance(blocks, list) and blocks:
        return [
            reasoning_item(str(b.get("thinking") or ""), item_id=new_item_id("rs"), signature=b.get("signature"))
            for b in blocks
            if isinstance(b, dict) and b.get("type") == "thinking"
        ]
    thinking = message.get("reasoning_content")
    if isinstance(thinking, str) and thinking:
        return [reasoning_item(thinking, item_id=new_item_id("rs"))]
    return []


def finish_status(response: Json, finish: str | None) -> None:
    """Set ``status`` and ``incomplete_details`` from a chat ``finish_reason``."""
    reason = _INCOMPLETE.get(finish) if isinstance(finish, str) else None
    response["status"] = "incomplete" if reason else "completed"
    response["incomplete_details"] = {"reason": reason} if reason else None


def chat_completion_to_response(completion: Json, request: Json, *, response_id: str, created: int) -> Json:
    """A ``chat.completion`` → a ``response`` object answering ``request`` (a Responses request body)."""
    choices = expect_list(completion.get("choices"), "choices")
    if not choices or not isinstance(choices[0], dict):
        raise TranslationError("a completion needs one choice", "choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise TranslationError("must be an object", "choices[0].message")
    response = response_shell(request, response_id=response_id, created=created, model=completion.get("model"))
    output: list[Json] = response["output"]
    output.extend(reasoning_items(message))
    text, refusal = message.get("content"), message.get("refusal")
    if (isinstance(text, str) and text) or refusal or not message.get("tool_calls"):
        output.append(message_item(text or "", item_id=new_item_id("msg"), refusal=refusal))
    for j, call in enumerate(message.get("tool_calls") or ()):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            raise TranslationError("a tool call needs a function", f"choices[0].message.tool_calls[{j}]")
        arguments = fn.get("arguments") or "{}"
        output.append(
            function_call_item(str(call.get("id")), str(fn.get("name")), arguments, item_id=new_item_id("fc"))
        )
    finish_status(response, choices[0].get("finish_reason"))
    response["usage"] = responses_usage(completion.get("usage"))
    return response


def incomplete_finish(response: Json) -> str | None:
    """The chat ``finish_reason`` of an incomplete response (``None`` when it is not incomplete)."""
    if response.get("status") != "incomplete":
        return None
    details = response.get("incomplete_details")
    reason = details.get("reason") if isinstance(details, dict) else None
    return _FINISH_OF_INCOMPLETE.get(reason, "length") if isinstance(reason, str) else "length"


def response_to_chat_completion(response: Json) -> Json:
    """A ``response`` object → a ``chat.completion``."""
    if response.get("status") == "failed":
        error = response.get("error")
        message = error.get("message") if isinstance(error, dict) else None
        raise TranslationError(f"the response failed: {message or 'no message'}", "status")
    texts: list[str] = []
    refusals: list[str] = []
    reasoning: list[str] = []
    calls: list[Json] = []
    for j, item in enumerate(expect_list(response.get("output"), "output")):
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "message":
            content = item.get("content")
            for part in content if isinstance(content, list) else ():
                if not isinstance(part, dict):
                    continue
                if part.get("type") == "output_text":
                    texts.append(str(part.get("text") or ""))
                elif part.get("type") == "refusal":
                    refusals.append(str(part.get("refusal") or ""))
        elif kind == "function_call":
            fn = {"name": item.get("name"), "arguments": item.get("arguments") or "{}"}
            calls.append({"id": item.get("call_id"), "type": "function", "function": fn})
        elif kind == "reasoning":
            summary = item.get("summary")
            parts = summary if isinstance(summary, list) else ()
            reasoning.extend(str(s.get("text") or "") for s in parts if isinstance(s, dict))
        else:
            raise TranslationError(f"output item type {kind!r} has no chat completions equivalent", f"output[{j}]")
    reply: Json = {"role": "assistant", "content": "".join(texts) or (None if calls else ""), "refusal": None}
    if refusals:
        reply["refusal"] = "".join(refusals)
    if calls:
        reply["tool_calls"] = calls
    if reasoning:
        reply["reasoning_content"] = "\n".join(reasoning)
    finish = incomplete_finish(response)
    completion: Json = {
        "id": response.get("id"),
        "object": "chat.completion",
        "created": response.get("created_at"),
        "model": response.get("model"),
        "choices": [
            {
                "index": 0,
                "message": reply,
                "logprobs": None,
                "finish_reason": finish or ("tool_calls" if calls else "stop"),
            }
        ],
    }
    usage = chat_usage(response.get("usage"))
    if usage is not None:
        completion["usage"] = usage
    return completion
