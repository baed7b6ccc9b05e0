"""Noticing that the app has gone: a caller that gave up should not keep an upstream call (and
its tokens) running."""

from __future__ import annotations

import asyncio

from modelswap.gateway.asgi import Receive

WATCH_AFTER_S = 1.0
"""A whole-answer call starts watching for its client leaving once it has taken this long: most
answers come sooner, and a watcher task for every request would cost every request."""
STREAM_WATCH_AFTER_S = 0.2
"""A stream's watch starts sooner: streams run for seconds, and each batch relayed to a client
that has gone is paid for."""


class ClientWatch:
    """Notices the client disconnecting, watching from ``after_s`` on (a timer until then, not a
    task): ``fired`` turns true, and with ``cancel`` the serving task is cancelled, so a caller that
    gave up does not keep an upstream call (and its tokens) running."""

    __slots__ = ("_cancel", "_receive", "_task", "_timer", "_watcher", "fired")

    def __init__(self, receive: Receive, after_s: float = WATCH_AFTER_S, *, cancel: bool = True) -> None:
        self._receive = receive
        self._cancel = cancel
        self._task = asyncio.current_task()
        self._watcher: asyncio.Task[None] | None = None
        self.fired = False
        self._timer = asyncio.get_running_loop().call_later(after_s, self._start)

    def _start(self) -> None:
        self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        try:
            while (await self._receive())["type"] != "http.disconnect":
                pass
        except Exception:  # a server that cannot tell: nothing to watch
            return
        self.fired = True
        if self._cancel and self._task is not None:
            self._task.cancel()

    def stop(self) -> None:
        self._timer.cancel()
        if self._watcher is not None:
            self._watcher.cancel()
