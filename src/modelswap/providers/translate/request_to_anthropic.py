"""OpenAI chat completions request → Anthropic Messages request (pure).

Decisions worth knowing:
- ``system``/``developer`` messages, wherever they appear, are joined (blank line
  between) into the top-level ``system`` prompt: Anthropic has no mid-conversation system turn.
- ``role: tool`` messages become ``tool_result`` blocks in a user turn; consecutive
  same-role turns merge (Anthropic requires alternation) and a user turn lists its
  ``tool_result`` blocks first, as Anthropic requires.
- ``response_format`` ``json_schema`` with ``strict: true`` becomes Claude's structured
  output (``output_config.format``, the schema rewritten by ``claude_schema``), which
  constrains decoding to the schema; a non-strict
  schema and ``json_object`` are approximated by an instruction appended to the system
  prompt (the schema, if any, quoted in it).
- ``temperature`` is clamped to Anthropic's 0..1 range; ``max_tokens`` defaults to the
  caller's ``default_max_tokens`` (the model's own output limit, from the catalog).
- ``n`` is checked (1..128) but not sent: ``OpenAIOverAnthropic`` fans out ``n`` calls.
- ``safety_identifier`` (else ``user``) becomes ``metadata.user_id``.
- ``reasoning_effort`` turns on extended thinking with LiteLLM's budgets (``THINKING_BUDGETS``;
  ``none`` leaves it off, and so does a forced ``tool_choice``, which Claude refuses beside
  thinking); a ``thinking`` object (as LiteLLM accepts it) is sent as is. With
  thinking on, ``max_tokens`` is raised above the budget when the app's is not, and
  ``temperature``/``top_p`` are not sent (Claude refuses them beside thinking). An assistant
  message's ``thinking_blocks`` (Anthropic's blocks with their ``signature``, as a translated
  answer carries them) go back first in its turn.
- Ignored (no Anthropic equivalent, output shape unchanged): ``frequency_penalty``,
  ``presence_penalty``, ``logit_bias``, ``seed``, ``service_tier``, ``store``,
  ``metadata``, ``prediction``, ``verbosity``, message ``name``, ``reasoning_content``.
- Refused with a ``TranslationError`` (see ``untranslatable_fields``): ``logprobs``/``top_logprobs``,
  audio output, legacy ``functions``.
"""

from __future__ import annotations

from typing import Any

import orjson

from modelswap.providers.base import Json
from modelswap.providers.translate.common import (
    TranslationError,
    expect_list,
    parse_arguments,
    parse_data_url,
)
from modelswap.providers.translate.schema import claude_schema
from modelswap.providers.translate.thinking import thinking_blocks, thinking_into

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "MAX_N",
    "openai_request_to_anthropic",
    "requested_n",
    "untranslatable_fields",
]

DEFAULT_MAX_TOKENS = 4096
"""``max_tokens`` when the app sends none and the model's limit is not in the catalog."""
MAX_N = 128
"""OpenAI's own upper bound for ``n``."""

_JSON_NOTE = "Respond with a single valid JSON object and nothing else: no prose, no code fences."


def openai_request_to_anthropic(body: Json, *, default_max_tokens: int = DEFAULT_MAX_TOKENS) -> Json:
    """Translate an OpenAI ``/chat/completions`` body into an Anthropic ``/v1/messages`` body."""
    _refuse_unsupported(body)
    requested_n(body)
    system, messages = _messages(body.get("messages"))
    fmt = body.get("response_format")
    output_format = _structured_output(fmt)
    note = None if output_format is not None else _response_format_note(fmt)
    if note:
        system.append(note)
    out: Json = {"model": body.get("model"), "max_tokens": _max_tokens(body, default_max_tokens), "messages": messages}
    if output_format is not None:
        out["output_config"] = {"format": output_format}
    if system:
        out["system"] = "\n\n".join(system)
    if not thinking_into(body, out):  # Claude refuses sampling settings beside thinking
        _sampling(body, out)
    stop = body.get("stop")
    if stop:
        if not isinstance(stop, (str, list)) or not all(
            isinstance(s, str) for s in ([stop] if isinstance(stop, str) else stop)
        ):
            raise TranslationError("must be a string or a list of strings", "stop")
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    return _tools(body, out)


def _sampling(body: Json, out: Json) -> None:
    """``temperature`` (clamped to Claude's 0..1) and ``top_p`` into ``out``."""
    temperature = body.get("temperature")
    if temperature is not None:
        if not isinstance(temperature, (int, float)) or isinstance(temperature, bool):
            raise TranslationError("must be a number", "temperature")
        out["temperature"] = min(max(float(temperature), 0.0), 1.0)
    if body.get("top_p") is not None:
        out["top_p"] = body["top_p"]


def _tools(body: Json, out: Json) -> Json:
    """``out`` with the user id, tools and tool choice of ``body``."""
    user = next((v for v in (body.get("safety_identifier"), body.get("user")) if isinstance(v, str) and v), None)
    if user is not None:
        out["metadata"] = {"user_id": user}
    if body.get("tools"):
        out["tools"] = [_tool(tool, f"tools[{i}]") for i, tool in enumerate(expect_list(body["tools"], "tools"))]
        choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
        if choice is not None:
            out["tool_choice"] = choice
    return out


def requested_n(body: Json) -> int:
    """How many choices the app asked for (``n``, default 1); a TranslationError if out of range."""
    n = body.get("n")
    if n is None:
        return 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_N:
        raise TranslationError(f"must be an integer from 1 to {MAX_N}", "n")
    return n


_REFUSALS: dict[str, str] = {
    "logprobs": "token log probabilities are not available from Anthropic models; remove logprobs/top_logprobs",
    "top_logprobs": "token log probabilities are not available from Anthropic models; remove logprobs/top_logprobs",
    "audio": "audio output is not available from Anthropic models",
    "modalities": "audio output is not available from Anthropic models",
    "functions": "legacy 'functions' are not supported; use 'tools'",
    "function_call": "legacy 'function_call' is not supported; use 'tool_choice'",
}


def untranslatable_fields(body: Json) -> list[str]:
    """The request fields an Anthropic model cannot honour, in a fixed order (empty: translatable)."""
    used = [key for key in ("logprobs", "top_logprobs", "audio", "functions", "function_call") if body.get(key)]
    modalities = body.get("modalities")
    if isinstance(modalities, list) and "audio" in modalities:
        used.append("modalities")
    return used


def _refuse_unsupported(body: Json) -> None:
    used = untranslatable_fields(body)
    if used:
        raise TranslationError(_REFUSALS[used[0]], used[0])


def _max_tokens(body: Json, default: int) -> int:
    value = body.get("max_completion_tokens")
    key = "max_completion_tokens"
    if value is None:
        value, key = body.get("max_tokens"), "max_tokens"
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise TranslationError("must be a positive integer", key)
    return value


def _messages(raw: Any) -> tuple[list[str], list[Json]]:
    messages = expect_list(raw, "messages")
    system: list[str] = []
    turns: list[Json] = []
    for i, msg in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(msg, dict):
            raise TranslationError("each message must be an object", where)
        role = msg.get("role")
        if role in ("system", "developer"):
            text = _plain_text(msg.get("content"), f"{where}.content")
            if text:
                system.append(text)
            continue
        if role == "user":
            target, blocks = "user", _user_blocks(msg.get("content"), f"{where}.content")
        elif role == "assistant":
            target, blocks = "assistant", _assistant_blocks(msg, where)
        elif role == "tool":
            target, blocks = "user", [_tool_result(msg, where)]
        else:
            raise TranslationError(f"role {role!r} is not supported (system, developer, user, assistant, tool)", where)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == target:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": target, "content": blocks})
    if turns:
        _tidy(turns)
    if not turns:
        raise TranslationError("needs at least one non-empty user or assistant message", "messages")
    return system, turns


def _tidy(turns: list[Json]) -> None:
    """Tool results first in each user turn; no trailing whitespace on a final assistant prefill."""
    for turn in turns:
        if turn["role"] == "user":
            blocks = turn["content"]
            turn["content"] = [b for b in blocks if b["type"] == "tool_result"] + [
                b for b in blocks if b["type"] != "tool_result"
            ]
    last = turns[-1]
    if last["role"] == "assistant" and last["content"][-1]["type"] == "text":
        last["content"][-1]["text"] = last["content"][-1]["text"].rstrip()
        if not last["content"][-1]["text"]:
            last["content"].pop()
            if not last["content"]:
                turns.pop()


def _plain_text(content: Any, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = expect_list(content, where)
    texts = []
    for j, part in enumerate(parts):
        if not isinstance(part, dict) or part.get("type") not in ("text", "refusal"):
            raise TranslationError("only text parts are allowed here", f"{where}[{j}]")
        texts.append(str(part.get("text") or part.get("refusal") or ""))
    return "\n".join(t for t in texts if t)


def _text_block(text: str, part: Json | None = None) -> Json:
    block: Json = {"type": "text", "text": text}
    if part is not None and isinstance(part.get("cache_control"), dict):
        block["cache_control"] = part["cache_control"]
    return block


def _user_blocks(content: Any, where: str) -> list[Json]:
    if content is None or isinstance(content, str):
        return [_text_block(content)] if content else []
    blocks: list[Json] = []
    for j, part in enumerate(expect_list(content, where)):
        here = f"{where}[{j}]"
        ptype = part.get("type") if isinstance(part, dict) else None
        if ptype == "text":
            if part.get("text"):
                blocks.append(_text_block(str(part["text"]), part))
        elif ptype == "image_url":
            blocks.append(_image_block(part.get("image_url"), here))
        elif ptype == "file":
            blocks.append(_document_block(part.get("file"), here))
        else:
            raise TranslationError(f"content part type {ptype!r} is not supported (text, image_url, file)", here)
    return blocks


def _image_block(image_url: Any, where: str) -> Json:
    url = image_url.get("url") if isinstance(image_url, dict) else image_url
    if not isinstance(url, str):
        raise TranslationError("image_url.url must be a string", where)
    if url.startswith("data:"):
        media, data = parse_data_url(url, f"{where}.image_url.url")
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    if url.startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    raise TranslationError("image_url.url must be a data: URL or an http(s) URL", f"{where}.image_url.url")


def _document_block(file: Any, where: str) -> Json:
    data_url = file.get("file_data") if isinstance(file, dict) else None
    if not isinstance(data_url, str):
        raise TranslationError("only inline files (file.file_data) can be sent to Anthropic", where)
    media, data = parse_data_url(data_url, f"{where}.file.file_data")
    return {"type": "document", "source": {"type": "base64", "media_type": media, "data": data}}


def _assistant_blocks(msg: Json, where: str) -> list[Json]:
    if msg.get("function_call"):
        raise TranslationError("legacy 'function_call' is not supported; use 'tool_calls'", where)
    text = _plain_text(msg.get("content"), f"{where}.content")
    blocks = thinking_blocks(msg.get("thinking_blocks"), f"{where}.thinking_blocks")
    if text:
        blocks.append(_text_block(text))
    for k, call in enumerate(msg.get("tool_calls") or ()):
        here = f"{where}.tool_calls[{k}]"
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not fn.get("name") or not call.get("id"):
            raise TranslationError("a tool call needs an id and function.name", here)
        blocks.append(
            {
                "type": "tool_use",
                "id": call["id"],
                "name": fn["name"],
                "input": parse_arguments(fn.get("arguments"), f"{here}.function.arguments"),
            }
        )
    return blocks


def _tool_result(msg: Json, where: str) -> Json:
    call_id = msg.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise TranslationError("a tool message needs tool_call_id", where)
    block: Json = {"type": "tool_result", "tool_use_id": call_id}
    text = _plain_text(msg.get("content"), f"{where}.content")
    if text:
        block["content"] = text
    return block


def _tool(tool: Any, where: str) -> Json:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        raise TranslationError("only function tools can be sent to Anthropic", f"{where}.type")
    fn = tool.get("function")
    if not isinstance(fn, dict) or not fn.get("name"):
        raise TranslationError("a tool needs function.name", where)
    out: Json = {
        "name": fn["name"],
        "input_schema": fn.get("parameters") or {"type": "object", "properties": {}},
    }
    if fn.get("description"):
        out["description"] = fn["description"]
    return out


def _tool_choice(choice: Any, parallel: Any) -> Json | None:
    result: Json | None
    if choice is None:
        result = {"type": "auto"} if parallel is False else None
    elif choice in ("auto", "none"):
        result = {"type": choice}
    elif choice == "required":
        result = {"type": "any"}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict) and choice["function"].get("name"):
        result = {"type": "tool", "name": choice["function"]["name"]}
    else:
        raise TranslationError("must be auto, none, required or {type: function, function: {name}}", "tool_choice")
    if result is not None and parallel is False and result["type"] != "none":
        result["disable_parallel_tool_use"] = True
    return result


def _structured_output(fmt: Any) -> Json | None:
    """A strict ``json_schema`` response format → Claude's ``output_config.format``; else None."""
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return None
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict) or spec.get("strict") is not True:
        return None
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        raise TranslationError("a strict json_schema needs a schema object", "response_format.json_schema.schema")
    return {"type": "json_schema", "schema": claude_schema(schema)}


def _response_format_note(fmt: Any) -> str | None:
    if not isinstance(fmt, dict) or fmt.get("type") in (None, "text"):
        return None
    if fmt["type"] == "json_object":
        return _JSON_NOTE
    if fmt["type"] == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        if schema is None:
            return _JSON_NOTE
        return f"{_JSON_NOTE} It must conform to this JSON Schema: {orjson.dumps(schema).decode()}"
    raise TranslationError("must be text, json_object or json_schema", "response_format.type")
