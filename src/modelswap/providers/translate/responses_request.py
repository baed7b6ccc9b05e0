"""Requests both ways between OpenAI's Responses API and chat completions.

Responses → chat (an app on ``client.responses`` answered by a chat-completions model, and,
through the chat ⇄ Anthropic translation, by a Claude model):

- ``instructions`` → a leading system message; ``input`` (a string or an item list) → messages:
  ``message`` items by role, ``function_call`` items → an assistant's ``tool_calls``,
  ``function_call_output`` → ``tool`` messages; ``reasoning`` items are dropped (chat
  completions take no reasoning as input) unless ``thinking`` is asked for (the chat upstream
  is a Claude model): then an item with ``encrypted_content`` (Claude's ``signature``, as
  modelswap returned it) becomes a ``thinking_blocks`` entry of the assistant turn after it.
- ``tools`` (function tools) → chat tools; ``tool_choice``; ``text.format`` → ``response_format``;
  ``max_output_tokens`` → ``max_completion_tokens``; ``reasoning.effort`` → ``reasoning_effort``.
- Refused with the field named: hosted tools (web search, file search, ...), ``item_reference``
  items, file ids, ``background``, ``conversation``, ``prompt`` templates.
- ``previous_response_id`` is informational here: modelswap has already put the earlier turns
  into ``input`` (see ``gateway/responses_api.py``).

Chat → Responses (a chat app answered by a Responses-only model) is the reverse; chat fields
the Responses API lacks (``n`` > 1, ``stop``, ``logprobs``) are refused.
"""

from __future__ import annotations

from typing import Any

from modelswap.providers.base import Json
from modelswap.providers.translate.common import TranslationError, expect_list

__all__ = ["chat_request_to_responses", "input_items", "responses_request_to_chat"]

_REFUSED = {
    "background": "background responses are not available through modelswap; remove 'background'",
    "conversation": "conversations are not available through modelswap; use previous_response_id",
    "prompt": "prompt templates are not available through modelswap; send instructions and input",
}
_PASSED = ("temperature", "top_p", "parallel_tool_calls", "user", "safety_identifier", "prompt_cache_key")


def input_items(value: Any) -> list[Json]:
    """``input`` as an item list (a string is one user message)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    items = expect_list(value, "input")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise TranslationError("each input item must be an object", f"input[{i}]")
    return items


def responses_request_to_chat(body: Json, *, thinking: bool = False) -> Json:
    """A Responses API request body → a chat completions request body (``thinking``: carry
    reasoning items with their ``encrypted_content`` as ``thinking_blocks``)."""
    for field, why in _REFUSED.items():
        if body.get(field):
            raise TranslationError(why, field)
    messages: list[Json] = []
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages.append({"role": "system", "content": instructions})
    elif instructions is not None and not isinstance(instructions, str):
        raise TranslationError("must be a string", "instructions")
    for i, item in enumerate(input_items(body.get("input"))):
        if item.get("type") == "reasoning":
            if thinking:
                _add_reasoning(messages, item)
            continue
        _add_item(messages, item, f"input[{i}]")
    messages = [
        m for m in messages if m.get("content") is not None or m.get("tool_calls") or "thinking_blocks" not in m
    ]
    if not any(m["role"] != "system" for m in messages):
        raise TranslationError("needs at least one user or assistant message", "input")
    out: Json = {"model": body.get("model"), "messages": messages}
    for field in _PASSED:
        if body.get(field) is not None:
            out[field] = body[field]
    if body.get("max_output_tokens") is not None:
        out["max_completion_tokens"] = body["max_output_tokens"]
    if body.get("stream"):
        out["stream"] = True
    if body.get("tools"):
        out["tools"] = [_chat_tool(t, f"tools[{i}]") for i, t in enumerate(expect_list(body["tools"], "tools"))]
    if body.get("tool_choice") is not None:
        out["tool_choice"] = _chat_tool_choice(body["tool_choice"])
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort"):
        out["reasoning_effort"] = reasoning["effort"]
    text = body.get("text")
    if isinstance(text, dict):
        fmt = _chat_format(text.get("format"))
        if fmt is not None:
            out["response_format"] = fmt
        if text.get("verbosity"):
            out["verbosity"] = text["verbosity"]
    if body.get("top_logprobs"):
        out["logprobs"], out["top_logprobs"] = True, body["top_logprobs"]
    return out


def _add_item(messages: list[Json], item: Json, where: str) -> None:
    kind = item.get("type", "message")
    last = messages[-1] if messages else None
    if kind == "message":
        message = _chat_message(item, where)
        if last is not None and _thinking_only(last) and message["role"] == "assistant":
            last["content"] = message["content"]  # the answer that followed its reasoning
        else:
            messages.append(message)
    elif kind == "function_call":
        call = {
            "id": _text(item.get("call_id"), f"{where}.call_id"),
            "type": "function",
            "function": {"name": _text(item.get("name"), f"{where}.name"), "arguments": item.get("arguments") or "{}"},
        }
        if (
            last is not None
            and last["role"] == "assistant"
            and (last.get("tool_calls") or last.get("content") or last.get("thinking_blocks"))
        ):
            last.setdefault("tool_calls", []).append(call)  # one assistant turn: its text, then its calls
        else:
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    elif kind == "function_call_output":
        output = item.get("output")
        content = output if isinstance(output, str) else _joined_text(output, f"{where}.output")
        messages.append(
            {"role": "tool", "tool_call_id": _text(item.get("call_id"), f"{where}.call_id"), "content": content}
        )
    else:
        raise TranslationError(
            f"input item type {kind!r} is not supported (message, function_call, function_call_output, reasoning)",
            f"{where}.type",
        )


def _thinking_only(message: Json) -> bool:
    """An assistant turn holding only reasoning so far (its text or calls come next)."""
    return "thinking_blocks" in message and message.get("content") is None and not message.get("tool_calls")


def _add_reasoning(messages: list[Json], item: Json) -> None:
    """A reasoning item that carries Claude's signature (``encrypted_content``) → a thinking
    block opening the next assistant turn; one without it cannot be sent back and is dropped."""
    signature = item.get("encrypted_content")
    if not isinstance(signature, str) or not signature:
        return
    summary = item.get("summary")
    text = (
        "".join(str(p.get("text") or "") for p in summary if isinstance(p, dict)) if isinstance(summary, list) else ""
    )
    block = {"type": "thinking", "thinking": text, "signature": signature}
    last = messages[-1] if messages else None
    if last is not None and _thinking_only(last):
        last["thinking_blocks"].append(block)
    else:
        messages.append({"role": "assistant", "content": None, "thinking_blocks": [block]})


def _chat_message(item: Json, where: str) -> Json:
    role = item.get("role")
    if role not in ("user", "assistant", "system", "developer"):
        raise TranslationError("role must be user, assistant, system or developer", f"{where}.role")
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    parts = expect_list(content, f"{where}.content")
    if role != "user":
        return {"role": role, "content": _joined_text(parts, f"{where}.content")}
    return {"role": role, "content": [_chat_part(p, f"{where}.content[{j}]") for j, p in enumerate(parts)]}


def _chat_part(part: Any, where: str) -> Json:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in ("input_text", "output_text"):
        return {"type": "text", "text": _text(part.get("text"), f"{where}.text", empty=True)}
    if kind == "input_image":
        url = part.get("image_url")
        if not isinstance(url, str):
            raise TranslationError("only image_url images can be translated (not file_id)", where)
        return {"type": "image_url", "image_url": {"url": url, "detail": part.get("detail") or "auto"}}
    if kind == "input_file":
        if not isinstance(part.get("file_data"), str):
            raise TranslationError("only inline files (file_data) can be translated", where)
        return {"type": "file", "file": {"file_data": part["file_data"], "filename": part.get("filename")}}
    raise TranslationError(f"content part type {kind!r} is not supported (input_text, input_image, input_file)", where)


def _joined_text(parts: Any, where: str) -> str:
    texts = []
    for j, part in enumerate(expect_list(parts, where)):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text"):
            texts.append(_text(part.get("text"), f"{where}[{j}].text", empty=True))
        elif kind == "refusal":
            texts.append(_text(part.get("refusal"), f"{where}[{j}].refusal", empty=True))
        else:
            raise TranslationError(f"only text parts are allowed here, got {kind!r}", f"{where}[{j}]")
    return "".join(texts)


def _text(value: Any, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty):
        raise TranslationError("must be a non-empty string" if not empty else "must be a string", where)
    return value


def _chat_tool(tool: Any, where: str) -> Json:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        kind = tool.get("type") if isinstance(tool, dict) else None
        raise TranslationError(f"only function tools can be translated, got {kind!r}", f"{where}.type")
    function: Json = {"name": _text(tool.get("name"), f"{where}.name")}
    if tool.get("description") is not None:
        function["description"] = tool["description"]
    function["parameters"] = tool.get("parameters") or {"type": "object", "properties": {}}
    if tool.get("strict") is not None:
        function["strict"] = tool["strict"]
    return {"type": "function", "function": function}


def _chat_tool_choice(choice: Any) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function" and isinstance(choice.get("name"), str):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise TranslationError("must be auto, none, required or {type: function, name}", "tool_choice")


def _chat_format(fmt: Any) -> Json | None:
    if fmt is None:
        return None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        schema: Json = {"name": fmt.get("name") or "response", "schema": fmt.get("schema") or {}}
        for key in ("strict", "description"):
            if fmt.get(key) is not None:
                schema[key] = fmt[key]
        return {"type": "json_schema", "json_schema": schema}
    raise TranslationError("must be text, json_object or json_schema", "text.format.type")


# -- chat → Responses ---------------------------------------------------------------------------

_CHAT_REFUSED = {
    "stop": "stop sequences are not available from a Responses API model; remove 'stop'",
    "logprobs": "logprobs cannot be translated to the Responses API; remove 'logprobs'",
    "functions": "legacy 'functions' are not supported; use 'tools'",
    "audio": "audio output is not available from a Responses API model",
}


def chat_request_to_responses(body: Json) -> Json:
    """A chat completions request body → a Responses API request body (not stored upstream)."""
    for field, why in _CHAT_REFUSED.items():
        if body.get(field):
            raise TranslationError(why, field)
    n = body.get("n")
    if n is not None and n != 1:
        raise TranslationError(f"n={n} is not supported by the Responses API; send n=1 (or omit it)", "n")
    items: list[Json] = []
    for i, message in enumerate(expect_list(body.get("messages"), "messages")):
        items.extend(_items_of(message, f"messages[{i}]"))
    out: Json = {"model": body.get("model"), "input": items, "store": False}
    for field in (*_PASSED, "metadata"):
        if body.get(field) is not None:
            out[field] = body[field]
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None:
        out["max_output_tokens"] = limit
    if body.get("stream"):
        out["stream"] = True
    if body.get("tools"):
        out["tools"] = [_responses_tool(t, f"tools[{i}]") for i, t in enumerate(expect_list(body["tools"], "tools"))]
    choice = body.get("tool_choice")
    if choice is not None:
        if isinstance(choice, dict):
            name = (choice.get("function") or {}).get("name") if isinstance(choice.get("function"), dict) else None
            if not isinstance(name, str):
                raise TranslationError(
                    "must be auto, none, required or {type: function, function: {name}}", "tool_choice"
                )
            choice = {"type": "function", "name": name}
        out["tool_choice"] = choice
    if body.get("reasoning_effort"):
        out["reasoning"] = {"effort": body["reasoning_effort"]}
    text: Json = {}
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        text["format"] = {
            "type": "json_schema",
            "name": spec.get("name") or "response",
            "schema": spec.get("schema") or {},
        }
        for key in ("strict", "description"):
            if spec.get(key) is not None:
                text["format"][key] = spec[key]
    elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
        text["format"] = {"type": "json_object"}
    if body.get("verbosity"):
        text["verbosity"] = body["verbosity"]
    if text:
        out["text"] = text
    return out


def _items_of(message: Any, where: str) -> list[Json]:
    if not isinstance(message, dict):
        raise TranslationError("each message must be an object", where)
    role = message.get("role")
    content = message.get("content")
    if role == "tool":
        output = content if isinstance(content, str) else _chat_text(content, f"{where}.content")
        return [
            {
                "type": "function_call_output",
                "call_id": _text(message.get("tool_call_id"), f"{where}.tool_call_id"),
                "output": output,
            }
        ]
    if role not in ("system", "developer", "user", "assistant"):
        raise TranslationError(f"role {role!r} is not supported (system, developer, user, assistant, tool)", where)
    items: list[Json] = []
    if isinstance(content, str) and content:
        items.append({"type": "message", "role": role, "content": content})
    elif isinstance(content, list) and content:
        if role == "user":
            parts = [_responses_part(p, f"{where}.content[{j}]") for j, p in enumerate(content)]
            items.append({"type": "message", "role": role, "content": parts})
        else:
            items.append({"type": "message", "role": role, "content": _chat_text(content, f"{where}.content")})
    for j, call in enumerate(message.get("tool_calls") or () if role == "assistant" else ()):
        here = f"{where}.tool_calls[{j}]"
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            raise TranslationError("a tool call needs id and function", here)
        items.append(
            {
                "type": "function_call",
                "call_id": _text(call.get("id"), f"{here}.id"),
                "name": _text(fn.get("name"), f"{here}.function.name"),
                "arguments": fn.get("arguments") or "{}",
            }
        )
    return items


def _chat_text(parts: Any, where: str) -> str:
    texts = []
    for j, part in enumerate(expect_list(parts, where)):
        if not isinstance(part, dict) or part.get("type") != "text":
            raise TranslationError("only text parts are allowed here", f"{where}[{j}]")
        texts.append(_text(part.get("text"), f"{where}[{j}].text", empty=True))
    return "".join(texts)


def _responses_part(part: Any, where: str) -> Json:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text":
        return {"type": "input_text", "text": _text(part.get("text"), f"{where}.text", empty=True)}
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else None
        if not isinstance(url, str):
            raise TranslationError("image_url.url must be a string", where)
        return {"type": "input_image", "image_url": url, "detail": image.get("detail") or "auto"}
    if kind == "file":
        file = part.get("file")
        if not isinstance(file, dict) or not isinstance(file.get("file_data"), str):
            raise TranslationError("only inline files (file.file_data) can be translated", where)
        out: Json = {"type": "input_file", "file_data": file["file_data"]}
        if file.get("filename"):
            out["filename"] = file["filename"]
        return out
    raise TranslationError(f"content part type {kind!r} is not supported (text, image_url, file)", where)


def _responses_tool(tool: Any, where: str) -> Json:
    fn = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
    if not isinstance(fn, dict):
        raise TranslationError("only function tools can be translated", where)
    out: Json = {
        "type": "function",
        "name": _text(fn.get("name"), f"{where}.function.name"),
        "parameters": fn.get("parameters") or {"type": "object", "properties": {}},
        "strict": bool(fn.get("strict")),  # the Responses API defaults to strict; chat does not
    }
    if fn.get("description") is not None:
        out["description"] = fn["description"]
    return out
