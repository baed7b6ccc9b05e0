"""The text and tool calls of a recorded answer, read from the stored response body (OpenAI chat
completion shape, or Anthropic Messages), as reviewers see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PLACEHOLDERS = ("[secret]", "[email]", "[card]", "[phone]", "[iban]", "[nested too deep]")
"""What the gateway's redaction (``gateway/redact``) leaves in place of a secret or personal datum."""


@dataclass(frozen=True)
class Answer:
    """One model's answer as shown for review."""

    text: str
    tool_calls: tuple[dict[str, Any], ...]
    redacted: bool
    """Part of the text was redacted before it was stored; reviewers see the redacted text."""


def answer_of(body: Any) -> Answer | None:
    """The answer in a stored response body, or None when no body was recorded."""
    if not isinstance(body, dict):
        return None
    text, calls = "", []
    choices = body.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message") or {}
        if isinstance(message, dict):
            content = message.get("content")
            text = content if isinstance(content, str) else ""
            raw = message.get("tool_calls")
            calls = [c for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []
    elif isinstance(body.get("content"), list):  # Anthropic Messages
        for block in body["content"]:
            if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
                text += block["text"]
            elif isinstance(block, dict) and block.get("type") == "tool_use":
                calls.append({"name": block.get("name", ""), "arguments": block.get("input")})
    else:
        return None
    shown = text + "".join(str(c) for c in calls)
    redacted = any(mark in shown for mark in PLACEHOLDERS)
    return Answer(text, tuple(calls), redacted)


def question_of(body: Any) -> str:
    """The last user message of a stored request body ("" when none was recorded)."""
    if not isinstance(body, dict):
        return ""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return str(content or "")
    return ""
