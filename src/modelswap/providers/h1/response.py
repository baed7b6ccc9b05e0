"""One HTTP response as it arrives: status and headers first, then the body whole or in chunks.

Every byte held is bounded (``Limits``): a body read whole, and a decompressed body, stop at
``max_body_bytes`` as they arrive (decompression is asked for at most what is left of the
allowance, so a gzip bomb never inflates past it).
"""

from __future__ import annotations

import asyncio
import sys
import zlib
from collections.abc import AsyncIterator
from typing import Any, Protocol

from modelswap.providers.h1.errors import BadResponse, TooLarge
from modelswap.providers.h1.limits import size_text

__all__ = ["Headers", "Response", "ResponseConnection"]

_HIGH_WATER = 1 << 20  # stop reading a stream when this much is buffered and unread
_UNBOUNDED = sys.maxsize


class Headers(dict[str, str]):
    """Response headers under lower-case names; lookups ignore case (repeated names are joined)."""

    def get(self, key: str, default: Any = None) -> Any:
        return dict.get(self, key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())


class ResponseConnection(Protocol):
    """What a response drives on the connection it arrives on (``connection.Connection``)."""

    loop: asyncio.AbstractEventLoop
    flow: bool  # pause reading when the reader falls behind
    streaming: bool
    progress_on_body: bool  # a stream's silence clock restarts on body bytes
    last_read: float

    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def close(self) -> None: ...
    def give_back(self, resp: Response, *, reusable: bool) -> None: ...


class Response:
    """One answer: ``status`` and ``headers`` at once, the body through ``read`` or ``iter_any``."""

    __slots__ = (
        "_buffered",
        "_chunks",
        "_complete",
        "_conn",
        "_decoder",
        "_error",
        "_headers",
        "_limit",
        "_max_body",
        "_raw_headers",
        "_size",
        "_started",
        "_waiter",
        "status",
    )

    def __init__(self, conn: ResponseConnection, max_body: int, *, streaming: bool) -> None:
        self.status = 0
        self._conn = conn
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._headers: Headers | None = None
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._size = 0  # body bytes so far, after decompression
        self._max_body = max_body
        self._limit = _UNBOUNDED if streaming else max_body  # a stream's body is relayed, not held
        self._complete = False
        self._started = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._decoder: Any = None

    @property
    def headers(self) -> Headers:
        """The response headers (case-insensitive lookups)."""
        if self._headers is None:
            headers = Headers()
            repeated: dict[str, list[str]] = {}
            for raw_name, raw_value in self._raw_headers:
                name = raw_name.decode("latin-1").lower()
                value = raw_value.decode("latin-1")
                if name in headers:  # joined once at the end: repeats cost linear time, not quadratic
                    repeated.setdefault(name, [headers[name]]).append(value)
                else:
                    headers[name] = value
            for name, values in repeated.items():
                headers[name] = ", ".join(values)
            self._headers = headers
        return self._headers

    async def read(self) -> bytes:
        """The whole body (decoded when the server compressed it), at most ``max_body_bytes``."""
        if self._limit > self._max_body:  # a stream read whole (an error body) is held: bound it
            self._limit = self._max_body
            if self._size > self._limit:
                self._too_large()
        conn = self._conn
        conn.flow = False
        conn.progress_on_body = conn.streaming  # read whole, a stream's silence is counted in bytes again
        conn.resume()
        while not self._complete:
            if self._error is not None:
                raise self._error
            await self._wait()
        if self._error is not None:
            raise self._error
        chunks = self._chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        return data

    async def iter_any(self) -> AsyncIterator[bytes]:
        """The body as it arrives: everything buffered since the last step, one ``bytes`` a step."""
        while True:
            chunks = self._chunks
            if chunks:
                data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                chunks.clear()
                self._buffered = 0
                self._conn.resume()
                yield data
                continue
            if self._error is not None:
                raise self._error
            if self._complete:
                return
            await self._wait()

    def progress_by_events(self) -> None:
        """From now on a stream's silence is measured by ``progressed()`` calls, not by body bytes,
        so a server that sends only comments or keep-alives still times out."""
        self._conn.progress_on_body = False
        self._conn.last_read = self._conn.loop.time()

    def progressed(self) -> None:
        """The reader saw real progress (an event): restart the stream's silence clock."""
        self._conn.last_read = self._conn.loop.time()

    async def _wait(self) -> None:
        waiter = self._waiter = self._conn.loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        if self._error is None and not self._complete:
            self._error = exc
        self._wake()

    def _too_large(self) -> None:
        self._chunks.clear()
        self._fail(TooLarge(f"the body is larger than the {size_text(self._limit)} limit"))
        self._conn.close()

    def _on_body(self, data: bytes) -> None:
        if self._error is not None or self._complete:
            return
        decoder = self._decoder
        if decoder is not None:
            room = self._limit - self._size
            try:  # never more than the allowance at once: a bomb stops here, not after inflating
                data = decoder.decompress(data, room + 1)
            except zlib.error as exc:
                self._fail(BadResponse(f"compressed body does not decode: {exc}"))
                self._conn.close()
                return
        if data:
            self._size += len(data)
            if self._size > self._limit:
                self._too_large()
                return
            self._chunks.append(data)
            self._buffered += len(data)
            if self._buffered > _HIGH_WATER and self._conn.flow:
                self._conn.pause()
            self._wake()

    def _on_complete(self) -> None:
        if self._error is not None:
            return
        decoder = self._decoder
        if decoder is not None:
            rest = decoder.flush(self._limit - self._size + 1)
            if rest:
                self._size += len(rest)
                if self._size > self._limit:
                    self._too_large()
                    return
                self._chunks.append(rest)
            if not decoder.eof:
                self._fail(BadResponse("compressed body ends before its compressed stream does"))
                return
        self._complete = True
        self._wake()

    def _on_headers(self, status: int) -> None:
        self.status = status
        for name, value in self._raw_headers:
            if len(name) == 16 and name.lower() == b"content-encoding":
                encoding = value.strip().lower()
                if encoding in (b"gzip", b"x-gzip", b"deflate"):
                    self._decoder = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
                    self._limit = self._max_body  # what a compressed stream inflates to is held at once
                elif encoding not in (b"", b"identity"):
                    self._fail(BadResponse(f"unsupported Content-Encoding {encoding.decode('latin-1')!r}"))
                    self._conn.close()
                    return
            elif len(name) == 14 and name.lower() == b"content-length" and self._limit < _UNBOUNDED:
                announced = int(value) if value.strip().isdigit() else 0  # the parser rejects bad ones
                if announced > self._limit:
                    limit = size_text(self._limit)
                    self._fail(TooLarge(f"the body announces {announced} bytes, over the {limit} limit"))
                    self._conn.close()
                    return
        self._wake()

    def _body_until_close(self) -> bool:
        """No length and not chunked: the body ends when the connection does (RFC 9112 §6.3)."""
        for name, value in self._raw_headers:
            lname = name.lower()
            if lname == b"content-length" or (lname == b"transfer-encoding" and b"chunked" in value.lower()):
                return False
        return True

    def release(self) -> None:
        """Give the connection back: to the pool when the answer was read whole, else closed."""
        self._conn.give_back(self, reusable=self._complete and self._error is None)
