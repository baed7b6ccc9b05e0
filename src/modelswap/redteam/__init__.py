"""Red-team the new model against the old one: probe families, detectors, a runner and a delta gate.

Probe families and detectors register themselves by name (``families/``, ``detectors/``); a
run plants a canary and a fake secret in each workload's real system prompt, sends a seeded
sample of every family to both models, and stores each outcome with its prompt and answer.
"""

from __future__ import annotations

from modelswap.redteam.pack import FAMILIES, Family, Probe, Target, plant
from modelswap.redteam.registry import all_detectors, all_families, judge, sample_probes
from modelswap.redteam.verdict import DETECTORS, Detector, Finding, Reply

__all__ = [
    "DETECTORS",
    "FAMILIES",
    "Detector",
    "Family",
    "Finding",
    "Probe",
    "Reply",
    "Target",
    "all_detectors",
    "all_families",
    "judge",
    "plant",
    "sample_probes",
]
