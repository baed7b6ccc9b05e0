"""Custom scorers used by the ``python`` scorer tests, found by dotted path ``sample_scorers:<name>``."""

from __future__ import annotations

from typing import Any

from modelswap.evals import Case, Output, Score


def is_polite(case: Case, output: Output) -> bool:
    """Passes when the answer says please or thank you."""
    text = output.text.lower()
    return "please" in text or "thank" in text


def word_overlap(case: Case, output: Output, *, field: str = "value") -> float:
    """Share of the expected answer's words present in the output."""
    expected = str(case.expected.get(field, "")).lower().split()
    words = set(output.text.lower().split())
    return sum(w in words for w in expected) / len(expected) if expected else 0.0


async def mentions_case_id(case: Case, output: Output) -> Score:
    """An async scorer returning a full ``Score``."""
    hit = case.id in output.text
    return Score(hit, float(hit), f"case id {'found' if hit else 'missing'}", {})


def graded(case: Case, output: Output) -> dict[str, Any]:
    """A promptfoo-style grading result."""
    return {"pass": bool(output.text), "score": 0.5, "reason": "non-empty"}


def broken(case: Case, output: Output) -> str:
    """Returns something a scorer cannot read."""
    return "yes"


NOT_CALLABLE = 42
