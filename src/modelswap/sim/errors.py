"""A vendor-neutral failure; each API module renders it in its vendor's exact error shape."""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal[
    "invalid_request",  # 400: the request is malformed; the message names the field
    "authentication",  # 401: no or wrong API key
    "permission",  # 403
    "not_found",  # 404: unknown model or path
    "rate_limit",  # 429
    "api_error",  # 500 and other 5xx
    "overloaded",  # 503 / 529
]

_KIND_BY_STATUS: dict[int, ErrorKind] = {
    400: "invalid_request",
    401: "authentication",
    403: "permission",
    404: "not_found",
    429: "rate_limit",
    503: "overloaded",
    529: "overloaded",
}


class SimError(Exception):
    """An HTTP error the simulator answers with.

    ``message`` is used as is for request errors (the parser wrote it for its vendor);
    for faults and unknown models each vendor renders its own wording from ``kind``.
    """

    def __init__(
        self,
        status: int,
        kind: ErrorKind,
        message: str = "",
        *,
        param: str | None = None,
        code: str | None = None,
        model: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message or kind)
        self.status = status
        self.kind: ErrorKind = kind
        self.message = message
        self.param = param
        self.code = code
        self.model = model
        self.retry_after = retry_after

    @classmethod
    def bad_request(cls, message: str, *, param: str | None = None, code: str | None = None) -> SimError:
        """400 for a malformed request; ``message`` says what is wrong and where."""
        return cls(400, "invalid_request", message, param=param, code=code)

    @classmethod
    def not_found(cls, model: str) -> SimError:
        """404 for a model the simulator does not serve."""
        return cls(404, "not_found", param="model", code="model_not_found", model=model)

    @classmethod
    def for_status(cls, status: int, retry_after: float | None = None) -> SimError:
        """A fault with the given HTTP status (429 carries ``retry_after`` seconds)."""
        kind = _KIND_BY_STATUS.get(status, "api_error" if status >= 500 else "invalid_request")
        return cls(status, kind, retry_after=retry_after if status == 429 else None)
