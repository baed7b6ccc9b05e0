"""Scorers that ask a judge model: ``llm_judge`` (one output, a rubric) and ``pairwise_judge``.

The judge is an ``Upstream`` given at build time (``ScorerContext(judge=...)``); it is asked
for a JSON verdict, read robustly (see ``verdicts``). A judge that fails or answers something
unreadable gives ``passed=None`` (``outcome=None``), never a silent fail. ``pairwise_judge`` asks
in both orders (old as A, then new as A) and calls it a win or loss only when both orders agree,
which cancels a judge's preference for a position.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from modelswap.evals.jsontext import dumps
from modelswap.evals.output import Output
from modelswap.evals.scorers.base import CONTEXT, Comparison, Outcome, Score, ScorerContext, spec_of
from modelswap.evals.scorers.registry import scorer
from modelswap.evals.scorers.verdicts import Choice, parse_choice, parse_pass, parse_rating
from modelswap.providers.base import Upstream, UpstreamError

if TYPE_CHECKING:
    from modelswap.evals.case import Case

GRADER_SYSTEM = (
    "You are an impartial grader of an AI assistant's response. Judge only against the rubric. "
    "Reply with a single JSON object and nothing else."
)
SCORE_INSTRUCTIONS = (
    'Reply as JSON: {"reason": "<one or two sentences>", "score": <integer 1-5>} where 1 = fails the rubric '
    "entirely, 3 = partly meets it, 5 = fully meets it."
)
PASS_INSTRUCTIONS = 'Reply as JSON: {"reason": "<one or two sentences>", "pass": true or false}.'
PAIRWISE_SYSTEM = (
    "You compare two AI assistant responses to the same conversation. Do not let the order of the "
    "responses, their length or their style sway you. Reply with a single JSON object and nothing else."
)
PAIRWISE_INSTRUCTIONS = 'Reply as JSON: {"reason": "<one or two sentences>", "winner": "A" or "B" or "tie"}.'
DEFAULT_COMPARISON = "Which response answers the user's request more correctly, completely and helpfully?"


def render_conversation(case: Case) -> str:
    """The case's conversation as plain text for a judge."""
    lines = []
    for message in case.messages:
        content = message.get("content")
        text = content if isinstance(content, str) else dumps(content) if content is not None else ""
        calls = message.get("tool_calls")
        if calls:
            text += ("\n" if text else "") + "[tool calls] " + dumps(calls)
        lines.append(f"[{message.get('role', '?')}] {text}")
    return "\n".join(lines)


def render_output(output: Output) -> str:
    """An output as plain text for a judge: its text, then its tool calls."""
    parts = [output.text] if output.text else []
    parts += [f"[tool call] {c.name}({dumps(c.arguments)})" for c in output.tool_calls]
    return "\n".join(parts) or "(empty response)"


def _context_block(case: Case, include_expected: bool) -> str:
    ref = case.expected_text() if include_expected else None
    reference = f"\n\n<reference_answer>\n{ref}\n</reference_answer>" if ref else ""
    return f"<conversation>\n{render_conversation(case)}\n</conversation>{reference}"


async def ask_judge(judge: Upstream, system: str, user: str, max_tokens: int) -> str:
    """Send one grading request to ``judge`` in its dialect; the text of its answer."""
    messages = [{"role": "user", "content": user}]
    body: dict[str, Any] = {"model": judge.model, "max_tokens": max_tokens, "temperature": 0}
    if judge.dialect == "anthropic":
        body |= {"system": system, "messages": messages}
    else:
        body |= {"messages": [{"role": "system", "content": system}, *messages]}
    response = await judge.complete(body)
    return Output.from_response(response, judge.dialect).text


def _judge_of(context: ScorerContext | None, name: str) -> Upstream:
    if context is None or context.judge is None:
        raise RuntimeError(f"{name} needs a judge model: build it with ScorerContext(judge=<Upstream>)")
    return context.judge


@scorer("llm_judge")
@dataclass(frozen=True, kw_only=True)
class LlmJudge:
    """A judge model grades the output against ``rubric``: a 1–5 score (pass at ``threshold``) or pass/fail."""

    rubric: str
    mode: Literal["score", "pass_fail"] = "score"
    threshold: int = 4
    include_expected: bool = True
    max_tokens: int = 512
    context: ScorerContext | None = field(default=None, compare=False, repr=False, metadata=CONTEXT)

    def __post_init__(self) -> None:
        if not 1 <= self.threshold <= 5:
            raise ValueError("threshold is a rating from 1 to 5")
        if not self.rubric.strip():
            raise ValueError("rubric is empty")

    def prompt(self, case: Case, output: Output) -> str:
        """The grading request for one output."""
        instructions = SCORE_INSTRUCTIONS if self.mode == "score" else PASS_INSTRUCTIONS
        return (
            _context_block(case, self.include_expected)
            + f"\n\n<response>\n{render_output(output)}\n</response>"
            + f"\n\n<rubric>\n{self.rubric}\n</rubric>\n\n{instructions}"
        )

    async def score(self, case: Case, output: Output) -> Score:
        judge = _judge_of(self.context, "llm_judge")
        spec = spec_of(self)
        try:
            answer = await ask_judge(judge, GRADER_SYSTEM, self.prompt(case, output), self.max_tokens)
        except UpstreamError as exc:
            return Score(None, None, f"judge call failed: {exc.kind}: {exc.message}", spec, "llm_judge")
        details = {"judge": judge.model, "answer": answer}
        if self.mode == "pass_fail":
            passed = parse_pass(answer)
            if passed is None:
                return Score(None, None, "judge verdict unreadable", spec, "llm_judge", details)
            return Score(passed, float(passed), f"judge: {'pass' if passed else 'fail'}", spec, "llm_judge", details)
        rating = parse_rating(answer)
        if rating is None:
            return Score(None, None, "judge verdict unreadable (no 1-5 score)", spec, "llm_judge", details)
        ok = rating >= self.threshold
        reason = f"judge rated {rating}/5 ({'>=' if ok else '<'} {self.threshold})"
        return Score(ok, (rating - 1) / 4, reason, spec, "llm_judge", details | {"rating": rating})


_PREFERS_NEW: dict[tuple[str, Choice], int] = {
    ("old_first", "B"): 1,
    ("old_first", "A"): -1,
    ("new_first", "A"): 1,
    ("new_first", "B"): -1,
}


def combine(first: Choice, second: Choice) -> tuple[Outcome, float]:
    """The outcome for new from the judge's choice with old as A (``first``) and with new as A (``second``)."""
    votes = (_PREFERS_NEW.get(("old_first", first), 0), _PREFERS_NEW.get(("new_first", second), 0))
    outcome: Outcome = "win" if votes == (1, 1) else "loss" if votes == (-1, -1) else "tie"
    return outcome, sum(votes) / 2


@scorer("pairwise_judge")
@dataclass(frozen=True, kw_only=True)
class PairwiseJudge:
    """A judge model compares old and new outputs in both orders: win, tie or loss for new."""

    rubric: str = DEFAULT_COMPARISON
    include_expected: bool = True
    max_tokens: int = 512
    context: ScorerContext | None = field(default=None, compare=False, repr=False, metadata=CONTEXT)

    def prompt(self, case: Case, a: Output, b: Output) -> str:
        """The comparison request with ``a`` shown as Response A and ``b`` as Response B."""
        return (
            _context_block(case, self.include_expected)
            + f"\n\n<response_a>\n{render_output(a)}\n</response_a>\n\n<response_b>\n{render_output(b)}\n</response_b>"
            f"\n\n<question>\n{self.rubric}\n</question>\n\n{PAIRWISE_INSTRUCTIONS}"
        )

    async def compare(self, case: Case, old: Output, new: Output) -> Comparison:
        judge = _judge_of(self.context, "pairwise_judge")
        spec = spec_of(self)
        try:
            answers = await asyncio.gather(
                ask_judge(judge, PAIRWISE_SYSTEM, self.prompt(case, old, new), self.max_tokens),
                ask_judge(judge, PAIRWISE_SYSTEM, self.prompt(case, new, old), self.max_tokens),
            )
        except UpstreamError as exc:
            return Comparison(None, None, f"judge call failed: {exc.kind}: {exc.message}", spec)
        first, second = parse_choice(answers[0]), parse_choice(answers[1])
        details = {"judge": judge.model, "old_first": first, "new_first": second, "answers": list(answers)}
        if first is None or second is None:
            return Comparison(None, None, "judge verdict unreadable in at least one order", spec, details)
        outcome, score = combine(first, second)
        reason = f"{outcome} for new (old as A: {first}; new as A: {second})"
        return Comparison(outcome, score, reason, spec, details)
