"""The self-consistency signal: ask the cheap model again and see whether it says the same.

``samples`` more answers are drawn (at ``temperature``); the confidence is the share that
agree with the answer being rated. Answers are compared after normalising: text case and
whitespace (``text``), or parsed JSON (``json``, falling back to text when it is not JSON);
tool calls by name and parsed arguments. A sample that fails counts as a disagreement. The
samples cost cheap-model calls: the gateway adds them to the request's recorded cost.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from modelswap.routing.signal_base import Ask, Exchange, Json, signal

__all__ = ["SelfConsistency", "answer_key"]

_DROPPED = ("stream", "stream_options", "n", "logprobs", "top_logprobs")


@signal("self_consistency")
@dataclass(frozen=True, kw_only=True)
class SelfConsistency:
    """Keep the cheap answer when extra samples of the cheap model agree with it."""

    needs_answer: ClassVar[bool] = True
    samples: int = 2
    """Extra cheap-model answers drawn per request (1–8)."""
    temperature: float = 1.0
    """Sampling temperature of the extra answers."""
    compare: Literal["text", "json"] = "text"
    """How answers are compared: normalised text, or parsed JSON."""

    def __post_init__(self) -> None:
        if not 1 <= self.samples <= 8:
            raise ValueError(f"samples is 1 to 8, got {self.samples}")
        if not 0 <= self.temperature <= 2:
            raise ValueError(f"temperature is 0 to 2, got {self.temperature}")

    async def confidence(self, exchange: Exchange, ask: Ask | None) -> float:
        """The share of extra samples that agree with the answer."""
        if ask is None:
            raise ValueError("self_consistency calls the cheap model again; no way to call it was given")
        if exchange.answer is None:
            return 0.0
        request = {k: v for k, v in exchange.request.items() if k not in _DROPPED}
        request["temperature"] = self.temperature
        drawn = await asyncio.gather(*(ask(dict(request)) for _ in range(self.samples)), return_exceptions=True)
        want = answer_key(exchange.answer, self.compare)
        agree = sum(1 for d in drawn if isinstance(d, dict) and answer_key(d, self.compare) == want)
        return agree / self.samples


def answer_key(answer: Json, compare: str = "text") -> tuple[Any, ...]:
    """What two answers must share to agree: normalised content and tool calls."""
    message = ((answer.get("choices") or [{}])[0] or {}).get("message") or {}
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    calls = tuple(sorted((str(fn.get("name")), _canonical(fn.get("arguments"), "json")) for fn in _functions(message)))
    return (_canonical(text, compare), calls)


def _functions(message: Json) -> list[Json]:
    return [c.get("function") or {} for c in message.get("tool_calls") or () if isinstance(c, dict)]


def _canonical(text: Any, compare: str) -> str:
    if not isinstance(text, str):
        return ""
    if compare == "json":
        try:
            return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
        except ValueError:
            pass
    return " ".join(text.casefold().split())
