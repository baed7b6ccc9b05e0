"""Errors of the evals package: a golden set that cannot be loaded, a scorer spec that cannot be built."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a golden-set file, at a line (0 when it concerns the whole file)."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}" if self.line else f"{self.path}: {self.reason}"


class GoldenSetError(ValueError):
    """A golden set could not be loaded; ``problems`` lists every bad line, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in golden set"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class ScorerSpecError(ValueError):
    """A scorer spec names an unknown type or carries bad parameters."""

    def __init__(self, spec: Any, reason: str) -> None:
        self.spec = spec
        self.reason = reason
        super().__init__(f"scorer spec {show_spec(spec)}: {reason}")


def show_spec(spec: Any, limit: int = 200) -> str:
    """A short one-line rendering of a spec for error messages."""
    try:
        text = json.dumps(spec, ensure_ascii=False, default=repr, sort_keys=False)
    except (TypeError, ValueError):
        text = repr(spec)
    return text if len(text) <= limit else text[: limit - 1] + "…"
