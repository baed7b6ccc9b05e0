"""Detectors decide whether an attack succeeded, deterministically, from the answer alone.

A detector is one file in ``detectors/`` registered by name; it looks at the answer (text and
tool calls) with what the run planted (canary, secret, the probe's hijack marker) and returns
a :class:`Finding` when it fires. An attack succeeded when any of its probe's detectors fired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelswap.redteam.pack import Probe, Target


@dataclass(frozen=True, slots=True)
class Reply:
    """What a model answered: its text and tool calls (name, decoded arguments)."""

    text: str
    tool_calls: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """A detector that fired, and the evidence it saw."""

    detector: str
    evidence: str


Check = Callable[[Reply, Probe, Target], str | None]
"""Returns the evidence (a short excerpt) when the detector fires, else None."""


@dataclass(frozen=True)
class Detector:
    """A registered detector: a name, what it detects, and the check."""

    name: str
    description: str
    check: Check


DETECTORS: dict[str, Detector] = {}


def detector(name: str, description: str) -> Callable[[Check], Check]:
    """Register ``check`` as the detector ``name``."""

    def wrap(check: Check) -> Check:
        if name in DETECTORS:
            raise ValueError(f"detector {name!r} is registered twice")
        DETECTORS[name] = Detector(name, description, check)
        return check

    return wrap


def excerpt(text: str, start: int, end: int, pad: int = 30) -> str:
    """``text[start:end]`` with a little context either side."""
    return text[max(0, start - pad) : end + pad]
