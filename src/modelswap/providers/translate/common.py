"""Shared pieces of the OpenAI ⇄ Anthropic translation: errors, stop reasons, usage, arguments."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from modelswap.providers.base import Json

__all__ = [
    "ANTHROPIC_STOP_TO_OPENAI",
    "OPENAI_FINISH_TO_ANTHROPIC",
    "TranslationError",
    "anthropic_usage_to_openai",
    "dump_arguments",
    "expect_list",
    "openai_usage_to_anthropic",
    "parse_arguments",
    "parse_data_url",
]

ANTHROPIC_STOP_TO_OPENAI: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

OPENAI_FINISH_TO_ANTHROPIC: dict[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}

_DATA_URL = re.compile(r"data:(?P<media>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^;,]*)*?);base64,(?P<data>.*)", re.S)


class TranslationError(ValueError):
    """A request or response cannot be expressed in the other dialect; ``where`` names the field."""

    def __init__(self, message: str, where: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.where = where


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def anthropic_usage_to_openai(usage: Json | None) -> Json:
    """Anthropic usage → OpenAI usage: prompt tokens count cache reads and writes too."""
    usage = usage or {}
    cached = _int(usage.get("cache_read_input_tokens"))
    prompt = _int(usage.get("input_tokens")) + cached + _int(usage.get("cache_creation_input_tokens"))
    completion = _int(usage.get("output_tokens"))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


def openai_usage_to_anthropic(usage: Json | None) -> Json:
    """OpenAI usage → Anthropic usage: cached prompt tokens move to ``cache_read_input_tokens``."""
    usage = usage or {}
    details = usage.get("prompt_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    return {
        "input_tokens": max(_int(usage.get("prompt_tokens")) - cached, 0),
        "output_tokens": _int(usage.get("completion_tokens")),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cached,
    }


def parse_arguments(arguments: Any, where: str) -> Json:
    """A tool call's ``arguments`` JSON string → the object Anthropic wants as ``input``."""
    if isinstance(arguments, dict):
        return arguments
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        return {}
    if not isinstance(arguments, str):
        raise TranslationError("tool call arguments must be a JSON string", where)
    try:
        value = json.loads(arguments)  # the stdlib keeps integers beyond 64 bits exact; orjson would not
    except ValueError:
        raise TranslationError(f"tool call arguments are not valid JSON: {arguments[:200]!r}", where) from None
    if not isinstance(value, dict):
        raise TranslationError("tool call arguments must be a JSON object", where)
    return value


def dump_arguments(tool_input: Any) -> str:
    """A ``tool_use`` block's ``input`` object → OpenAI's ``arguments`` JSON string."""
    value = tool_input if tool_input is not None else {}
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # e.g. an integer beyond 64 bits, which the stdlib encodes exactly
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parse_data_url(url: str, where: str) -> tuple[str, str]:
    """``data:<media>;base64,<data>`` → (media type, base64 data)."""
    match = _DATA_URL.fullmatch(url)
    if match is None:
        raise TranslationError("only base64 data: URLs can be converted (data:<type>;base64,...)", where)
    return match["media"] or "application/octet-stream", match["data"]


def expect_list(value: Any, where: str) -> list[Any]:
    """``value`` if it is a list, else a TranslationError naming the field."""
    if not isinstance(value, list):
        raise TranslationError(f"expected a list, got {type(value).__name__}", where)
    return value
