"""What the HTTP/1.1 client raises: Python's own connection and timeout errors, refined."""

from __future__ import annotations

__all__ = ["BadResponse", "ConnectFailed", "ConnectTimeout", "Disconnected", "ReadTimeout", "StaleConnection"]


class ConnectFailed(ConnectionError):
    """No connection could be opened (refused, unreachable, name not resolved, TLS failed)."""


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


class StaleConnection(Exception):
    """A reused keep-alive connection was closed by the server before it answered: retry once."""
