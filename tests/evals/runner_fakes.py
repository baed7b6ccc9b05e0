"""Fakes and builders for the eval runner's tests: a counting fake model, golden-set files, endpoints."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from modelswap.evals import GoldenSet, load_golden_set
from modelswap.providers.base import Dialect, UpstreamError
from modelswap.sim.server import RunningSim

Json = dict[str, Any]
SYSTEM = "You are a calculator. Reply with the exact result as an integer and nothing else."


def arithmetic_cases(n: int, workload: str = "arithmetic") -> list[Json]:
    """``n`` golden cases ``What is i + 7?`` with their right answers (ids ``case-000``…)."""
    return [
        {
            "id": f"case-{i:03d}",
            "workload": workload,
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"What is {i} + 7?"}],
            "expected": {"answer": str(i + 7)},
            "assert": [{"type": "equals", "value": str(i + 7)}],
        }
        for i in range(n)
    ]


def write_golden(path: Path, cases: list[Json]) -> GoldenSet:
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return load_golden_set(path)


def question(body: Json) -> str:
    return str(body["messages"][-1]["content"])


def right_answer(body: Json) -> str:
    """The right answer to ``What is a + b?``."""
    a, _, b = question(body).removeprefix("What is ").removesuffix("?").partition(" + ")
    return str(int(a) + int(b))


def chat_response(text: str, model: str, prompt_tokens: int = 30, completion_tokens: int = 2) -> Json:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class FakeModel:
    """An OpenAI-dialect ``Upstream`` that counts every call it receives, per question.

    ``reply(body)`` gives the answer text (default: the right answer); ``fail(body, attempt)``
    may return an ``UpstreamError`` to raise instead; ``on_call(n)`` runs as call ``n`` arrives
    (e.g. to cancel the runner half-way). ``delay`` seconds pass before each answer.
    """

    def __init__(
        self,
        model: str = "fake-1",
        *,
        name: str = "fake",
        delay: float = 0.0,
        reply: Callable[[Json], str] = right_answer,
        fail: Callable[[Json, int], UpstreamError | None] | None = None,
        on_call: Callable[[int], None] | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.dialect: Dialect = "openai"
        self.delay = delay
        self.reply = reply
        self.fail = fail
        self.on_call = on_call
        self.calls: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.times: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    async def complete(self, body: Json) -> Json:
        key = question(body)
        attempt = self.calls[key]
        self.calls[key] += 1
        self.times.append(time.monotonic())
        if self.on_call is not None:
            self.on_call(self.total)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if self.fail is not None and (error := self.fail(body, attempt)) is not None:
                raise error
            self.answered[key] += 1
            return chat_response(self.reply(body), self.model)
        finally:
            self.in_flight -= 1

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        raise NotImplementedError
        yield {}

    async def aclose(self) -> None:
        return None


def sim_total(sim: RunningSim) -> int:
    """Chat requests the simulator has served (any status)."""
    return sum(sim.engine.counts.values())
