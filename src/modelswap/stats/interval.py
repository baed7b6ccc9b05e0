"""The two-sided interval every ``stats`` function returns."""

from __future__ import annotations

from typing import NamedTuple


class Interval(NamedTuple):
    """A closed interval ``[lower, upper]``."""

    lower: float
    upper: float

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside the interval (bounds included)."""
        return self.lower <= value <= self.upper

    @property
    def width(self) -> float:
        """``upper - lower``."""
        return self.upper - self.lower
