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

    Returns ``(frame, event)`` pairs; ``frame`` is the complete frame when the event was a
    lone ``data:`` line (OpenAI's shape) or an ``event:`` line then one ``data:`` line
    (Anthropic's), ended by LF, so a relay can pass it on unchanged; ``None`` for anything
    else (``id:``/``retry:`` lines, comments, several ``data:`` lines, CR line ends, a
    trailing unterminated event), which the general parser handles exactly as
    ``SSEParser`` would.
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
            if parser._retry is None and not parser._data:
                pair = _plain(frame, parser._id)
                if pair is not None:
                    out.append(pair)
                    continue
            out.extend((None, e) for e in parser.feed(frame + b"\n\n"))
        return out

    def close(self) -> list[tuple[bytes | None, SSEEvent]]:
        """Finish the stream: what ``SSEParser.close`` would dispatch, without frames."""
        rest, self._buf = self._buf, b""
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
