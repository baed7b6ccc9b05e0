"""Checks on an incoming request body, worded so the app's developer knows what to change."""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Collection
from typing import Any

import orjson

from modelswap.gateway.errors import ClientError
from modelswap.providers.base import Dialect, Json

_TYPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    "model": (str, "a string"),
    "messages": (list, "an array of message objects"),
    "stream": (bool, "a boolean"),
    "max_tokens": (int, "an integer"),
    "max_completion_tokens": (int, "an integer"),
    "temperature": ((int, float), "a number"),
    "top_p": ((int, float), "a number"),
    "tools": (list, "an array of tool objects"),
    "user": (str, "a string"),
    "metadata": (dict, "an object"),
    "stream_options": (dict, "an object"),
    "system": ((str, list), "a string or an array of text blocks"),
}


MAX_DEPTH = 128
"""Default for ``gateway.max_body_depth``: objects and arrays nested deeper than this are refused."""


def parse_body(raw: bytes, max_depth: int = MAX_DEPTH) -> Json:
    """The JSON object in ``raw``; a 400 naming the problem otherwise (also when it nests
    objects and arrays more than ``max_depth`` levels deep: such a body would break whatever
    walks it next, from the upstream encoder to the recorder)."""
    if not raw:
        raise ClientError(400, "the request body is empty; send a JSON object with model and messages")
    try:
        body = _loads_large(raw, max_depth) if len(raw) > LARGE_BODY_BYTES else orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):  # orjson's own limit (1024) is far above ours
            raise _too_deep(max_depth) from None
        raise ClientError(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ClientError(400, f"the request body must be a JSON object, got {_json_type(body)}")
    # A body cannot nest deeper than it has opening brackets: two C-speed counts clear almost every
    # body (~1.5 µs for 2 KB), and only one with many brackets (in strings too) pays for the exact check.
    if raw.count(b"{") + raw.count(b"[") > max_depth and depth_exceeds(body, max_depth):
        raise _too_deep(max_depth)
    return body


LARGE_BODY_BYTES = 1 << 20
"""Bodies above this (an image or a PDF inline) are parsed by the standard library: its peak memory is
twice the body, orjson's about thirteen times (measured in bench/large_body.py)."""
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _loads_large(raw: bytes, max_depth: int) -> Any:
    """A large body parsed with little memory, accepting exactly what orjson accepts: bodies that
    could nest too deep, or escape surrogates, go to orjson (whose rules the rest of the path uses)."""
    if raw.count(b"{") + raw.count(b"[") > max_depth or _SURROGATE_ESCAPE.search(raw):
        return orjson.loads(raw)
    try:
        return json.loads(raw.decode(), parse_constant=_refuse_constant, parse_int=_int_as_orjson, parse_float=_finite)
    except (ValueError, RecursionError):  # refused (or a BOM, UTF-16...): worded by orjson, as every other body
        return orjson.loads(raw)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _int_as_orjson(text: str) -> int | float:
    """An integer as orjson reads it: exact within 64 bits (signed or unsigned), a float beyond."""
    value = int(text)
    return value if -(1 << 63) <= value < (1 << 64) else float(text)


def _finite(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):
        raise ValueError("number is infinity when parsed as double")
    return value


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests objects/arrays more than ``limit`` levels (the top object is level 1).

    At C speed: orjson's encoder refuses data nested deeper than ``_ENCODER_DEPTH``, so ``value``
    wrapped in ``_ENCODER_DEPTH - limit`` arrays encodes exactly when it is at most ``limit`` deep.
    Otherwise (a value orjson cannot encode for another reason) an iterative walk decides."""
    if not isinstance(value, dict | list):
        return False
    if 0 <= limit < _ENCODER_DEPTH:
        outer, inner = _padding(_ENCODER_DEPTH - limit)
        inner[0] = value
        try:
            orjson.dumps(outer)
        except TypeError as exc:
            if "Recursion limit" in str(exc):
                return True
        else:
            return False
        finally:
            inner[0] = None
    return _walk_exceeds(value, limit)


_pads = threading.local()


def _padding(levels: int) -> tuple[Any, list[Any]]:
    """``levels`` (≥ 1) arrays nested in one another (the outermost, and the innermost whose one slot
    takes the value); built once per thread and size, since building 126 lists per request costs µs."""
    cache: dict[int, tuple[Any, list[Any]]] | None = getattr(_pads, "by_levels", None)
    if cache is None:
        cache = _pads.by_levels = {}
    found = cache.get(levels)
    if found is None:
        inner: list[Any] = [None]
        outer: Any = inner
        for _ in range(levels - 1):
            outer = [outer]
        found = cache[levels] = (outer, inner)
    return found


def _walk_exceeds(value: Any, limit: int) -> bool:
    """``depth_exceeds`` by an iterative walk (no depth exhausts the stack), stopping at the first path too deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, level + 1))
    return False


def _encoder_depth() -> int:
    """The deepest nesting ``orjson.dumps`` encodes (254 in orjson 3), found once by bisection."""
    low, high = 0, 4096  # low encodes; high is assumed not to
    while high - low > 1:
        mid = (low + high) // 2
        nested: Any = 0
        for _ in range(mid):
            nested = [nested]
        try:
            orjson.dumps(nested)
        except TypeError:
            high = mid
        else:
            low = mid
    return low


_ENCODER_DEPTH = _encoder_depth()


def _too_deep(max_depth: int) -> ClientError:
    return ClientError(
        400,
        f"the request body nests objects or arrays more than {max_depth} levels deep; "
        "flatten it (no chat request needs that depth)",
        code="body_too_deep",
    )


def check_body(body: Json, dialect: Dialect, models: Collection[str]) -> None:
    """Reject a body the target API would reject, before any model is called."""
    if dialect == "responses":
        from modelswap.gateway.validate_responses import check_responses_body

        check_responses_body(body, models)
        return
    for field, (kind, words) in _TYPES.items():
        value = body.get(field)
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            raise ClientError(400, f"'{field}' must be {words}, got {_json_type(value)}", param=field)
    if body.get("model") is None:
        raise ClientError(400, "'model' is required", param="model")
    if not body.get("messages"):
        raise ClientError(400, "'messages' is required and must not be empty", param="messages")
    for i, message in enumerate(body["messages"]):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ClientError(400, f"messages[{i}] must be an object with a string 'role'", param=f"messages[{i}]")
    if dialect == "anthropic" and "max_tokens" not in body:
        raise ClientError(400, "'max_tokens' is required by the Messages API", param="max_tokens")
    if body["model"] not in models:
        served = ", ".join(sorted(models))
        raise ClientError(
            404,
            f"the model '{body['model']}' is not served by this gateway; send one of: {served} "
            "(modelswap chooses which model answers)",
            param="model",
            code="model_not_found",
        )


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"
