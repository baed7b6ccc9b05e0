"""Anthropic Messages request → OpenAI chat completions request (pure).

Decisions worth knowing:
- ``system`` (a string or text blocks) becomes one leading ``system`` message.
- ``tool_result`` blocks become ``role: tool`` messages placed right after the assistant
  turn that called them, ahead of any other content of the same user turn; an
  ``is_error`` result is prefixed with ``[tool error]`` since OpenAI has no such flag.
- Structured output (``output_config.format``, or the older beta ``output_format``, with a
  ``json_schema``) becomes ``response_format: {type: json_schema, json_schema: {name, strict: true,
  schema}}``, the schema made strict-valid by ``openai_strict_schema`` (every property
  required, no additional properties).
- ``output_config.effort`` is dropped: ``reasoning_effort`` would be refused by OpenAI's
  non-reasoning models.
- ``max_tokens`` is sent as ``max_completion_tokens`` (OpenAI's current name; required
  by its reasoning models).
- Dropped (no OpenAI chat equivalent): ``top_k``, ``thinking`` and thinking blocks,
  ``cache_control``, ``service_tier``, ``container``.
- Refused with a ``TranslationError``: server tools (web search, code execution, …),
  MCP servers, images inside tool results, citations-only content kinds.
"""

from __future__ import annotations

from typing import Any

from modelswap.providers.base import Json
from modelswap.providers.translate.common import TranslationError, dump_arguments, expect_list
from modelswap.providers.translate.schema import openai_strict_schema

__all__ = ["anthropic_request_to_openai", "untranslatable_fields"]


def untranslatable_fields(body: Json) -> list[str]:
    """The request fields an OpenAI chat model cannot honour: MCP servers, server tools."""
    used = ["mcp_servers"] if body.get("mcp_servers") else []
    tools = body.get("tools")
    if isinstance(tools, list) and any(isinstance(t, dict) and t.get("type") not in (None, "custom") for t in tools):
        used.append("tools")
    return used


def anthropic_request_to_openai(body: Json) -> Json:
    """Translate an Anthropic ``/v1/messages`` body into an OpenAI ``/chat/completions`` body."""
    if body.get("mcp_servers"):
        raise TranslationError("MCP servers are not available on OpenAI chat completions", "mcp_servers")
    messages: list[Json] = []
    system = _system_text(body.get("system"))
    if system:
        messages.append({"role": "system", "content": system})
    for i, msg in enumerate(expect_list(body.get("messages"), "messages")):
        messages.extend(_message(msg, f"messages[{i}]"))
    out: Json = {"model": body.get("model"), "messages": messages}
    if body.get("max_tokens") is not None:
        out["max_completion_tokens"] = body["max_tokens"]
    for key in ("temperature", "top_p"):
        if body.get(key) is not None:
            out[key] = body[key]
    if body.get("stop_sequences"):
        stops = body["stop_sequences"]
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            raise TranslationError("must be a list of strings", "stop_sequences")
        out["stop"] = list(stops)
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and metadata.get("user_id"):
        out["user"] = str(metadata["user_id"])
    if body.get("tools"):
        out["tools"] = [_tool(tool, f"tools[{i}]") for i, tool in enumerate(expect_list(body["tools"], "tools"))]
        _apply_tool_choice(out, body.get("tool_choice"))
    _apply_output_config(out, body)
    return out


def _apply_output_config(out: Json, body: Json) -> None:
    """``output_config.format`` → ``response_format`` json_schema."""
    config = body.get("output_config")
    where = "output_config"
    if config is not None and not isinstance(config, dict):
        raise TranslationError("must be an object", where)
    config = config or {}
    fmt, where = (config.get("format"), "output_config.format")
    if fmt is None and body.get("output_format") is not None:
        fmt, where = body["output_format"], "output_format"
    if fmt is not None:
        if not isinstance(fmt, dict) or fmt.get("type") != "json_schema" or not isinstance(fmt.get("schema"), dict):
            raise TranslationError("must be {type: json_schema, schema: {...}}", where)
        schema = openai_strict_schema(fmt["schema"], f"{where}.schema")
        spec = {"name": _schema_name(fmt["schema"]), "strict": True, "schema": schema}
        out["response_format"] = {"type": "json_schema", "json_schema": spec}


def _schema_name(schema: Json) -> str:
    """OpenAI wants a name (``^[a-zA-Z0-9_-]{1,64}$``): the schema's title when it fits, else ``output``."""
    title = schema.get("title")
    if isinstance(title, str) and title and len(title) <= 64 and all(c.isalnum() or c in "_-" for c in title):
        return title if title.isascii() else "output"
    return "output"


def _system_text(system: Any) -> str:
    if system is None or isinstance(system, str):
        return system or ""
    return _joined_text(expect_list(system, "system"), "system")


def _joined_text(blocks: list[Any], where: str) -> str:
    texts = []
    for j, block in enumerate(blocks):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise TranslationError("only text blocks are allowed here", f"{where}[{j}]")
        texts.append(str(block.get("text") or ""))
    return "\n".join(t for t in texts if t)


def _message(msg: Any, where: str) -> list[Json]:
    if not isinstance(msg, dict):
        raise TranslationError("each message must be an object", where)
    role, content = msg.get("role"), msg.get("content")
    if role not in ("user", "assistant"):
        raise TranslationError(f"role {role!r} is not supported (user, assistant)", f"{where}.role")
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    blocks = expect_list(content, f"{where}.content")
    if role == "assistant":
        return [_assistant(blocks, f"{where}.content")]
    return _user(blocks, f"{where}.content")


def _assistant(blocks: list[Any], where: str) -> Json:
    texts: list[str] = []
    calls: list[Json] = []
    for j, block in enumerate(blocks):
        btype = block.get("type") if isinstance(block, dict) else None
        if btype == "text":
            texts.append(str(block.get("text") or ""))
        elif btype == "tool_use":
            calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {"name": block.get("name"), "arguments": dump_arguments(block.get("input"))},
                }
            )
        elif btype not in ("thinking", "redacted_thinking"):
            raise TranslationError(f"assistant block type {btype!r} is not supported", f"{where}[{j}]")
    out: Json = {"role": "assistant", "content": "".join(texts) or (None if calls else "")}
    if calls:
        out["tool_calls"] = calls
    return out


def _user(blocks: list[Any], where: str) -> list[Json]:
    tool_messages: list[Json] = []
    parts: list[Json] = []
    for j, block in enumerate(blocks):
        here = f"{where}[{j}]"
        btype = block.get("type") if isinstance(block, dict) else None
        if btype == "tool_result":
            tool_messages.append(_tool_message(block, here))
        elif btype == "text":
            parts.append({"type": "text", "text": str(block.get("text") or "")})
        elif btype == "image":
            parts.append(_image_part(block.get("source"), here))
        elif btype == "document":
            parts.append(_document_part(block.get("source"), here))
        else:
            raise TranslationError(f"user block type {btype!r} is not supported", here)
    out = list(tool_messages)
    if len(parts) == 1 and parts[0]["type"] == "text":
        out.append({"role": "user", "content": parts[0]["text"]})
    elif parts:
        out.append({"role": "user", "content": parts})
    return out


def _tool_message(block: Json, where: str) -> Json:
    content = block.get("content")
    if isinstance(content, list):
        text = _joined_text(content, f"{where}.content")
    else:
        text = "" if content is None else str(content)
    if block.get("is_error"):
        text = f"[tool error] {text}"
    return {"role": "tool", "tool_call_id": block.get("tool_use_id"), "content": text}


def _image_part(source: Any, where: str) -> Json:
    if isinstance(source, dict) and source.get("type") == "base64":
        url = f"data:{source.get('media_type')};base64,{source.get('data')}"
    elif isinstance(source, dict) and source.get("type") == "url":
        url = str(source.get("url"))
    else:
        raise TranslationError("image source must be base64 or url", f"{where}.source")
    return {"type": "image_url", "image_url": {"url": url}}


def _document_part(source: Any, where: str) -> Json:
    if isinstance(source, dict) and source.get("type") == "text":
        return {"type": "text", "text": str(source.get("data") or "")}
    if isinstance(source, dict) and source.get("type") == "base64":
        media = source.get("media_type") or "application/pdf"
        return {
            "type": "file",
            "file": {"filename": "document.pdf", "file_data": f"data:{media};base64,{source.get('data')}"},
        }
    raise TranslationError("document source must be base64 or text", f"{where}.source")


def _tool(tool: Any, where: str) -> Json:
    if not isinstance(tool, dict) or tool.get("type") not in (None, "custom"):
        kind = tool.get("type") if isinstance(tool, dict) else None
        raise TranslationError(f"server tool {kind!r} is not available on OpenAI; only custom tools", where)
    if not tool.get("name"):
        raise TranslationError("a tool needs a name", where)
    fn: Json = {"name": tool["name"], "parameters": tool.get("input_schema") or {"type": "object"}}
    if tool.get("description"):
        fn["description"] = tool["description"]
    return {"type": "function", "function": fn}


def _apply_tool_choice(out: Json, choice: Any) -> None:
    if choice is None:
        return
    ctype = choice.get("type") if isinstance(choice, dict) else None
    if ctype in ("auto", "none"):
        out["tool_choice"] = ctype
    elif ctype == "any":
        out["tool_choice"] = "required"
    elif ctype == "tool" and choice.get("name"):
        out["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    else:
        raise TranslationError("must be {type: auto|any|none} or {type: tool, name}", "tool_choice")
    if choice.get("disable_parallel_tool_use") and ctype != "none":
        out["parallel_tool_calls"] = False
