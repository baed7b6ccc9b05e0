"""Redaction takes time in proportion to a body's size, and never holds the event loop.

The original e-mail pattern was quadratic: 100 KB of ``a`` froze ``/healthz`` for 16.7 s.
"""

from __future__ import annotations

import asyncio
import base64
import random
import threading
import time
from collections.abc import Callable

import pytest

from modelswap.gateway.redact import keep, scrub

_RNG = random.Random(7)
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "one character": lambda n: "a" * n,
    "one character then @": lambda n: "a" * (n - 1) + "@",
    "hex": lambda n: _RNG.randbytes(n // 2).hex(),
    "base64": lambda n: base64.b64encode(_RNG.randbytes(n * 3 // 4)).decode()[:n],
    "many @": lambda n: "@" * n,
    "a@ repeated": lambda n: "a@" * (n // 2),
    "digits": lambda n: "1" * n,
    "digits and spaces": lambda n: "12 " * (n // 3),
    "dots and dashes": lambda n: "a.b-" * (n // 4),
    "key prefixes": lambda n: "sk-" * (n // 3),
    "a key word every 100 bytes": lambda n: ("token " + "x" * 94) * (n // 100),
}


def _cpu_seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()
        scrub(text, pii=True)
        best = min(best, time.thread_time() - start)
    return best


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_text_costs_time_in_proportion_to_its_size(name: str) -> None:
    small, large = ADVERSARIAL[name](256 * 1024), ADVERSARIAL[name](1024 * 1024)
    small_s, large_s = _cpu_seconds(small), _cpu_seconds(large)
    assert large_s < 1.0, f"{name}: 1 MB took {large_s:.2f} s of CPU"
    assert large_s < 8 * max(small_s, 1e-3), f"{name}: 4x the size took {large_s / small_s:.1f}x the time"


def test_redacting_a_hostile_body_does_not_stall_the_event_loop() -> None:
    body = {"messages": [{"role": "user", "content": "a" * 100_000 + "@"}]}
    stop = threading.Event()
    done = [0]

    def redact_until_stopped() -> None:
        while not stop.is_set():
            keep(body, "redacted")
            done[0] += 1

    async def worst_lag_ms(duration_s: float) -> float:
        worst, deadline = 0.0, time.monotonic() + duration_s
        while time.monotonic() < deadline:
            start = time.monotonic()
            await asyncio.sleep(0.001)
            worst = max(worst, time.monotonic() - start - 0.001)
        return worst * 1000

    worker = threading.Thread(target=redact_until_stopped, daemon=True)
    worker.start()
    try:
        lag_ms = asyncio.run(worst_lag_ms(1.0))
    finally:
        stop.set()
    worker.join(5)
    assert done[0] > 0, "not one 100 KB body redacted in a second"
    assert lag_ms < 100, f"the event loop waited {lag_ms:.0f} ms for the GIL"
