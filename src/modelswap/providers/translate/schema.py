"""JSON schemas as each vendor's structured output accepts them (pure).

OpenAI's strict mode takes keywords Claude's constrained decoding does not (``minimum``,
``maxLength``, ``pattern``, most ``format`` values, ``minItems`` above 1): sent as they are,
the request would be refused. Like the Anthropic SDK's own ``transform_schema``, keywords
Claude cannot enforce move into the ``description`` (so the model still reads them), objects
get ``additionalProperties: false``, and ``oneOf`` becomes ``anyOf``.

The other way, OpenAI's strict mode needs every object closed and every property listed in
``required`` (Claude's lets properties be optional): ``openai_strict_schema`` does both, so
an optional field becomes one the model always fills (with null when the schema allows it).
"""

from __future__ import annotations

from typing import Any

from modelswap.providers.base import Json
from modelswap.providers.translate.common import TranslationError

__all__ = ["claude_schema", "openai_strict_schema"]

MAX_DEPTH = 64
_FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"})
_KEPT = frozenset({"type", "description", "title", "enum", "const", "$ref", "required", "items", "properties"})


def claude_schema(schema: Json, where: str = "response_format.json_schema.schema") -> Json:
    """``schema`` rewritten for Claude's ``output_config.format``; TranslationError if it is not a schema."""
    return _node(schema, where, 0)


def _node(schema: Any, where: str, depth: int) -> Json:
    if not isinstance(schema, dict):
        raise TranslationError("a JSON schema must be an object", where)
    if depth > MAX_DEPTH:
        raise TranslationError(f"nested deeper than {MAX_DEPTH} levels", where)
    out: Json = {}
    rest = dict(schema)
    defs = rest.pop("$defs", None)
    if isinstance(defs, dict):
        out["$defs"] = {name: _node(d, f"{where}.$defs.{name}", depth + 1) for name, d in defs.items()}
    if "$ref" in rest:
        out["$ref"] = rest.pop("$ref")
        return out
    for key in ("anyOf", "oneOf", "allOf"):
        variants = rest.pop(key, None)
        if isinstance(variants, list) and "anyOf" not in out and "allOf" not in out:
            target = "allOf" if key == "allOf" else "anyOf"
            out[target] = [_node(v, f"{where}.{key}[{i}]", depth + 1) for i, v in enumerate(variants)]
    for key in ("type", "enum", "const", "title"):
        if key in rest:
            out[key] = rest.pop(key)
    kind = out.get("type")
    if kind == "object" or (kind is None and "properties" in rest):
        properties = rest.pop("properties", {})
        if not isinstance(properties, dict):
            raise TranslationError("properties must be an object", f"{where}.properties")
        out["properties"] = {k: _node(v, f"{where}.properties.{k}", depth + 1) for k, v in properties.items()}
        rest.pop("additionalProperties", None)
        out["additionalProperties"] = False
        if "required" in rest:
            out["required"] = rest.pop("required")
    elif kind == "array":
        if "items" in rest:
            out["items"] = _node(rest.pop("items"), f"{where}.items", depth + 1)
        if rest.get("minItems") in (0, 1):
            out["minItems"] = rest.pop("minItems")
    elif kind == "string" and rest.get("format") in _FORMATS:
        out["format"] = rest.pop("format")
    description = rest.pop("description", None)
    notes = ", ".join(f"{key}: {value}" for key, value in rest.items() if key not in _KEPT)
    text = "\n\n".join(
        t for t in (description if isinstance(description, str) else None, notes and f"{{{notes}}}") if t
    )
    if text:
        out["description"] = text
    return out


def openai_strict_schema(schema: Json, where: str = "output_config.format.schema") -> Json:
    """``schema`` with every object closed and all its properties required (OpenAI strict mode)."""
    strict: Json = _strict(schema, where, 0)
    return strict


def _strict(schema: Any, where: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise TranslationError(f"nested deeper than {MAX_DEPTH} levels", where)
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in ("properties", "$defs", "definitions"):  # maps of name → schema
        if isinstance(schema.get(key), dict):
            out[key] = {n: _strict(v, f"{where}.{key}.{n}", depth + 1) for n, v in schema[key].items()}
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):  # lists of schemas
        if isinstance(schema.get(key), list):
            out[key] = [_strict(v, f"{where}.{key}[{i}]", depth + 1) for i, v in enumerate(schema[key])]
    if isinstance(schema.get("items"), dict):
        out["items"] = _strict(schema["items"], f"{where}.items", depth + 1)
    properties = schema.get("properties")
    if schema.get("type") == "object" or isinstance(properties, dict):
        out["additionalProperties"] = False
        out["required"] = list(properties) if isinstance(properties, dict) else []
    return out
