"""Token log probabilities for OpenAI's ``logprobs``/``top_logprobs``: shaped as the API sends them.

A "token" is one of the word-sized pieces the simulator streams; its log probability is
a seeded draw, so the same answer always carries the same numbers.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

__all__ = ["logprobs_of"]

_ALTERNATIVES = (" the", " a", ".", ",", " and", " to", " of", " is", " it", " you", " in", " for", " on", " we")


def _draw(token: str, salt: int) -> float:
    digest = hashlib.blake2b(f"{salt}\x00{token}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _entry(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode())}


def logprobs_of(pieces: list[str], top: int) -> dict[str, Any]:
    """``{"content": [...], "refusal": None}`` for ``pieces``, each with ``top`` alternatives."""
    content = []
    for i, piece in enumerate(pieces):
        best = round(math.log(0.5 + 0.5 * _draw(piece, i)), 6)
        entry = _entry(piece, best)
        others = [t for t in _ALTERNATIVES if t != piece][: max(0, top - 1)]
        alternatives = [_entry(piece, best)] if top else []
        for rank, other in enumerate(others, start=1):
            alternatives.append(_entry(other, round(best - rank - _draw(other, i), 6)))
        entry["top_logprobs"] = alternatives
        content.append(entry)
    return {"content": content, "refusal": None}
