"""What the gateway's HTTP/1.1 server refuses, and the answers it refuses with.

Pure values and functions: the limits a connection lives under (``Limits``), the rule for a
request's ``Transfer-Encoding`` (RFC 9112 §6), and the bytes of a refusal, an error in the
shape the client's SDK reads (OpenAI's, or Anthropic's on ``/v1/messages``) with a close.
The protocol (``http_protocol``) applies them.
"""

from __future__ import annotations

import http
from dataclasses import dataclass

from modelswap.gateway.errors import ClientError
from modelswap.providers.base import Dialect

__all__ = [
    "HEAD_LIMIT",
    "HEAD_TOO_LARGE",
    "LINGER_S",
    "READ_HIGH_WATER",
    "Limits",
    "error_response",
    "status_line",
    "transfer_coding_problem",
]

READ_HIGH_WATER = 65_536
"""Request body bytes held unread before the protocol stops reading the socket."""
HEAD_LIMIT = 65_536
"""The most bytes a request line and its headers may take (a client sending more gets a 431)."""
LINGER_S = 1.0
"""After a refusal, how long the connection keeps reading (and dropping) what the client still
sends before it closes; closing with unread bytes would reset the connection and lose the answer."""
HEAD_TOO_LARGE = (
    431,
    "request header fields too large: the request line and headers exceed 64 KiB",
    "request_header_fields_too_large",
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-server limits on client connections (the ``gateway.*`` fields of the same names)."""

    header_timeout_s: float = 10.0
    """A request line and headers must arrive within this, from their first byte (else 408)."""
    body_timeout_s: float = 30.0
    """A request body may pause this long at most (else 408)."""
    max_connections: int = 1000
    """Connections open at once; the next one gets a 503 and is closed."""

    def check_period(self, keep_alive_s: float) -> float:
        """How often a connection's one timer looks at it: each timeout is noticed within one period."""
        return min(keep_alive_s, self.header_timeout_s, self.body_timeout_s)

    def refusal_room(self) -> int:
        """Refused connections that may be closing at once (each waits up to a second for the client to
        read its answer); past this, a connection over the limit is dropped unanswered, so a flood
        cannot run the process out of file descriptors."""
        return self.max_connections // 4 + 16


def status_line(status: int) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode()


def error_response(
    status: int, message: str, code: str, *, path: bytes | str = b"", retry_after_s: int | None = None
) -> bytes:
    """A whole response that ends the connection: the error in the client's vendor shape
    (Anthropic's for a ``/v1/messages`` path, else OpenAI's), ``connection: close``."""
    text_path = path.decode("latin-1") if isinstance(path, bytes) else path
    dialect: Dialect = "anthropic" if text_path.partition("?")[0].rstrip("/").endswith("/messages") else "openai"
    error = ClientError(status, message, code=code)
    body = error.body(dialect)
    head = status_line(status) + b"content-type: application/json\r\nconnection: close\r\n"
    head += b"x-should-retry: " + dict(error.headers())[b"x-should-retry"] + b"\r\n"
    if retry_after_s is not None:
        head += b"retry-after: %d\r\n" % retry_after_s
    return head + b"content-length: %d\r\n\r\n" % len(body) + body


def transfer_coding_problem(value: bytes, http_version: str) -> str | None:
    """What is wrong with a request's ``Transfer-Encoding`` (all its fields joined by commas), or ``None``.

    A server must not guess a body's length: anything but exactly ``chunked`` (case aside) is refused,
    ``identity, chunked`` and ``chunked, chunked`` included, and HTTP/1.0 requests may not use it at all."""
    shown = value.decode("ascii", "replace")[:100]
    if http_version == "1.0":
        return f"Transfer-Encoding ({shown!r}) is not allowed in an HTTP/1.0 request; send a Content-Length"
    if [coding.strip(b" \t").lower() for coding in value.split(b",")] != [b"chunked"]:
        return f"unsupported Transfer-Encoding {shown!r}: the gateway accepts only 'chunked' or a Content-Length"
    return None
