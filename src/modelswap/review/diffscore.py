"""How much two answers to the same request differ, in [0, 1], so review can oversample the pairs
where the models disagree most.

The score is the largest of three signals: the word-level edit distance normalised by the longer
answer, whether the tool calls differ (name or arguments), and whether the answers are JSON that
parses to different values (or JSON on one side only).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

MAX_WORDS = 400
"""Words of each answer the edit distance looks at; the rest is ignored (bounded O(n·m) work)."""

_WORD = re.compile(r"\S+")


def words(text: str) -> list[str]:
    """The whitespace-separated tokens of ``text``, at most ``MAX_WORDS`` of them."""
    out: list[str] = []
    for m in _WORD.finditer(text):
        out.append(m.group())
        if len(out) == MAX_WORDS:
            break
    return out


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance between two token sequences (insert, delete, substitute cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def normalised_edit_distance(old: str, new: str) -> float:
    """Word-level edit distance divided by the longer answer's word count; 0 for two empty answers."""
    a, b = words(old), words(new)
    longest = max(len(a), len(b))
    return edit_distance(a, b) / longest if longest else 0.0


def _parsed_json(text: str) -> tuple[bool, Any]:
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return False, None
    try:
        return True, json.loads(stripped)
    except ValueError:
        return False, None


def json_differs(old: str, new: str) -> bool:
    """True when one answer is a JSON object/array and the other is not, or both are and differ."""
    (old_ok, old_value), (new_ok, new_value) = _parsed_json(old), _parsed_json(new)
    if not old_ok and not new_ok:
        return False
    return old_ok != new_ok or old_value != new_value


def _normal_call(call: Any) -> tuple[str, Any]:
    """A tool call as (name, parsed arguments), from the OpenAI shape or a flat {name, arguments}."""
    if not isinstance(call, dict):
        return (repr(call), None)
    fn = call.get("function", call)
    if not isinstance(fn, dict):
        return (repr(fn), None)
    args = fn.get("arguments")
    if isinstance(args, str):
        ok, value = _parsed_json(args)
        args = value if ok else args
    return (str(fn.get("name", "")), args)


def tool_calls_differ(old: Sequence[Any] | None, new: Sequence[Any] | None) -> bool:
    """True when the two answers call different tools or pass different arguments (order kept)."""
    return [_normal_call(c) for c in old or ()] != [_normal_call(c) for c in new or ()]


def diff_score(
    old: str,
    new: str,
    old_tool_calls: Sequence[Any] | None = None,
    new_tool_calls: Sequence[Any] | None = None,
) -> float:
    """How different two answers are, from 0 (identical) to 1 (nothing in common, or a structural
    difference: other tool calls, other JSON)."""
    if tool_calls_differ(old_tool_calls, new_tool_calls) or json_differs(old, new):
        return 1.0
    if _parsed_json(old)[0]:  # both JSON, same value: formatting is no difference
        return 0.0
    return normalised_edit_distance(old, new)
