"""Online quality: checks of live answers that need no expected answer (pure).

Today: an app that asked for JSON (``response_format`` ``json_object`` / ``json_schema``) must
get an answer that parses as JSON. Requests that asked for nothing checkable are not scored.
"""

from __future__ import annotations

import json
from typing import Any

MAX_TEXT = 1_000_000
"""Answers longer than this are not parsed (counted as not scored)."""


def _wants_json(request: Any) -> bool:
    if not isinstance(request, dict):
        return False
    fmt = request.get("response_format")
    return isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema")


def _answer_text(response: Any) -> str | None:
    if not isinstance(response, dict):
        return None
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            return str(message["content"])
    content = response.get("content")  # Anthropic Messages
    if isinstance(content, list):
        texts = [str(b["text"]) for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)]
        return "".join(texts) if texts else None
    return None


def live_check(request: Any, response: Any) -> bool | None:
    """True: the answer passes; False: it fails; None: nothing to check (or no body recorded)."""
    if not _wants_json(request):
        return None
    text = _answer_text(response)
    if text is None or len(text) > MAX_TEXT:
        return None
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
