"""Deterministic randomness: everything the simulator decides is a hash of its inputs.

A request is reduced to a *digest* (seed + model + canonical conversation). Independent
decisions (is the answer right, how long it takes, does this attempt fail) draw from
separate streams labelled by name, so changing one never shifts another.
"""

from __future__ import annotations

import hashlib
import random
from statistics import NormalDist
from typing import Any

import orjson

_NORMAL = NormalDist()
_EPS = 1e-12


def digest(seed: int, model: str, payload: Any) -> bytes:
    """Stable 16-byte digest of ``payload`` (canonical JSON, sorted keys) for this seed and model."""
    canonical = orjson.dumps([seed, model, payload], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=16).digest()


def unit(key: bytes, label: str) -> float:
    """A uniform number in [0, 1) drawn from the stream ``label`` of ``key``."""
    h = hashlib.blake2b(key + b"|" + label.encode(), digest_size=8)
    return int.from_bytes(h.digest(), "big") / 2.0**64


def normal(key: bytes, label: str) -> float:
    """A standard-normal number drawn from the stream ``label`` of ``key``."""
    u = min(max(unit(key, label), _EPS), 1.0 - _EPS)
    return _NORMAL.inv_cdf(u)


def rng(key: bytes, label: str) -> random.Random:
    """A ``random.Random`` seeded from the stream ``label`` of ``key`` (for building content)."""
    return random.Random(int(unit(key, label) * 2**53))
