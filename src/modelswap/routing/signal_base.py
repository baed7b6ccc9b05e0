"""What a router signal is: the exchange it rates, its protocol, and the ``@signal`` decorator.

``routing.signal`` is the public face (it also builds a signal from its spec); signal modules
import from here, so the registry and the built-ins it loads never import each other in a circle.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

__all__ = ["REGISTRY", "Ask", "Exchange", "Json", "Signal", "SignalSpecError", "signal"]

Json = dict[str, Any]
Ask = Callable[[Json], Awaitable[Json]]
"""Call the cheap model again with a Chat Completions request (self-consistency samples it)."""

T = TypeVar("T", bound=type)

REGISTRY: dict[str, type] = {}
"""Signal classes by type name (filled by ``@signal``)."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and the cheap model's answer to it, both in OpenAI Chat Completions form."""

    request: Json
    answer: Json | None
    """None for a signal that decides before the cheap model is called (``needs_answer = False``)."""


@runtime_checkable
class Signal(Protocol):
    """Rates the cheap model's fitness for one exchange."""

    needs_answer: ClassVar[bool]
    """False: rates the request alone, before any model is called (so it can route a stream up front)."""

    async def confidence(self, exchange: Exchange, ask: Ask | None) -> float:
        """In [0, 1]; the cascade keeps the cheap answer when this reaches its threshold."""
        ...


class SignalSpecError(ValueError):
    """A signal spec names an unknown type or carries bad parameters."""

    def __init__(self, spec: Any, reason: str) -> None:
        self.spec = spec
        self.reason = reason
        try:
            shown = json.dumps(spec, sort_keys=True, default=str)[:200]
        except (TypeError, ValueError):
            shown = repr(spec)[:200]
        super().__init__(f"signal spec {shown}: {reason}")


def signal(name: str) -> Callable[[T], T]:
    """Register a signal dataclass under ``name``; its init fields are its parameters."""

    def register(cls: T) -> T:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"@signal({name!r}) needs a dataclass, got {cls.__name__}")
        previous = REGISTRY.get(name)
        if previous is not None and previous.__qualname__ != cls.__qualname__:
            raise ValueError(
                f"signal type {name!r} is already registered by {previous.__module__}.{previous.__qualname__}"
            )
        cls.signal_type = name  # type: ignore[attr-defined]
        REGISTRY[name] = cls
        return cls

    return register
