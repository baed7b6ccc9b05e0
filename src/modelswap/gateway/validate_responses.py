"""Checks on a Responses API request (``POST /v1/responses``), worded as OpenAI words them, with ``param`` set."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from modelswap.gateway.errors import ClientError
from modelswap.providers.base import Json

_TYPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    "model": (str, "a string"),
    "input": ((str, list), "a string or an array of input items"),
    "instructions": (str, "a string"),
    "stream": (bool, "a boolean"),
    "store": (bool, "a boolean"),
    "background": (bool, "a boolean"),
    "parallel_tool_calls": (bool, "a boolean"),
    "max_output_tokens": (int, "an integer"),
    "temperature": ((int, float), "a number"),
    "top_p": ((int, float), "a number"),
    "tools": (list, "an array of tool objects"),
    "tool_choice": ((str, dict), "a string or an object"),
    "text": (dict, "an object"),
    "reasoning": (dict, "an object"),
    "metadata": (dict, "an object"),
    "include": (list, "an array of strings"),
    "previous_response_id": (str, "a string"),
    "user": (str, "a string"),
    "safety_identifier": (str, "a string"),
}
_ITEM_TYPES = frozenset({"message", "function_call", "function_call_output", "reasoning", "item_reference"})
_ROLES = frozenset({"user", "assistant", "system", "developer"})
_FORMATS = frozenset({"text", "json_object", "json_schema"})
_JSON_NAMES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "a boolean"),
    ((int, float), "a number"),
    (str, "a string"),
    (list, "an array"),
    (dict, "an object"),
)
MIN_OUTPUT_TOKENS = 16
"""The Responses API refuses ``max_output_tokens`` below this."""


def json_type(value: Any) -> str:
    """What a JSON value is, in words ("a string", "null" ...)."""
    return next((name for kind, name in _JSON_NAMES if isinstance(value, kind)), "null")


def _bad(message: str, param: str, code: str = "invalid_value") -> ClientError:
    return ClientError(400, message, param=param, code=code)


def check_responses_body(body: Json, models: Collection[str]) -> None:
    """Reject a Responses body the API would reject, before any model is called."""
    for field, (kind, words) in _TYPES.items():
        value = body.get(field)
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            raise _bad(
                f"Invalid type for '{field}': expected {words}, but got {json_type(value)} instead.",
                field,
                "invalid_type",
            )
    if body.get("model") is None:
        raise _bad("Missing required parameter: 'model'.", "model", "missing_required_parameter")
    value = body.get("input")
    if value is None or value == [] or value == "":
        raise _bad(
            "Missing required parameter: 'input' (a string or a non-empty array of input items).",
            "input",
            "missing_required_parameter",
        )
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_item(item, f"input[{i}]")
    _check_numbers(body)
    for i, tool in enumerate(body.get("tools") or ()):
        _check_tool(tool, f"tools[{i}]")
    text = body.get("text")
    if text is not None:
        _check_format(text.get("format"))
    metadata = body.get("metadata")
    if metadata is not None and (
        len(metadata) > 16 or not all(isinstance(v, str) and len(v) <= 512 for v in metadata.values())
    ):
        raise _bad("Invalid 'metadata': at most 16 keys with string values of at most 512 characters.", "metadata")
    if body["model"] not in models:
        raise ClientError(
            404,
            f"The model '{body['model']}' is not served by this gateway; send one of: {', '.join(sorted(models))} "
            "(modelswap chooses which model answers)",
            param="model",
            code="model_not_found",
        )


def _check_numbers(body: Json) -> None:
    limit = body.get("max_output_tokens")
    if limit is not None and limit < MIN_OUTPUT_TOKENS:
        raise _bad(
            f"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= "
            f"{MIN_OUTPUT_TOKENS}, but got {limit} instead.",
            "max_output_tokens",
            "integer_below_min_value",
        )
    for field, high in (("temperature", 2), ("top_p", 1)):
        value = body.get(field)
        if value is not None and not 0 <= value <= high:
            raise _bad(f"Invalid '{field}': expected a number between 0 and {high}, but got {value} instead.", field)


def _check_item(item: Any, where: str) -> None:
    if not isinstance(item, dict):
        raise _bad(f"Invalid '{where}': expected an object, but got {json_type(item)} instead.", where, "invalid_type")
    kind = item.get("type", "message")
    if not isinstance(kind, str) or kind not in _ITEM_TYPES:
        raise _bad(
            f"Invalid value for '{where}.type': {kind!r} is not a supported input item type "
            f"({', '.join(sorted(_ITEM_TYPES))}).",
            f"{where}.type",
        )
    if kind == "message":
        if not isinstance(item.get("role"), str) or item["role"] not in _ROLES:
            raise _bad(
                f"Invalid value for '{where}.role': expected one of user, assistant, system, developer.",
                f"{where}.role",
            )
        if not isinstance(item.get("content"), str | list):
            raise _bad(
                f"Invalid '{where}.content': expected a string or an array of content parts.",
                f"{where}.content",
                "invalid_type",
            )
    elif kind in ("function_call", "function_call_output") and not isinstance(item.get("call_id"), str):
        raise _bad(f"Missing required parameter: '{where}.call_id'.", f"{where}.call_id", "missing_required_parameter")
    if kind == "function_call" and not (isinstance(item.get("name"), str) and isinstance(item.get("arguments"), str)):
        raise _bad(f"Invalid '{where}': a function_call item needs a string 'name' and 'arguments'.", where)
    if kind == "function_call_output" and not isinstance(item.get("output"), str | list):
        raise _bad(f"Missing required parameter: '{where}.output'.", f"{where}.output", "missing_required_parameter")


def _check_tool(tool: Any, where: str) -> None:
    if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
        raise _bad(f"Invalid '{where}': expected a tool object with a string 'type'.", where, "invalid_type")
    if tool["type"] == "function":
        if not isinstance(tool.get("name"), str) or not tool["name"]:
            raise _bad(f"Missing required parameter: '{where}.name'.", f"{where}.name", "missing_required_parameter")
        if tool.get("parameters") is not None and not isinstance(tool["parameters"], dict):
            raise _bad(f"Invalid '{where}.parameters': expected an object.", f"{where}.parameters", "invalid_type")


def _check_format(fmt: Any) -> None:
    if fmt is None:
        return
    if not isinstance(fmt, dict) or not isinstance(fmt.get("type"), str) or fmt["type"] not in _FORMATS:
        raise _bad(
            "Invalid 'text.format': expected an object whose type is text, json_object or json_schema.", "text.format"
        )
    if fmt["type"] == "json_schema":
        if not isinstance(fmt.get("name"), str) or not fmt["name"]:
            raise _bad(
                "Missing required parameter: 'text.format.name'.", "text.format.name", "missing_required_parameter"
            )
        if not isinstance(fmt.get("schema"), dict):
            raise _bad(
                "Missing required parameter: 'text.format.schema'.", "text.format.schema", "missing_required_parameter"
            )
