"""Small validation helpers shared by both wire formats."""

from __future__ import annotations

from typing import Any

_JSON_TYPES: dict[type, str] = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def type_name(value: Any) -> str:
    """How a JSON value's type is named in error messages ('a string', 'an array', ...)."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def tool_params(schema: Any) -> tuple[str, ...]:
    """Parameter names of a JSON-schema object: required ones first, then the rest."""
    if not isinstance(schema, dict):
        return ()
    properties = schema.get("properties")
    names = list(properties) if isinstance(properties, dict) else []
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    return tuple(dict.fromkeys([*required, *names]))
