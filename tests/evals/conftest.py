"""Fixtures for the evals tests: a fake judge model speaking the ``Upstream`` protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from modelswap.providers.base import Dialect, UpstreamError

Json = dict[str, Any]


def openai_response(text: str, model: str = "judge-1") -> Json:
    """A minimal OpenAI chat-completions response body carrying ``text``."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def anthropic_response(text: str, model: str = "judge-1") -> Json:
    """A minimal Anthropic Messages response body carrying ``text``."""
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


class FakeJudge:
    """An ``Upstream`` whose answer is ``reply(prompt_text)``; it records every request body."""

    def __init__(self, reply: Callable[[str], str], dialect: Dialect = "openai", fail: bool = False) -> None:
        self.name = "judge"
        self.model = "judge-1"
        self.dialect: Dialect = dialect
        self.reply = reply
        self.fail = fail
        self.bodies: list[Json] = []

    async def complete(self, body: Json) -> Json:
        self.bodies.append(body)
        if self.fail:
            raise UpstreamError("upstream overloaded", kind="overloaded", status=503, provider="fake")
        prompt = body["messages"][-1]["content"]
        text = self.reply(prompt)
        return anthropic_response(text) if self.dialect == "anthropic" else openai_response(text)

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        raise NotImplementedError
        yield {}

    async def aclose(self) -> None:
        return None


@pytest.fixture
def make_judge() -> Callable[..., FakeJudge]:
    """Build a ``FakeJudge`` from a reply function (and optionally a dialect or ``fail=True``)."""
    return FakeJudge
