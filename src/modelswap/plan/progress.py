"""Progress: items done per phase and overall, as counts and fractions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from modelswap.plan.items import PHASES, Phase


@dataclass(frozen=True, slots=True)
class PhaseProgress:
    """Items done in one phase."""

    phase: Phase
    done: int
    total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class Progress:
    """Items done per phase and overall."""

    phases: tuple[PhaseProgress, ...]

    @property
    def done(self) -> int:
        return sum(p.done for p in self.phases)

    @property
    def total(self) -> int:
        return sum(p.total for p in self.phases)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def of(self, phase_key: str) -> PhaseProgress:
        for p in self.phases:
            if p.phase.key == phase_key:
                return p
        raise KeyError(f"unknown phase {phase_key!r}; known: {', '.join(p.phase.key for p in self.phases)}")


def progress(done_by_phase: Iterable[tuple[str, bool]]) -> Progress:
    """Count (phase key, done) pairs, one per item, into per-phase and overall progress."""
    done: dict[str, int] = {p.key: 0 for p in PHASES}
    total: dict[str, int] = {p.key: 0 for p in PHASES}
    for phase_key, is_done in done_by_phase:
        total[phase_key] += 1
        done[phase_key] += int(is_done)
    return Progress(tuple(PhaseProgress(p, done[p.key], total[p.key]) for p in PHASES))
