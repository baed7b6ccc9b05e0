"""What the HTTP/1.1 client raises: Python's own connection and timeout classes, refined.

Messages here may name hosts and ports (they are for the operator at a Python prompt);
``reason`` is the part safe to show anyone (``providers.errors.transport_error`` uses it).
"""

from __future__ import annotations

import os
import socket
import ssl

__all__ = ["BadResponse", "ConnectFailed", "ConnectTimeout", "Disconnected", "ReadTimeout", "TooLarge", "os_reason"]


class ConnectFailed(ConnectionError):
    """No connection could be opened (refused, unreachable, name not resolved, TLS failed)."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason if reason is not None else message


class ConnectTimeout(TimeoutError):
    """Opening the connection took longer than the connect limit."""

    def __init__(self, limit_s: float) -> None:
        super().__init__(f"could not connect within {limit_s:g}s")
        self.limit_s = limit_s


class ReadTimeout(TimeoutError):
    """No complete answer within the request's deadline (or, for streams, too long a silence)."""


class Disconnected(ConnectionError):
    """The server closed the connection before its answer was complete."""


class BadResponse(Exception):
    """The server's bytes are not a valid HTTP/1.1 response."""


class TooLarge(BadResponse):
    """The answer (head, body, decompressed body or one stream event) passed a ``Limits`` bound."""


def os_reason(exc: BaseException) -> str:
    """Why a connection could not be opened, in words that name no host, address or port."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or ""
        if "mismatch" in detail:
            detail = "the certificate does not name the host"
        return f"TLS certificate not accepted ({detail or exc.reason})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or type(exc).__name__})"
    if isinstance(exc, socket.gaierror):
        return f"host name not resolved ({exc.strerror})"
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno)
    return type(exc).__name__
