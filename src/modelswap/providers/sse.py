"""Server-sent events: an incremental parser and an async reader over a response body.

The parser follows the WHATWG event-stream rules that matter for model APIs: ``event:``,
``data:`` (several lines join with ``\\n``), ``id:``, ``retry:``, comments (``:``
keep-alives), any of CRLF / LF / CR as line ends, and chunk boundaries anywhere
(inside a field, between ``\\r`` and ``\\n``, inside a multi-byte UTF-8 character).
One deliberate leniency: an event still pending when the body ends is dispatched, since
some OpenAI-compatible servers omit the final blank line.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass

__all__ = ["SSEEvent", "SSEFrames", "SSEParser", "iter_sse", "parse_sse"]


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event: its ``event:`` name (None when absent) and joined ``data:``."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class SSEParser:
    """Turns byte chunks into ``SSEEvent``s; feed chunks in order, then call ``close``."""

    __slots__ = ("_buf", "_data", "_event", "_id", "_pending_cr", "_retry")

    def __init__(self) -> None:
        self._buf = b""
        self._pending_cr = False
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Consume one chunk and return the events it completes (maybe none)."""
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the LF of a CRLF split across chunks
        self._pending_cr = False
        if not chunk:
            return []
        self._pending_cr = chunk.endswith(b"\r")
        lines = (self._buf + chunk).splitlines(keepends=True)
        last = lines[-1]
        if last.endswith((b"\n", b"\r")):
            self._buf = b""
        else:
            self._buf = last
            lines.pop()
        events: list[SSEEvent] = []
        for raw in lines:
            event = self._line(raw.rstrip(b"\r\n").decode("utf-8", errors="replace"))
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[SSEEvent]:
        """Finish the stream: dispatch a trailing unterminated line and pending event."""
        events: list[SSEEvent] = []
        if self._buf:
            line, self._buf = self._buf.decode("utf-8", errors="replace"), b""
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
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._id = value
        elif field == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            self._event = None
            return None
        event = SSEEvent(data="\n".join(self._data), event=self._event or None, id=self._id, retry=self._retry)
        self._data = []
        self._event = None
        self._retry = None
        return event


class SSEFrames:
    """Like ``SSEParser``, but also hands back each event's frame as the bytes it arrived in.

    Returns ``(frame, event)`` pairs; ``frame`` is the complete ``data: ...\\n\\n`` frame
    when the event was a lone ``data:`` line ended by LF (what model APIs send), so a
    relay can pass it on unchanged, and ``None`` for anything else (``event:``/``id:``
    lines, comments, several ``data:`` lines, CR line ends, a trailing unterminated
    event), which the general parser handles exactly as ``SSEParser`` would.
    """

    __slots__ = ("_buf", "_parser", "_slow")

    def __init__(self) -> None:
        self._buf = b""
        self._parser = SSEParser()
        self._slow = False

    def feed(self, chunk: bytes) -> list[tuple[bytes | None, SSEEvent]]:
        """Consume one chunk and return the events it completes, with their frames."""
        parser = self._parser
        if self._slow or b"\r" in chunk:
            # CR line ends: from here on the general parser does it all (the buffer has no CR)
            chunk, self._buf, self._slow = self._buf + chunk, b"", True
            return [(None, e) for e in parser.feed(chunk)]
        frames = (self._buf + chunk).split(b"\n\n")
        self._buf = frames.pop()
        out: list[tuple[bytes | None, SSEEvent]] = []
        for frame in frames:
            if frame[:5] == b"data:" and b"\n" not in frame and parser._retry is None:
                data = frame[6:] if frame[5:6] == b" " else frame[5:]
                event = SSEEvent(data=data.decode("utf-8", errors="replace"), id=parser._id)
                out.append((frame + b"\n\n", event))
            else:
                out.extend((None, e) for e in parser.feed(frame + b"\n\n"))
        return out

    def close(self) -> list[tuple[bytes | None, SSEEvent]]:
        """Finish the stream: what ``SSEParser.close`` would dispatch, without frames."""
        rest, self._buf = self._buf, b""
        return [(None, e) for e in (*self._parser.feed(rest), *self._parser.close())]


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
