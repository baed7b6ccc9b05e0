"""An in-memory upstream for wrapper tests: each call plays the next scripted outcome, no socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from modelswap.providers.base import Dialect, Json, UpstreamError


def failure(kind: str = "server", status: int = 500) -> UpstreamError:
    return UpstreamError(f"{kind} failure", kind=kind, status=status, provider="scripted")  # type: ignore[arg-type]


@dataclass
class ScriptedUpstream:
    """``outcomes[i]`` answers call ``i`` (the last repeats): a dict, an ``UpstreamError``, or for
    streams a list of events that may end with an ``UpstreamError``. Bodies asked are kept."""

    name: str
    outcomes: list[Any]
    model: str = ""
    dialect: Dialect = "openai"
    bodies: list[Json] = field(default_factory=list)
    closed_streams: int = 0
    release: asyncio.Event | None = None
    """When set, each call waits for it first (to hold a call in flight)."""

    def __post_init__(self) -> None:
        self.model = self.model or f"{self.name}-model"

    async def _next(self, body: Json) -> Any:
        self.bodies.append(body)
        if self.release is not None:
            await self.release.wait()
        return self.outcomes[min(len(self.bodies), len(self.outcomes)) - 1]

    async def complete(self, body: Json) -> Json:
        outcome = await self._next(body)
        if isinstance(outcome, Exception):
            raise outcome
        return dict(outcome)

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        outcome = await self._next(body)
        try:
            for item in [outcome] if isinstance(outcome, Exception) else outcome:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            self.closed_streams += 1

    async def aclose(self) -> None:
        pass
