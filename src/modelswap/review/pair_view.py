"""What a reviewer sees of one pair: the question, two answers on blind sides (left/right), each
as text, pretty JSON and a tool-call table, and the word diff from left to right. Plain values:
the console escapes every string it renders."""

from __future__ import annotations

import json
from dataclasses import dataclass

from modelswap.review.answers import Answer, question_of
from modelswap.review.blind import Side, new_side
from modelswap.review.markdown import render_markdown
from modelswap.review.review_set import pair_answers
from modelswap.review.worddiff import Run, word_diff
from modelswap.store.rows import RecordedPair


@dataclass(frozen=True)
class ToolCallRow:
    name: str
    arguments: str


@dataclass(frozen=True)
class SideView:
    text: str
    html: str
    """The text rendered as Markdown, every character of the answer escaped (``review.markdown``)."""
    pretty_json: str | None
    tool_calls: tuple[ToolCallRow, ...]
    redacted: bool
    model: str
    arm: str


@dataclass(frozen=True)
class PairView:
    pair_id: int
    question: str
    left: SideView
    right: SideView
    new_side: Side
    diff: tuple[Run, ...]


def _pretty(text: str) -> str | None:
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        return json.dumps(json.loads(stripped), indent=2, ensure_ascii=False)
    except ValueError:
        return None


def _rows(answer: Answer) -> tuple[ToolCallRow, ...]:
    rows = []
    for call in answer.tool_calls:
        fn = call.get("function", call)
        fn = fn if isinstance(fn, dict) else {}
        args = fn.get("arguments")
        shown = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        rows.append(ToolCallRow(str(fn.get("name", "")), shown))
    return tuple(rows)


def _side(answer: Answer, model: str, arm: str) -> SideView:
    pretty = _pretty(answer.text)
    rendered = "" if pretty is not None else render_markdown(answer.text)
    return SideView(answer.text, rendered, pretty, _rows(answer), answer.redacted, model, arm)


def pair_view(pair: RecordedPair, reviewer: str) -> PairView | None:
    """The blind view of a pair for this reviewer, or None when its bodies were not recorded."""
    answers = pair_answers(pair)
    if answers is None or pair.shadow.id is None:
        return None
    served_is_old = pair.shadow.arm != "old"
    old_model = pair.request.model if served_is_old else pair.shadow.model
    new_model = pair.shadow.model if served_is_old else pair.request.model
    old, new = _side(answers.old, old_model, "old"), _side(answers.new, new_model, "new")
    side = new_side(reviewer, pair.shadow.id)
    left, right = (new, old) if side == "left" else (old, new)
    diff = tuple(word_diff(left.text, right.text))
    return PairView(pair.shadow.id, question_of(pair.request.request_body), left, right, side, diff)


def judgement_of(choice: str, side: Side) -> str:
    """A blind choice (left, right, same, both_bad) as the four-way verdict on old vs new."""
    if choice in ("same", "both_bad"):
        return choice
    if choice not in ("left", "right"):
        raise ValueError(f"choice must be left, right, same or both_bad, got {choice!r}")
    return "new_better" if choice == side else "old_better"
