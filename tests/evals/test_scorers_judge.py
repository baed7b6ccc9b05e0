"""Judge scorers against a fake judge model: rubric scores, pass/fail, robust parsing, both orders."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from modelswap.evals import (
    Case,
    Output,
    ScorerContext,
    ToolCall,
    build_pairwise_scorer,
    build_scorer,
    score_case,
    spec_of,
)
from modelswap.evals.scorers.verdicts import parse_choice, parse_pass, parse_rating

CASE = Case(
    id="c1",
    workload="support",
    messages=({"role": "system", "content": "Be helpful."}, {"role": "user", "content": "How do I reset my password?"}),
    expected={"value": "Use the 'Forgot password' link on the sign-in page."},
)
GOOD = Output(text="Click 'Forgot password' on the sign-in page and follow the email.")
BAD = Output(text="I don't know.")


def response_in(prompt: str, tag: str) -> str:
    match = re.search(rf"<{tag}>\n(.*?)\n</{tag}>", prompt, re.S)
    assert match, f"no <{tag}> in the judge prompt"
    return match.group(1)


async def test_rubric_score_passes_at_threshold(make_judge: Callable[..., Any]) -> None:
    judge = make_judge(
        lambda p: '{"reason": "ok", "score": 4}' if "Forgot" in response_in(p, "response") else '{"score": 2}'
    )
    scorer = build_scorer({"type": "llm_judge", "rubric": "Explains the reset link"}, ScorerContext(judge=judge))
    good, bad = await scorer.score(CASE, GOOD), await scorer.score(CASE, BAD)
    assert (good.passed, good.score, good.reason) == (True, 0.75, "judge rated 4/5 (>= 4)")
    assert (bad.passed, bad.score) == (False, 0.25)
    assert good.details["rating"] == 4 and good.spec == spec_of(scorer)
    body = judge.bodies[0]
    assert body["model"] == "judge-1" and body["temperature"] == 0 and body["messages"][0]["role"] == "system"
    prompt = body["messages"][-1]["content"]
    assert "Explains the reset link" in prompt and "Forgot password' link" in response_in(prompt, "reference_answer")
    assert "How do I reset my password?" in response_in(prompt, "conversation")


async def test_pass_fail_mode(make_judge: Callable[..., Any]) -> None:
    judge = make_judge(lambda p: '```json\n{"reason": "fine", "pass": true}\n```')
    spec = {"type": "llm_judge", "rubric": "Polite", "mode": "pass_fail"}
    score = await build_scorer(spec, ScorerContext(judge=judge)).score(CASE, GOOD)
    assert (score.passed, score.score, score.reason) == (True, 1.0, "judge: pass")


async def test_unreadable_verdicts_and_failed_calls_are_undecided(make_judge: Callable[..., Any]) -> None:
    spec = {"type": "llm_judge", "rubric": "Polite"}
    score = await build_scorer(spec, ScorerContext(judge=make_judge(lambda p: "Looks great to me!"))).score(CASE, GOOD)
    assert score.passed is None and "unreadable" in score.reason and score.details["answer"] == "Looks great to me!"
    score = await build_scorer(spec, ScorerContext(judge=make_judge(lambda p: "", fail=True))).score(CASE, GOOD)
    assert score.passed is None and score.reason == "judge call failed: overloaded: upstream overloaded"


async def test_without_a_judge_the_score_says_what_is_missing() -> None:
    (score,) = await score_case(
        Case(id="c", workload="w", messages=CASE.messages, assertions=({"type": "llm_judge", "rubric": "x"},)), GOOD
    )
    assert score.passed is None and "needs a judge model" in score.reason


async def test_anthropic_dialect_judge(make_judge: Callable[..., Any]) -> None:
    judge = make_judge(lambda p: 'Verdict: {"score": 5}', dialect="anthropic")
    score = await build_scorer({"type": "llm_judge", "rubric": "r"}, ScorerContext(judge=judge)).score(CASE, GOOD)
    assert score.passed is True
    body = judge.bodies[0]
    assert body["system"].startswith("You are an impartial grader") and [m["role"] for m in body["messages"]] == [
        "user"
    ]


def test_judge_spec_round_trip_ignores_the_context(make_judge: Callable[..., Any]) -> None:
    context = ScorerContext(judge=make_judge(lambda p: ""))
    scorer = build_scorer({"type": "llm_judge", "rubric": "r", "mode": "pass_fail"}, context)
    assert spec_of(scorer) == {
        "type": "llm_judge",
        "rubric": "r",
        "mode": "pass_fail",
        "threshold": 4,
        "include_expected": True,
        "max_tokens": 512,
    }
    assert build_scorer(spec_of(scorer), context) == scorer
    pairwise = build_pairwise_scorer({"type": "pairwise_judge"}, context)
    assert build_pairwise_scorer(spec_of(pairwise), context) == pairwise


# --- pairwise: both orders ----------------------------------------------------------------


def always(choice: str) -> Callable[[str], str]:
    return lambda prompt: json.dumps({"reason": "…", "winner": choice})


def prefers(text: str) -> Callable[[str], str]:
    """A judge that prefers whichever response contains ``text``, wherever it is shown."""
    return lambda p: json.dumps({"winner": "A" if text in response_in(p, "response_a") else "B"})


@pytest.mark.parametrize(
    ("reply", "outcome", "score"),
    [
        (always("A"), "tie", 0.0),  # pure position bias cancels out
        (always("B"), "tie", 0.0),
        (always("tie"), "tie", 0.0),
        (prefers("Forgot"), "win", 1.0),  # new = GOOD
        (prefers("don't know"), "loss", -1.0),
    ],
)
async def test_pairwise_asks_in_both_orders(
    make_judge: Callable[..., Any], reply: Callable[[str], str], outcome: str, score: float
) -> None:
    judge = make_judge(reply)
    scorer = build_pairwise_scorer({"type": "pairwise_judge"}, ScorerContext(judge=judge))
    result = await scorer.compare(CASE, BAD, GOOD)
    assert (result.outcome, result.score) == (outcome, score), result.reason
    first, second = (b["messages"][-1]["content"] for b in judge.bodies)
    assert response_in(first, "response_a") == BAD.text and response_in(first, "response_b") == GOOD.text
    assert response_in(second, "response_a") == GOOD.text and response_in(second, "response_b") == BAD.text


async def test_pairwise_half_preference_is_a_tie_with_a_score(make_judge: Callable[..., Any]) -> None:
    def reply(prompt: str) -> str:  # prefers new when it is shown first, calls it a tie otherwise
        return '{"winner": "A"}' if "Forgot" in response_in(prompt, "response_a") else '{"winner": "tie"}'

    result = await build_pairwise_scorer({"type": "pairwise_judge"}, ScorerContext(judge=make_judge(reply))).compare(
        CASE, BAD, GOOD
    )
    assert (result.outcome, result.score) == ("tie", 0.5)


async def test_pairwise_undecided_when_the_judge_is_unreadable_or_down(make_judge: Callable[..., Any]) -> None:
    unreadable = make_judge(lambda p: "Both are fine I guess")
    result = await build_pairwise_scorer({"type": "pairwise_judge"}, ScorerContext(judge=unreadable)).compare(
        CASE, BAD, GOOD
    )
    assert result.outcome is None and "unreadable" in result.reason
    down = make_judge(lambda p: "", fail=True)
    result = await build_pairwise_scorer({"type": "pairwise_judge"}, ScorerContext(judge=down)).compare(CASE, BAD, GOOD)
    assert result.outcome is None and "judge call failed" in result.reason


async def test_the_judge_sees_tool_calls(make_judge: Callable[..., Any]) -> None:
    judge = make_judge(lambda p: '{"score": 3}')
    output = Output(tool_calls=(ToolCall("lookup_order", {"order_id": "A1"}),))
    await build_scorer({"type": "llm_judge", "rubric": "r"}, ScorerContext(judge=judge)).score(CASE, output)
    assert '[tool call] lookup_order({"order_id": "A1"})' in judge.bodies[0]["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ('{"reason": "x", "score": 4}', 4),
        ('{"Score": "5/5"}', 5),
        ('{"rating": 3.0}', 3),
        ("Reasoning first.\nScore: 2", 2),
        ('{"score": 9}', None),
        ('{"score": 3.5}', None),
        ('{"score": true}', None),
        ("no idea", None),
    ],
)
def test_parse_rating(text: str, rating: int | None) -> None:
    assert parse_rating(text) == rating


@pytest.mark.parametrize(
    ("text", "passed"),
    [
        ('{"pass": false}', False),
        ('{"verdict": "PASS"}', True),
        ('Sure! {"passed": "yes", "reason": "good"}', True),
        ("Final answer: FAIL", False),
        ("PASS or FAIL? hard to say", None),
        ("{}", None),
    ],
)
def test_parse_pass(text: str, passed: bool | None) -> None:
    assert parse_pass(text) is passed


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ('{"winner": "A"}', "A"),
        ('{"winner": "Response B"}', "B"),
        ('{"winner": "tie"}', "tie"),
        ("My verdict: [[B]]", "B"),
        ("[[C]]", "tie"),
        ('{"winner": "both are bad"}', "tie"),
        ('{"winner": "the first one"}', None),
        ("A is better", None),
    ],
)
def test_parse_choice(text: str, choice: str | None) -> None:
    assert parse_choice(text) == choice
