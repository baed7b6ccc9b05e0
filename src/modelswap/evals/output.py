"""A model's answer, normalised for scoring: text, tool calls, and what it cost."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

Json = dict[str, Any]

UNPARSED = "__unparsed_arguments__"
"""Key under which tool-call arguments that are not a JSON object are kept, verbatim."""


class ToolCall(NamedTuple):
    """One tool call: the function's name and its arguments, parsed."""

    name: str
    arguments: Json


def parse_arguments(raw: Any) -> Json:
    """Tool-call arguments as a dict; text that is not a JSON object is kept under ``UNPARSED``."""
    if isinstance(raw, dict):
        return raw
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {UNPARSED: raw}
    return value if isinstance(value, dict) else {UNPARSED: raw}


@dataclass(frozen=True)
class Output:
    """What a model answered to one case (or ``error`` when it did not answer)."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    raw: Json | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    error: str | None = None

    @classmethod
    def from_openai(cls, body: Json, *, latency_ms: float | None = None, cost_usd: float | None = None) -> Output:
        """Normalise an OpenAI chat-completions response body (its first choice)."""
        choices = body.get("choices") or [{}]
        message = choices[0].get("message") or {}
        text = _openai_text(message.get("content"))
        calls = [
            ToolCall(str(fn.get("name", "")), parse_arguments(fn.get("arguments")))
            for call in message.get("tool_calls") or []
            for fn in [call.get("function") or {}]
        ]
        legacy = message.get("function_call")
        if isinstance(legacy, dict):
            calls.append(ToolCall(str(legacy.get("name", "")), parse_arguments(legacy.get("arguments"))))
        return cls(text, tuple(calls), body, latency_ms, cost_usd)

    @classmethod
    def from_anthropic(cls, body: Json, *, latency_ms: float | None = None, cost_usd: float | None = None) -> Output:
        """Normalise an Anthropic Messages response body."""
        blocks = body.get("content") or []
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        calls = tuple(
            ToolCall(str(b.get("name", "")), parse_arguments(b.get("input")))
            for b in blocks
            if b.get("type") == "tool_use"
        )
        return cls(text, calls, body, latency_ms, cost_usd)

    @classmethod
    def from_response(
        cls, body: Json, dialect: str = "openai", *, latency_ms: float | None = None, cost_usd: float | None = None
    ) -> Output:
        """Normalise a response body in ``dialect`` (``openai`` or ``anthropic``)."""
        reader = cls.from_anthropic if dialect == "anthropic" else cls.from_openai
        return reader(body, latency_ms=latency_ms, cost_usd=cost_usd)

    @classmethod
    def from_error(cls, error: str | BaseException, *, latency_ms: float | None = None) -> Output:
        """An answer that never came: the call failed with ``error``."""
        message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        return cls(latency_ms=latency_ms, error=message)

    def to_dict(self) -> Json:
        """A JSON-able form for storage (without the raw body)."""
        return {
            "text": self.text,
            "tool_calls": [{"name": c.name, "arguments": c.arguments} for c in self.tool_calls],
            "latency_ms": self.latency_ms,
            "cost_usd": self.cost_usd,
            "error": self.error,
        }


def _openai_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""
