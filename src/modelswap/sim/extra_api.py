"""Endpoints the gateway passes through untouched, served so that passing through is testable:
OpenAI's ``POST /v1/embeddings`` and Anthropic's ``POST /v1/messages/count_tokens``.

Embeddings are deterministic unit vectors drawn from each input's hash (the same text always
gets the same vector); token counts use the simulator's one approximation (``count_tokens``).
Errors come in each vendor's own shape, as the real APIs send them.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any

import orjson
from aiohttp import web

from modelswap.sim.conversation import count_tokens

EMBEDDING_DIMENSIONS = 1536
MAX_EMBEDDING_INPUTS = 2048
REQUEST_ID_HEADER = {"openai": "x-request-id", "anthropic": "request-id"}


def _request_id(vendor: str, body: bytes) -> dict[str, str]:
    digest = hashlib.sha256(body).hexdigest()[:24]
    return {REQUEST_ID_HEADER[vendor]: ("req_" if vendor == "openai" else "req_sim") + digest}


async def _read(request: web.Request) -> tuple[bytes, dict[str, Any] | None]:
    """The raw body and its JSON object (``None`` when it is not one)."""
    raw = await request.read()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw, None
    return raw, body if isinstance(body, dict) else None


def _openai_error(status: int, message: str, param: str | None = None) -> web.Response:
    doc = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}
    return web.Response(status=status, body=orjson.dumps(doc), content_type="application/json")


def _anthropic_error(status: int, message: str) -> web.Response:
    doc = {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    return web.Response(status=status, body=orjson.dumps(doc), content_type="application/json")


def embedding_of(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """A deterministic unit vector for ``text``."""
    seed, raw = text.encode(), b""
    while len(raw) < dimensions * 4:
        seed = hashlib.sha256(seed).digest()
        raw += seed
    values = [v / 2**31 - 1.0 for v in struct.unpack(f"<{dimensions}I", raw[: dimensions * 4])]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    return [v / norm for v in values]


def _inputs(value: Any) -> list[str] | None:
    """The texts of an embeddings ``input`` (a string, or an array of strings); token arrays are
    decoded as their numbers' text (the simulator has no tokenizer)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return [" ".join(map(str, value))]
    if isinstance(value, list) and value and all(isinstance(v, str | list) for v in value):
        return [v if isinstance(v, str) else " ".join(map(str, v)) for v in value]
    return None


async def embeddings(request: web.Request) -> web.Response:
    """``POST /v1/embeddings``: ``{"object": "list", "data": [{"embedding": [...]}], "usage"}``."""
    raw, body = await _read(request)
    if body is None:
        return _openai_error(400, "We could not parse the JSON body of your request.")
    if not isinstance(body.get("model"), str):
        return _openai_error(400, "you must provide a model parameter", "model")
    texts = _inputs(body.get("input"))
    if texts is None or any(t == "" for t in texts):
        return _openai_error(400, "'input' must be a non-empty string or array of strings", "input")
    if len(texts) > MAX_EMBEDDING_INPUTS:
        return _openai_error(400, f"'input' must have at most {MAX_EMBEDDING_INPUTS} items", "input")
    dimensions = body.get("dimensions", EMBEDDING_DIMENSIONS)
    if not isinstance(dimensions, int) or isinstance(dimensions, bool) or not 1 <= dimensions <= 3072:
        return _openai_error(400, "'dimensions' must be an integer between 1 and 3072", "dimensions")
    base64_out = body.get("encoding_format") == "base64"
    data = []
    for i, text in enumerate(texts):
        vector = embedding_of(text, dimensions)
        out: Any = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode() if base64_out else vector
        data.append({"object": "embedding", "index": i, "embedding": out})
    tokens = sum(count_tokens(t) for t in texts)
    doc = {
        "object": "list",
        "data": data,
        "model": body["model"],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return web.Response(body=orjson.dumps(doc), content_type="application/json", headers=_request_id("openai", raw))


def _text_of(value: Any) -> str:
    """Every string inside a message content, system prompt or tool list, joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(_text_of(v) for v in value)
    if isinstance(value, dict):
        return " ".join(_text_of(v) for v in value.values())
    return ""


async def count_message_tokens(request: web.Request) -> web.Response:
    """``POST /v1/messages/count_tokens``: ``{"input_tokens": n}`` for a Messages request."""
    raw, body = await _read(request)
    if body is None:
        return _anthropic_error(400, "The request body is not valid JSON.")
    if not isinstance(body.get("model"), str):
        return _anthropic_error(400, "model: Field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _anthropic_error(400, "messages: Field required")
    text = _text_of([body.get("system"), messages, body.get("tools")])
    doc = {"input_tokens": count_tokens(text) + 4 * len(messages)}
    return web.Response(body=orjson.dumps(doc), content_type="application/json", headers=_request_id("anthropic", raw))


def add_routes(app: web.Application) -> None:
    """Serve the pass-through endpoints on the simulator's app."""
    app.router.add_post("/v1/embeddings", embeddings)
    app.router.add_post("/v1/messages/count_tokens", count_message_tokens)
