"""Reading a judge model's verdict: JSON when it complied, common phrasings when it did not."""

from __future__ import annotations

import re
from typing import Any, Literal

from modelswap.evals.jsontext import NoJson, load_json

Choice = Literal["A", "B", "tie"]


def verdict_object(text: str) -> dict[str, Any]:
    """The first JSON object in the judge's answer (fenced or in prose), else an empty dict."""
    try:
        value = load_json(text.strip(), extract=True)
    except NoJson:
        return {}
    return value if isinstance(value, dict) else {}


def _field(obj: dict[str, Any], *names: str) -> Any:
    lowered = {str(k).lower(): v for k, v in obj.items()}
    return next((lowered[n] for n in names if n in lowered), None)


def parse_rating(text: str, low: int = 1, high: int = 5) -> int | None:
    """A rating in [low, high] from ``{"score": 4}``, ``"4/5"``, or ``score: 4`` in prose; else None."""
    raw = _field(verdict_object(text), "score", "rating", "grade")
    if raw is None:
        match = re.search(r"(?:score|rating|grade)\W{0,3}\s*[:=]?\s*\"?(\d+(?:\.\d+)?)", text, re.I)
        raw = match.group(1) if match else None
    if isinstance(raw, str):
        match = re.match(r"\s*(\d+(?:\.\d+)?)", raw)
        raw = match.group(1) if match else None
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() and low <= value <= high else None


_TRUE = {"pass", "passed", "yes", "true", "correct", "acceptable"}
_FALSE = {"fail", "failed", "no", "false", "incorrect", "unacceptable"}


def parse_pass(text: str) -> bool | None:
    """Pass or fail from ``{"pass": true}``, ``{"verdict": "FAIL"}``, or a lone PASS/FAIL word; else None."""
    raw = _field(verdict_object(text), "pass", "passed", "verdict", "result", "correct")
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    words = set(re.findall(r"\b(PASS|FAIL)\b", text))
    return None if len(words) != 1 else words == {"PASS"}


def parse_choice(text: str) -> Choice | None:
    """Which response the judge preferred: ``A``, ``B`` or ``tie``; None when it cannot be read."""
    raw = _field(verdict_object(text), "winner", "preferred", "better", "choice", "verdict")
    if raw is None:
        match = re.search(r"\[\[\s*(A|B|C|tie)\s*\]\]", text, re.I)
        raw = match.group(1) if match else None
    if not isinstance(raw, str):
        return None
    token = re.sub(r"[^a-z]", " ", raw.lower()).split()
    words = [w for w in token if w not in {"response", "answer", "output", "assistant"}]
    if words in (["a"],):
        return "A"
    if words in (["b"],):
        return "B"
    if words and words[0] in {"tie", "c", "equal", "both", "neither", "draw", "same"}:
        return "tie"
    return None
