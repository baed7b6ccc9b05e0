"""Which side the new model's answer is shown on: random per pair and per reviewer, and the same
every time that reviewer opens that pair (so a reload never reveals the model by moving it)."""

from __future__ import annotations

import hashlib
from typing import Literal

Side = Literal["left", "right"]


def new_side(reviewer: str, pair_id: int, salt: str = "") -> Side:
    """The side the new answer appears on for ``reviewer`` on ``pair_id`` (a hash, not a counter)."""
    digest = hashlib.sha256(f"{salt}\x00{reviewer}\x00{pair_id}".encode()).digest()
    return "left" if digest[0] & 1 else "right"
