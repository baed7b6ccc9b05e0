"""Reading JSON out of model text: strictly (the whole text) or leniently (the first JSON value in it)."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)
_DECODER = json.JSONDecoder()


class NoJson(ValueError):
    """The text holds no JSON value (as asked for)."""


def load_json(text: str, *, extract: bool = False) -> Any:
    """The JSON value of ``text``; with ``extract``, the first one in a code fence or anywhere in prose."""
    try:
        return json.loads(text)
    except ValueError as exc:
        if not extract:
            raise NoJson(f"output is not JSON: {exc}") from None
    for match in _FENCE.finditer(text):
        try:
            return json.loads(match.group(1))
        except ValueError:
            continue
    value = first_json_value(text)
    if value is None:
        raise NoJson("output contains no JSON object or array")
    return value[0]


def first_json_value(text: str) -> tuple[Any] | None:
    """The first JSON object or array embedded in ``text`` (in a 1-tuple), or None."""
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = _DECODER.raw_decode(text, match.start())
        except ValueError:
            continue
        return (value,)
    return None


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: numbers compare by value, but booleans never equal numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def dumps(value: Any) -> str:
    """Compact, stable JSON text for messages and prompts."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
