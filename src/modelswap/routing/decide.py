"""The decision a cascade is given: a router signal's confidence against the workload's threshold.

``Decider`` is the ``Decide`` callable ``providers.cascade.Cascade`` takes: it puts the exchange
into Chat Completions form, asks the signal, and keeps the cheap answer when the confidence
reaches the threshold. A confidence outside [0, 1] (or NaN) is a signal's bug: it raises, and
the cascade escalates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from modelswap.config_routing import Routing
from modelswap.providers.base import Dialect, Json
from modelswap.providers.cascade import CheapAnswer
from modelswap.routing.chat_form import exchange_of
from modelswap.routing.signal import Ask, Signal, build_signal

__all__ = ["Decider", "build_decider"]


@dataclass(frozen=True, slots=True)
class Decider:
    """Keep the cheap answer when ``signal`` rates it at least ``threshold``."""

    signal: Signal
    threshold: float
    dialect: Dialect
    """The dialect the cascade speaks (the app's); exchanges are translated from it."""
    ask: Ask | None = None
    """Calls the cheap model again (Chat Completions form), for signals that sample it."""
    heard: Callable[[float], None] | None = None
    """Hears each confidence computed (metrics)."""

    @property
    def up_front(self) -> bool:
        """Whether the signal rates the request alone, so the choice is made before any call."""
        return not self.signal.needs_answer

    async def __call__(self, body: Json, answer: CheapAnswer | None) -> bool:
        """Whether to keep the cheap model for this request (and this answer)."""
        confidence = await self.signal.confidence(exchange_of(body, answer, self.dialect), self.ask)
        if not isinstance(confidence, (int, float)) or math.isnan(confidence) or not 0 <= confidence <= 1:
            raise ValueError(f"{type(self.signal).__name__} rated {confidence!r}; a confidence is in [0, 1]")
        if self.heard is not None:
            self.heard(float(confidence))
        return confidence >= self.threshold

    def prepare(self, body: Json) -> Json:
        """The request the cheap model gets: as asked, or with what the signal needs (logprobs)."""
        prepare = getattr(self.signal, "prepare", None)
        return prepare(body, self.dialect) if prepare is not None else body

    def tidy(self, body: Json, answer: Json) -> Json | None:
        """A kept cheap answer (or stream event) without what ``prepare`` added unasked (None: as it is)."""
        tidy = getattr(self.signal, "tidy", None)
        return tidy(body, answer, self.dialect) if tidy is not None else None


def build_decider(
    routing: Routing, dialect: Dialect, ask: Ask | None = None, heard: Callable[[float], None] | None = None
) -> Decider:
    """The decider of a workload's ``routing:`` section, for requests in ``dialect``."""
    return Decider(build_signal(routing.signal), routing.threshold, dialect, ask, heard)
