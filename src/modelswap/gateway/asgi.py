"""The ASGI plumbing the gateway's handlers share: message types, reading a body, sending one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from modelswap.gateway.errors import ClientError

__all__ = ["ClientGone", "Receive", "Scope", "Send", "body_too_large", "read_body", "respond"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ClientGone(Exception):
    """The client disconnected before its request body arrived."""


def header_map(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (latin-1, as HTTP carries them; a repeated one: the last)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def body_too_large(limit: int, setting: str = "gateway.max_body_bytes") -> ClientError:
    """The 413 for a body past ``limit`` (the value of ``setting``)."""
    return ClientError(
        413,
        f"the request body is larger than the gateway's limit of {limit} bytes ({setting})",
        code="request_too_large",
    )


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, refusing more than ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise body_too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Send a whole response: ``body`` with its length (JSON unless ``headers`` say otherwise)."""
    head = headers or [(b"content-type", b"application/json")]
    head.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
