"""The coalescing transport under uvicorn: one write per event-loop step, nothing held past close."""

from __future__ import annotations

import asyncio
from typing import Any

from modelswap.gateway.http_protocol import CoalescingTransport


class RecordingTransport:
    """Stands in for uvloop's transport: records what reaches the socket."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8000) if name == "sockname" else default


def coalescing() -> tuple[CoalescingTransport, RecordingTransport]:
    real = RecordingTransport()
    return CoalescingTransport(real, asyncio.get_running_loop()), real  # type: ignore[arg-type]


async def test_writes_of_one_step_leave_as_one_write_in_order() -> None:
    transport, real = coalescing()
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(bytearray(b"{}"))
    assert real.writes == [], "nothing leaves before the step ends"
    assert transport.get_write_buffer_size() == 21
    await asyncio.sleep(0)
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert real.writes[1:] == [b"next"], "a later step gets its own write"


async def test_close_sends_what_is_held_first_and_the_flush_does_not_write_again() -> None:
    transport, real = coalescing()
    transport.writelines([b"a", b"b"])
    transport.close()
    assert real.writes == [b"ab"] and real.closed
    await asyncio.sleep(0)  # the scheduled flush finds nothing held and a closed transport
    assert real.writes == [b"ab"]


async def test_abort_drops_what_is_held() -> None:
    transport, real = coalescing()
    transport.write(b"half a response")
    transport.abort()
    await asyncio.sleep(0)
    assert real.writes == [] and real.aborted


async def test_everything_else_is_the_real_transports() -> None:
    transport, real = coalescing()
    assert transport.get_extra_info("sockname") == ("127.0.0.1", 8000)
    assert transport.is_closing() is False
    real.close()
    assert transport.is_closing() is True
