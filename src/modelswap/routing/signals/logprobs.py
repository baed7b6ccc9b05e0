"""The logprobs signal: how sure the cheap model was of its own tokens.

The confidence is the probability the answer's token log probabilities stand for: ``mean``
takes the geometric mean token probability (exp of the mean logprob), ``min`` the least sure
token's. The cascade asks the cheap model for logprobs (``logprobs: true`` on Chat Completions)
when the app speaks that dialect. Anthropic's Messages API returns no logprobs at all, so a
cheap endpoint on it is refused by ``modelswap check``; an answer without logprobs rates 0 (it
is escalated: nobody can tell how sure it was).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from modelswap.routing.signal_base import Ask, Exchange, Json, signal

__all__ = ["Logprobs", "token_logprobs"]


@signal("logprobs")
@dataclass(frozen=True, kw_only=True)
class Logprobs:
    """Keep the cheap answer when its tokens were likely enough (``mean`` or ``min`` token probability)."""

    needs_answer: ClassVar[bool] = True
    aggregate: Literal["mean", "min"] = "mean"
    """How token probabilities add up to one confidence: their geometric mean, or the smallest."""

    def __post_init__(self) -> None:
        if self.aggregate not in ("mean", "min"):
            raise ValueError(f"aggregate is mean or min, got {self.aggregate!r}")

    def unsupported(self, wire: str) -> str | None:
        """Why this signal cannot work with a cheap model on ``wire`` (None: it can)."""
        if wire == "anthropic":
            return (
                "Anthropic's Messages API returns no token logprobs, so this signal cannot rate its answers; "
                "use a verifier, self_consistency or classifier signal for an Anthropic cheap model"
            )
        return None

    def prepare(self, body: Json, dialect: str) -> Json:
        """Ask for logprobs on a Chat Completions request (other dialects have no such field)."""
        if dialect != "openai" or body.get("logprobs") is True:
            return body
        return {**body, "logprobs": True}

    def tidy(self, request: Json, answer: Json, dialect: str) -> Json | None:
        """The answer (or stream chunk) without the logprobs the app did not ask for (None: as it is)."""
        if dialect != "openai" or request.get("logprobs") is True:
            return None
        choices = answer.get("choices")
        if not isinstance(choices, list) or not any(isinstance(c, dict) and c.get("logprobs") for c in choices):
            return None
        return {**answer, "choices": [{**c, "logprobs": None} if isinstance(c, dict) else c for c in choices]}

    async def confidence(self, exchange: Exchange, ask: Ask | None) -> float:
        """exp(mean logprob) or exp(min logprob) of the answer's tokens; 0 without logprobs."""
        values = token_logprobs(exchange.answer)
        if not values:
            return 0.0
        pick = min(values) if self.aggregate == "min" else sum(values) / len(values)
        return min(1.0, max(0.0, math.exp(pick)))


def token_logprobs(answer: Json | None) -> list[float]:
    """The first choice's token logprobs (content, else refusal), as numbers; [] when none came."""
    choices = (answer or {}).get("choices") or [{}]
    block: Any = (choices[0] or {}).get("logprobs") or {}
    entries = (block.get("content") or block.get("refusal") or []) if isinstance(block, dict) else []
    out = []
    for entry in entries:
        value = entry.get("logprob") if isinstance(entry, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out.append(min(0.0, float(value)))
    return out
