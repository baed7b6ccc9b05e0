"""The writing side of a gateway connection: one socket write per event-loop step, and flow
control both ways.

Writes made during one event-loop step are held and sent together at the end of that step, so
a whole answer leaves in one ``send`` and nothing waits longer than the step that wrote it.
``drain`` waits while the client is slow to read; ``pause_reading``/``resume_reading`` stop and
restart reading a request body the app has not taken yet. ``http_protocol.HttpProtocol`` builds
on it.
"""

from __future__ import annotations

import asyncio


class ConnectionWriter(asyncio.Protocol):
    """Held writes and flow control for one connection."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self._held: list[bytes] | None = None  # writes of this event-loop step, sent at its end
        self._read_paused = False
        self._write_paused = False
        self._drained: list[asyncio.Future[None]] = []

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            self._held = [data]
            self.loop.call_soon(self._flush)
        else:
            held.append(data)

    def _flush(self) -> None:
        held, self._held = self._held, None
        if held and self.transport is not None and not self.transport.is_closing():
            self.transport.write(held[0] if len(held) == 1 else b"".join(held))

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._release_drained()

    def _release_drained(self) -> None:
        drained, self._drained = self._drained, []
        for waiter in drained:
            if not waiter.done():
                waiter.set_result(None)

    async def drain(self) -> None:
        """Wait until the client reads what it was sent (the transport's buffer is low again)."""
        if self._write_paused:
            waiter = self.loop.create_future()
            self._drained.append(waiter)
            await waiter

    def pause_reading(self) -> None:
        if not self._read_paused and self.transport is not None:
            self._read_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._read_paused and self.transport is not None:
            self._read_paused = False
            self.transport.resume_reading()
