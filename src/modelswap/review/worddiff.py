"""A word-level diff of two answers, as runs of kept, removed and added text (escaping is the
template's job: the runs are plain, untrusted text)."""

from __future__ import annotations

import difflib
import re
from typing import Literal, NamedTuple

MAX_TOKENS = 5_000
"""Tokens of each answer diffed; beyond that the rest is shown as one removed/added run."""

_TOKEN = re.compile(r"\s+|[^\s]+")


class Run(NamedTuple):
    kind: Literal["same", "old", "new"]
    text: str


def word_diff(old: str, new: str) -> list[Run]:
    """Runs that rebuild ``old`` (same + old) and ``new`` (same + new), whitespace kept."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    tail_a, tail_b = "".join(a[MAX_TOKENS:]), "".join(b[MAX_TOKENS:])
    a, b = a[:MAX_TOKENS], b[:MAX_TOKENS]
    runs: list[Run] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            runs.append(Run("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(Run("old", "".join(a[i1:i2])))
        if j2 > j1:
            runs.append(Run("new", "".join(b[j1:j2])))
    if tail_a:
        runs.append(Run("old", tail_a))
    if tail_b:
        runs.append(Run("new", tail_b))
    return runs
