"""The controller's clock: the real one, or a compressed one that runs weeks in a minute.

Decisions are stamped with ``now()``; request records carry the wall-clock time of the replica
that served them, so the analysis window is read back with ``wall_of(moment)``. With the real
clock both are the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the controller needs of time."""

    def now(self) -> datetime:
        """The current moment on this clock (aware UTC)."""
        ...

    def wall_of(self, moment: datetime) -> datetime:
        """The wall-clock moment a record made at ``moment`` (on this clock) carries."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wall_of(self, moment: datetime) -> datetime:
        return moment


@dataclass
class ManualClock:
    """A clock that stands still until told to move (tests; records then carry its times too)."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta

    def wall_of(self, moment: datetime) -> datetime:
        return moment


@dataclass
class SteppedClock:
    """A clock that stands still and jumps when advanced, for runs against a live gateway (the demo):
    it remembers the wall time of each jump, so records stamped by the gateway map back to it."""

    moment: datetime
    _jumps: list[tuple[datetime, datetime]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._jumps.append((self.moment, datetime.now(UTC)))

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta
        self._jumps.append((self.moment, datetime.now(UTC)))

    def wall_of(self, moment: datetime) -> datetime:
        """The wall time at which this clock first showed ``moment`` or later."""
        for shown, wall in self._jumps:
            if shown >= moment:
                return wall
        return datetime.now(UTC)


@dataclass
class CompressedClock:
    """A clock that shows ``start`` when made and then runs ``speed`` times faster than the wall clock."""

    start: datetime
    speed: float = 1.0
    _wall_start: float = field(default_factory=time.monotonic)
    _wall_start_utc: datetime = field(default_factory=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._wall_start) * self.speed)

    def wall_of(self, moment: datetime) -> datetime:
        return self._wall_start_utc + timedelta(seconds=(moment - self.start).total_seconds() / self.speed)
