"""Redaction in a child process, so its CPU never competes with the gateway's event loop for the GIL.

The recorder's writer thread sends a batch of bodies (JSON, one message) and waits for the
answer with the GIL released; the child redacts them and answers, for each, ``null`` (nothing
to mask: the recorder keeps its own objects) or the kept bodies. Messages are a 4-byte length
then JSON, over the child's stdin and stdout (no pickling; nothing but bodies crosses).

Nothing is lost when the child fails: a batch it cannot answer (it died, hung past the
timeout, answered garbage) is sent again to a fresh child, and if that fails too the caller
redacts those bodies itself, as it would without a worker. A body that JSON cannot carry
(a lone surrogate, an integer past 64 bits, nesting past orjson's limit) is left to the caller.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import sys
import time
from typing import Any

import orjson

log = logging.getLogger("modelswap.recorder")

Bodies = list[Any]
"""``[request_body, response_body]`` of one record (either may be None)."""
UNCHANGED = "unchanged"
"""A result: nothing in the bodies needs masking; keep them as they are."""

_HEADER = 4
_CHUNK_BYTES = 8 * 1024 * 1024  # a message carries at most about this much JSON (longer batches are split)
_MAX_MESSAGE = 1 << 31


class RedactionWorker:
    """A child process that redacts bodies for the recorder; started by ``start`` (or with the first batch),
    replaced when it fails."""

    def __init__(self, *, timeout_s: float = 30.0, start_timeout_s: float = 60.0) -> None:
        self.timeout_s = timeout_s
        """Longest wait for one answer before the child counts as failed."""
        self.start_timeout_s = start_timeout_s
        """More time for the first answer of a new child (its imports)."""
        self.restarts = 0
        self.failures = 0
        self._child: subprocess.Popen[bytes] | None = None
        self._started = False
        self._fresh = False  # started by ``start`` and not asked yet: its first answer may take its start-up

    def start(self) -> None:
        """Start the child now (it imports the redactor meanwhile) rather than with the first batch."""
        if self._child is None:
            try:
                self._start()
            except OSError as exc:  # e.g. no process left to fork: the first batch tries again
                log.error("recorder: the redaction worker could not start (%s); trying with the first batch", exc)
                return
            self._fresh = True

    @property
    def pid(self) -> int | None:
        return None if self._child is None else self._child.pid

    def keep_all(self, bodies: list[Bodies], pii: bool) -> list[Bodies | str | None]:
        """For each ``[request, response]``: ``UNCHANGED``, the kept bodies, or None (the caller redacts it)."""
        results: list[Bodies | str | None] = [None] * len(bodies)
        parts: list[bytes] = []
        index: list[int] = []
        size = 0
        for i, pair in enumerate(bodies):
            try:
                encoded = orjson.dumps(pair)
            except (TypeError, orjson.JSONEncodeError):
                continue  # left to the caller
            parts.append(encoded)
            index.append(i)
            size += len(encoded)
            if size >= _CHUNK_BYTES:
                self._run(parts, index, pii, results)
                parts, index, size = [], [], 0
        if parts:
            self._run(parts, index, pii, results)
        return results

    def _run(self, parts: list[bytes], index: list[int], pii: bool, results: list[Bodies | str | None]) -> None:
        message = (b"1[" if pii else b"0[") + b",".join(parts) + b"]"
        for attempt in (1, 2):
            try:
                answer = self._ask(message)
                if not isinstance(answer, list) or len(answer) != len(index):
                    raise ValueError("the answer does not match the batch")
            except (OSError, ValueError, TimeoutError, orjson.JSONDecodeError) as exc:
                self.failures += 1
                log.error(
                    "recorder: the redaction worker failed (%s: %s); %s",
                    type(exc).__name__,
                    str(exc)[:200],
                    "starting a new one" if attempt == 1 else "redacting in this process",
                )
                self._stop()
                continue
            for i, kept in zip(index, answer, strict=True):
                results[i] = UNCHANGED if kept is None else kept if isinstance(kept, list) else None
            return

    def _ask(self, message: bytes) -> Any:
        child, wait_s = self._child, self.timeout_s + (self.start_timeout_s if self._fresh else 0.0)
        if child is None or child.poll() is not None:
            child, wait_s = self._start(), self.timeout_s + self.start_timeout_s
        self._fresh = False
        assert child.stdin is not None and child.stdout is not None
        deadline = time.monotonic() + wait_s
        _write_all(child.stdin.fileno(), len(message).to_bytes(_HEADER, "big") + message, deadline)
        fd = child.stdout.fileno()
        length = int.from_bytes(_read_exact(fd, _HEADER, deadline), "big")
        return orjson.loads(_read_exact(fd, length, deadline))

    def _start(self) -> subprocess.Popen[bytes]:
        if self._started:
            self.restarts += 1
        self._started = True
        self._child = subprocess.Popen(
            [sys.executable, "-m", "modelswap.gateway.redact.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        assert self._child.stdin is not None
        os.set_blocking(self._child.stdin.fileno(), False)  # a child that stops reading cannot block us
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.kill()
            child.wait()
            for pipe in (child.stdin, child.stdout):
                if pipe is not None:
                    pipe.close()

    def close(self) -> None:
        """Stop the child (it also stops by itself when this process goes away: its stdin closes)."""
        child, self._child = self._child, None
        if child is None:
            return
        try:
            if child.stdin is not None:
                child.stdin.close()
            child.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([], [fd], [], left)[1]:
            raise TimeoutError("the worker does not read")
        try:
            view = view[os.write(fd, view[: 1 << 20]) :]
        except BlockingIOError:
            continue


def _read_exact(fd: int, n: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    while n > 0:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError("no answer in time")
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise OSError("the worker exited")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def serve(read: Any, write: Any) -> None:
    """The child's loop: read a batch, answer it, until the input closes."""
    from modelswap.gateway.redact import redact

    while True:
        header = read(_HEADER)
        if len(header) < _HEADER:
            return
        length = int.from_bytes(header, "big")
        if length > _MAX_MESSAGE:
            return
        message = read(length)
        pii = message[:1] == b"1"
        answer: list[Any] = []
        for pair in orjson.loads(message[1:]):
            try:
                kept = redact(pair, pii)
            except Exception as exc:  # the caller redacts this one itself, and reduces it if it fails there too
                answer.append(type(exc).__name__)
                continue
            answer.append(None if kept is pair else kept)
        out = orjson.dumps(answer)
        write(len(out).to_bytes(_HEADER, "big") + out)


def main() -> None:
    # Ctrl-C or a stop signal sent to the gateway's whole process group is the gateway's to handle: this
    # child ends when its stdin closes, after the gateway's last batch
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers

    def write(data: bytes) -> None:
        stdout.write(data)
        stdout.flush()

    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):  # the gateway went away
        serve(stdin.read, write)


if __name__ == "__main__":
    main()
