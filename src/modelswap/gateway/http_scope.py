"""The ASGI ``scope`` of one parsed HTTP request: its target split into path and query, the
path percent-decoded, and the connection's addresses. Pure: the protocol passes what the parser
and the transport told it."""

from __future__ import annotations

import urllib.parse
from typing import Any

import httptools


def split_target(url: bytes) -> tuple[bytes, bytes]:
    """(raw path, query) of a request target: origin form (``/path?q``), absolute form
    (``http://host/path``) or ``*``; a fragment is dropped."""
    if url.startswith(b"/"):
        raw_path, _, query = url.partition(b"?")
        return raw_path.partition(b"#")[0], query
    parsed = httptools.parse_url(url)
    return parsed.path or b"/", parsed.query or b""


def request_scope(
    url: bytes,
    method: bytes,
    http_version: str,
    headers: list[tuple[bytes, bytes]],
    *,
    server: tuple[str, int] | None,
    client: tuple[str, int] | None,
    scheme: str,
    root_path: str,
    state: dict[str, Any],
) -> dict[str, Any]:
    """The ASGI 3 HTTP scope of one request (``state``: the lifespan's, copied by the caller)."""
    raw_path, query = split_target(url)
    path = raw_path.decode("ascii", "replace")
    if "%" in path:
        path = urllib.parse.unquote(path)
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": http_version,
        "server": server,
        "client": client,
        "scheme": scheme,
        "method": method.decode("ascii"),
        "root_path": root_path,
        "path": root_path + path if root_path else path,
        "raw_path": raw_path,
        "query_string": query,
        "headers": headers,
        "state": state,
    }


def address_of(info: Any) -> tuple[str, int] | None:
    """(host, port) of a socket address the transport reports; ``None`` for a Unix socket's."""
    if isinstance(info, tuple | list) and len(info) >= 2:
        return str(info[0]), int(info[1])
    return None
