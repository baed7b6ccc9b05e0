"""The built-in probe families and detectors loaded by name, the seeded probe sample, and judging.

``pack`` and ``verdict`` hold the registries; this module imports the built-in packs and
detectors (which register themselves there), so nothing imports back in a circle.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import modelswap.redteam.detectors
import modelswap.redteam.families
from modelswap.redteam.pack import FAMILIES, Family, Probe, Target
from modelswap.redteam.verdict import DETECTORS, Detector, Finding, Reply


def all_families() -> dict[str, Family]:
    """Every registered probe family, by name."""
    return FAMILIES


def all_detectors() -> dict[str, Detector]:
    """Every registered detector, by name."""
    assert modelswap.redteam.detectors  # imported above for its registrations
    return DETECTORS


def sample_probes(families: Sequence[str] | None, n: int, seed: int = 0) -> list[Probe]:
    """A seeded sample of ``n`` variants of each family (all of them when a family has fewer)."""
    names = list(families) if families else list(FAMILIES)
    unknown = [f for f in names if f not in FAMILIES]
    if unknown:
        noun = "family" if len(unknown) == 1 else "families"
        raise ValueError(f"unknown probe {noun} {', '.join(unknown)}; known: {', '.join(FAMILIES)}")
    if n < 1:
        raise ValueError(f"sample size must be at least 1, got {n}")
    probes: list[Probe] = []
    for name in names:
        fam = FAMILIES[name]
        r = random.Random(f"{seed}|{fam.name}|{fam.version}")
        picks = sorted(r.sample(range(fam.variants), min(n, fam.variants)))
        probes.extend(fam.probe(i) for i in picks)
    return probes


def judge(reply: Reply, probe: Probe, target: Target, names: Sequence[str] | None = None) -> list[Finding]:
    """The findings of the probe's detectors (or ``names``) on ``reply``."""
    out = []
    for name in names if names is not None else probe.detectors:
        evidence = DETECTORS[name].check(reply, probe, target)
        if evidence is not None:
            out.append(Finding(name, evidence[:200]))
    return out
