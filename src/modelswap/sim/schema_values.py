"""A JSON value that matches a JSON schema, drawn from a seeded generator (pure).

Covers what structured-output APIs accept (OpenAI strict mode, Claude's structured
outputs): objects with properties/required, arrays with item counts, strings with
enum/const/format/length, numbers with bounds, booleans, null, ``anyOf``/``oneOf``/``allOf``
and local ``$ref`` into ``$defs``/``definitions``. Depth is bounded so a recursive schema ends.
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["example_value"]

_MAX_DEPTH = 8
_MAX_ITEMS = 64
_MAX_CHARS = 4096
_WORDS = ("alpha", "blue", "order", "ready", "north", "quick", "river", "stone", "sunny", "delta")
_FORMATS = {
    "date-time": "2026-01-15T09:30:00Z",
    "date": "2026-01-15",
    "time": "09:30:00",
    "email": "user@example.com",
    "uri": "https://example.com/item",
    "uuid": "3f2b8c9e-1d4a-4c6b-9e7f-0a1b2c3d4e5f",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}


def example_value(schema: Any, rng: random.Random) -> Any:
    """A value valid under ``schema`` (an empty or unknown schema gets a short string)."""
    root = schema if isinstance(schema, dict) else {}
    return _value(root, rng, root, 0)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#"):
        return schema
    node: Any = root
    for part in ref.lstrip("#").strip("/").split("/"):
        if not part:
            continue
        node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _value(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        options = [o for o in _list_field(schema, key) if isinstance(o, dict)]
        if options:
            concrete = (
                [o for o in options if _resolve(o, root).get("type") != "null"] if depth >= _MAX_DEPTH else options
            )
            return _value(rng.choice(concrete or options), rng, root, depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            if isinstance(part, dict):
                merged.update(_resolve(part, root))
        return _value({**merged, **{k: v for k, v in schema.items() if k != "allOf"}}, rng, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"] or kind
        kind = kinds[0] if kinds else None
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    return _TYPED.get(str(kind), _string)(schema, rng, root, depth)


def _int_field(schema: dict[str, Any], name: str, default: int) -> int:
    value = schema.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _list_field(schema: dict[str, Any], name: str) -> list[Any]:
    value = schema.get(name)
    return value if isinstance(value, list) else []


def _dict_field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    value = schema.get(name)
    return value if isinstance(value, dict) else {}


def _object(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    properties = _dict_field(schema, "properties")
    required = [r for r in _list_field(schema, "required") if isinstance(r, str)]
    names = list(properties) if depth < _MAX_DEPTH else [n for n in properties if n in required]
    out = {
        name: _value(properties[name] if isinstance(properties[name], dict) else {}, rng, root, depth + 1)
        for name in names
    }
    for name in required:
        out.setdefault(name, "")
    return out


def _array(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    items = _dict_field(schema, "items")
    low = min(max(_int_field(schema, "minItems", 0), 0), _MAX_ITEMS)  # a hostile minimum is not honoured
    high = _int_field(schema, "maxItems", max(low, 2))
    count = low if depth >= _MAX_DEPTH else rng.randint(max(low, min(1, high)), max(low, min(high, low + 2)))
    return [_value(items, rng, root, depth + 1) for _ in range(count)]


def _string(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    text = " ".join(rng.sample(_WORDS, k=2))
    text = text.ljust(min(_int_field(schema, "minLength", 0), _MAX_CHARS), "x")
    return text[: _int_field(schema, "maxLength", len(text))]


def _number(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    high = schema.get("maximum", schema.get("exclusiveMaximum", low + 100 if isinstance(low, (int, float)) else 100))
    low, high = (low, high) if isinstance(low, (int, float)) and isinstance(high, (int, float)) else (0, 100)
    if schema.get("type") == "integer":
        lo, hi = int(low) + ("exclusiveMinimum" in schema), int(high) - ("exclusiveMaximum" in schema)
        return rng.randint(lo, max(lo, hi))
    return round(rng.uniform(float(low), float(high)), 2)


def _boolean(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    return rng.random() < 0.5


def _null(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    return None


_TYPED = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": _number,
    "number": _number,
    "boolean": _boolean,
    "null": _null,
}
