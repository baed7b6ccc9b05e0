"""Server-sent events: an incremental parser and an async reader over a response body.

The parser follows the WHATWG event-stream rules that matter for model APIs: ``event:``,
``data:`` (several lines join with ``\\n``), ``id:``, ``retry:``, comments (``:``
keep-alives), any of CRLF / LF / CR as line ends, and chunk boundaries anywhere
(inside a field, between ``\\r`` and ``\\n``, inside a multi-byte UTF-8 character).
One deliberate leniency: an event still pending when the body ends is dispatched, since
some OpenAI-compatible servers omit the final blank line. One deliberate bound: a line or
an event larger than ``max_event_bytes`` (4 MiB by default) raises ``EventTooLarge``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass

from modelswap.providers.h1.limits import Limits, size_text

__all__ = ["EventTooLarge", "SSEEvent", "SSEFrames", "SSEParser", "iter_sse", "parse_sse"]

_MAX_EVENT = Limits().max_event_bytes


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event: its ``event:`` name (None when absent) and joined ``data:``."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class EventTooLarge(ValueError):
    """A line or an event of the stream is larger than the parser's bound (``max_event_bytes``)."""


class SSEParser:
    """Turns byte chunks into ``SSEEvent``s; feed chunks in order, then call ``close``.

    A line, and an event's joined ``data:``, may not pass ``max_event_bytes``
    (``EventTooLarge``); an unfinished line is held in pieces, so feeding it a byte at a
    time costs linear time.
    """

    __slots__ = (
        "_buf",
        "_buf_len",
        "_data",
        "_data_len",
        "_deferred",
        "_event",
        "_id",
        "_max",
        "_pending_cr",
        "_retry",
    )

    def __init__(self, max_event_bytes: int = _MAX_EVENT) -> None:
        self._max = max_event_bytes
        self._deferred: EventTooLarge | None = None  # raised on the next call, after the events before it
        self._buf: list[bytes] = []  # the pieces of an unfinished line
        self._buf_len = 0
        self._pending_cr = False
        self._data: list[str] = []
        self._data_len = 0
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Consume one chunk and return the events it completes (maybe none); an event past the
        bound raises ``EventTooLarge``, once the events before it have been returned."""
        if self._deferred is not None:
            raise self._deferred
        events: list[SSEEvent] = []
        try:
            self._feed(chunk, events)
        except EventTooLarge as exc:
            if not events:
                raise
            self._deferred = exc
        return events

    def _feed(self, chunk: bytes, events: list[SSEEvent]) -> None:
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the LF of a CRLF split across chunks
        self._pending_cr = False
        if not chunk:
            return
        if b"\n" not in chunk and b"\r" not in chunk:
            self._hold(chunk)  # still inside one line
            return
        self._pending_cr = chunk.endswith(b"\r")
        if self._buf:
            chunk = b"".join((*self._buf, chunk))
            self._buf.clear()
            self._buf_len = 0
        lines = chunk.splitlines(keepends=True)
        tail = lines.pop() if not lines[-1].endswith((b"\n", b"\r")) else b""
        for raw in lines:
            if len(raw) > self._max:
                raise EventTooLarge(f"an event-stream line is longer than the {size_text(self._max)} limit")
            event = self._line(raw.rstrip(b"\r\n").decode("utf-8", errors="replace"))
            if event is not None:
                events.append(event)
        if tail:
            self._hold(tail)

    def _hold(self, piece: bytes) -> None:
        self._buf.append(piece)
        self._buf_len += len(piece)
        if self._buf_len > self._max:
            raise EventTooLarge(f"an event-stream line is longer than the {size_text(self._max)} limit")

    def close(self) -> list[SSEEvent]:
        """Finish the stream: dispatch a trailing unterminated line and pending event."""
        if self._deferred is not None:
            raise self._deferred
        events: list[SSEEvent] = []
        if self._buf:
            line = b"".join(self._buf).decode("utf-8", errors="replace")
            self._buf.clear()
            self._buf_len = 0
            event = self._line(line)
            if event is not None:
                events.append(event)
        event = self._line("")
        if event is not None:
            events.append(event)
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # comment / keep-alive
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data_len += len(value) + 1
            if self._data_len > self._max:
                raise EventTooLarge(f"a server-sent event is larger than the {size_text(self._max)} limit")
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._id = value
        elif field == "retry" and value.isdecimal():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            self._event = None
            return None
        event = SSEEvent(data="\n".join(self._data), event=self._event or None, id=self._id, retry=self._retry)
        self._data = []
        self._data_len = 0
        self._event = None
        self._retry = None
        return event


class SSEFrames:
    """Like ``SSEParser``, but also hands back each event's frame as the bytes it arrived in.

    Returns ``(frame, event)`` pairs; ``frame`` is the complete frame when the event was a
    lone ``data:`` line (OpenAI's shape) or an ``event:`` line then one ``data:`` line
    (Anthropic's), ended by LF, so a relay can pass it on unchanged; ``None`` for anything
    else (``id:``/``retry:`` lines, comments, several ``data:`` lines, CR line ends, a
    trailing unterminated event), which the general parser handles exactly as
    ``SSEParser`` would. A frame may not pass ``max_event_bytes`` either.
    """

    __slots__ = ("_buf", "_buf_len", "_deferred", "_max", "_parser", "_slow")

    def __init__(self, max_event_bytes: int = _MAX_EVENT) -> None:
        self._max = max_event_bytes
        self._deferred: EventTooLarge | None = None
        self._buf: list[bytes] = []  # the pieces of an unfinished frame
        self._buf_len = 0
        self._parser = SSEParser(max_event_bytes)
        self._slow = False

    def feed(self, chunk: bytes) -> list[tuple[bytes | None, SSEEvent]]:
        """Consume one chunk and return the events it completes, with their frames; an event past
        the bound raises ``EventTooLarge``, once the events before it have been returned."""
        if self._deferred is not None:
            raise self._deferred
        out: list[tuple[bytes | None, SSEEvent]] = []
        parser = self._parser
        buf = self._buf
        try:  # one function, no helper call: this runs once per chunk of every relayed stream
            if self._slow or b"\r" in chunk:
                # CR line ends: from here on the general parser does it all (the buffer has no CR)
                self._slow = True
                if buf:
                    chunk = b"".join((*buf, chunk))
                    buf.clear()
                    self._buf_len = 0
                out.extend((None, e) for e in parser.feed(chunk))
                return out
            if buf:
                if b"\n\n" not in chunk and not (chunk[:1] == b"\n" and buf[-1][-1:] == b"\n"):
                    self._hold(chunk)  # the frame goes on: hold the piece, join once it ends
                    return out
                chunk = b"".join((*buf, chunk))
                buf.clear()
                self._buf_len = 0
            frames = chunk.split(b"\n\n")
            rest = frames.pop()
            big = len(chunk) > self._max  # only a big chunk can hold a frame past the bound
            for frame in frames:
                if big and len(frame) > self._max:
                    raise EventTooLarge(f"a server-sent event is larger than the {size_text(self._max)} limit")
                if parser._retry is None and not parser._data:
                    pair = _plain(frame, parser._id)
                    if pair is not None:
                        out.append(pair)
                        continue
                out.extend((None, e) for e in parser.feed(frame + b"\n\n"))
            if rest:
                self._hold(rest)
        except EventTooLarge as exc:
            if not out:
                raise
            self._deferred = exc
        return out

    def _hold(self, piece: bytes) -> None:
        self._buf.append(piece)
        self._buf_len += len(piece)
        if self._buf_len > self._max:
            raise EventTooLarge(f"a server-sent event is larger than the {size_text(self._max)} limit")

    def close(self) -> list[tuple[bytes | None, SSEEvent]]:
        """Finish the stream: what ``SSEParser.close`` would dispatch, without frames."""
        if self._deferred is not None:
            raise self._deferred
        rest = b"".join(self._buf)
        self._buf.clear()
        self._buf_len = 0
        return [(None, e) for e in (*self._parser.feed(rest), *self._parser.close())]


def _plain(frame: bytes, last_id: str | None) -> tuple[bytes, SSEEvent] | None:
    """A lone ``data:`` line, or ``event:`` then ``data:`` (Anthropic's shape), as (raw frame, event)."""
    if frame[:5] == b"data:":
        if b"\n" in frame:
            return None
        data, name = frame, None
    elif frame[:6] == b"event:":
        head, sep, data = frame.partition(b"\n")
        if not sep or data[:5] != b"data:" or b"\n" in data:
            return None
        name = (head[7:] if head[6:7] == b" " else head[6:]).decode("utf-8", errors="replace") or None
    else:
        return None
    value = data[6:] if data[5:6] == b" " else data[5:]
    return frame + b"\n\n", SSEEvent(data=value.decode("utf-8", errors="replace"), event=name, id=last_id)


def parse_sse(chunks: Iterable[bytes]) -> list[SSEEvent]:
    """Parse a whole event stream given as byte chunks (pure; for tests and replays)."""
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    events.extend(parser.close())
    return events


async def iter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[SSEEvent]:
    """Yield events as they complete from an async byte source (e.g. ``resp.content.iter_any()``)."""
    parser = SSEParser()
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event
    for event in parser.close():
        yield event
