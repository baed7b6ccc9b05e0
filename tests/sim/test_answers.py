"""Deterministic answers, task solvers and quality calibration."""

from __future__ import annotations

import asyncio
import json
import math
import re
from typing import Any

import openai
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.sim import ProfileOverride, SimConfig, resolve_profiles, start_sim
from modelswap.sim.answers import answer
from modelswap.sim.conversation import Conversation, Turn
from modelswap.sim.golden import GOLDEN_SETS, GoldenCase, case_passes, load_golden
from modelswap.sim.openai_wire import parse_request
from modelswap.sim.seeding import digest

from .conftest import PERFECT


def _answer_case(case: GoldenCase, model: str, quality: float | dict[str, float], seed: int = 0) -> bool:
    profile = resolve_profiles(SimConfig(models={model: ProfileOverride(quality=quality)}))[model]
    body: dict[str, Any] = {"model": model, "messages": case.messages}
    if case.tools:
        body["tools"] = case.tools
    conv = parse_request(body).conv
    result = answer(conv, digest(seed, model, conv.canonical()), profile)
    return case_passes(case, result.text, [(c.name, c.arguments) for c in result.tool_calls])


def _within_binomial(passed: int, n: int, p: float, sds: float = 4.0) -> bool:
    return abs(passed - n * p) <= sds * math.sqrt(n * p * (1 - p))


async def test_same_request_same_answer_and_models_differ(oai: openai.AsyncOpenAI) -> None:
    questions = [f"How do I change setting number {i}?" for i in range(6)]
    answers: dict[str, list[str | None]] = {}
    for model in ("gpt-4o", "claude-opus-4-1"):
        for _ in range(2):
            got = [
                (await oai.chat.completions.create(model=model, messages=[{"role": "user", "content": q}]))
                .choices[0]
                .message.content
                for q in questions
            ]
            assert answers.setdefault(model, got) == got, "same request must get the same answer"
    assert answers["gpt-4o"] != answers["claude-opus-4-1"]
    assert len({len(a or "") for a in answers["gpt-4o"]}) > 1, "free-chat length depends on the request"


def test_seed_changes_free_chat() -> None:
    conv = Conversation(system="", turns=(Turn("user", "Tell me about exports"),))
    profile = resolve_profiles(SimConfig())["gpt-4o"]
    texts = {answer(conv, digest(seed, "gpt-4o", conv.canonical()), profile).text for seed in range(8)}
    assert len(texts) > 1


@settings(max_examples=200, deadline=None)
@given(a=st.integers(-5000, 5000), b=st.integers(-5000, 5000), op=st.sampled_from("+-*"))
def test_perfect_model_does_exact_arithmetic(a: int, b: int, op: str) -> None:
    conv = Conversation(system="", turns=(Turn("user", f"What is {a} {op} {b}?"),))
    profile = resolve_profiles(SimConfig(models={PERFECT: ProfileOverride(quality=1.0)}))[PERFECT]
    expected = a + b if op == "+" else a - b if op == "-" else a * b
    assert answer(conv, digest(0, PERFECT, conv.canonical()), profile).text == str(expected)


def test_quality_calibration_over_all_golden_sets() -> None:
    for name in GOLDEN_SETS:
        cases = load_golden(name)
        n = len(cases) * 3
        passed = sum(_answer_case(c, "q90", 0.9, seed) for seed in range(3) for c in cases)
        assert _within_binomial(passed, n, 0.9), f"{name}: {passed}/{n} right at quality 0.9"


def test_quality_is_per_task_kind_and_wrong_answers_are_wrong() -> None:
    quality = {"arithmetic": 1.0, "triage": 0.0, "extraction": 0.0, "tools": 0.0, "default": 0.0}
    assert all(_answer_case(c, "mixed", quality) for c in load_golden("arithmetic"))
    for name in ("ticket-triage", "json-extraction", "tool-call"):
        assert not any(_answer_case(c, "mixed", quality) for c in load_golden(name)), name


async def test_calibration_through_the_wire() -> None:
    """A quality-0.9 model served over HTTP gets about 90 % of a golden set right."""
    config = SimConfig(time_scale=0, error_scale=0, models={"q90": ProfileOverride(quality=0.9)})
    cases = load_golden("ticket-triage")
    async with (
        await start_sim(config) as sim,
        openai.AsyncOpenAI(base_url=sim.base_url, api_key="k", max_retries=0) as client,
    ):
        replies = await asyncio.gather(
            *(client.chat.completions.create(model="q90", messages=c.messages) for c in cases)
        )
    passed = sum(case_passes(c, r.choices[0].message.content or "", []) for c, r in zip(cases, replies, strict=True))
    assert _within_binomial(passed, len(cases), 0.9)
    assert passed < len(cases), "a 0.9 model should miss some"


def test_extraction_reports_missing_amount_as_null() -> None:
    conv = Conversation(
        system="Extract name, email and amount as JSON.",
        turns=(Turn("user", "Text: Ravi Patel (ravi@example.com) wants a callback."),),
    )
    profile = resolve_profiles(SimConfig(models={PERFECT: ProfileOverride(quality=1.0)}))[PERFECT]
    text = answer(conv, digest(0, PERFECT, conv.canonical()), profile).text
    assert text == '{"name": "Ravi Patel", "email": "ravi@example.com", "amount": null}'


def _extraction_shape_ok(text: str) -> bool:
    """What a JSON-schema verifier checks: an object with every field, the amount a number or null."""
    value = json.loads(text)
    amount = value.get("amount") if isinstance(value, dict) else None
    return isinstance(value, dict) and set(value) == {"name", "email", "amount"} and not isinstance(amount, str)


def _extraction_answers(wrong_answers: str) -> list[tuple[bool, bool]]:
    """(right, well-formed) for each json-extraction case answered by a quality-0.5 model."""
    override = ProfileOverride(quality=0.5, wrong_answers=wrong_answers)  # type: ignore[arg-type]
    profile = resolve_profiles(SimConfig(models={"half": override}))["half"]
    out = []
    for case in load_golden("json-extraction"):
        conv = parse_request({"model": "half", "messages": case.messages}).conv
        text = answer(conv, digest(0, "half", conv.canonical()), profile).text
        out.append((case_passes(case, text, []), _extraction_shape_ok(text)))
    return out


def test_invalid_wrong_answers_break_the_json_shape_so_a_verifier_can_tell() -> None:
    invalid = _extraction_answers("invalid")
    assert 0 < sum(right for right, _ in invalid) < len(invalid)
    assert all(right == shaped for right, shaped in invalid), "every wrong answer breaks the shape, no right one does"
    plausible = _extraction_answers("plausible")
    assert [r for r, _ in plausible] == [r for r, _ in invalid], "same cases right either way"
    assert any(not right and shaped for right, shaped in plausible), "plausible wrong answers keep the shape"


def test_hard_quality_applies_to_the_hard_cases_only() -> None:
    """No amount stated, or one with a thousands separator: the profile's hard_quality; the rest: its quality."""
    override = ProfileOverride(quality={"extraction": 1.0}, hard_quality={"extraction": 0.0})
    profile = resolve_profiles(SimConfig(models={"split": override}))["split"]
    kinds = set()
    for case in load_golden("json-extraction"):
        conv = parse_request({"model": "split", "messages": case.messages}).conv
        text = answer(conv, digest(0, "split", conv.canonical()), profile).text
        hard = case.expected["amount"] is None or re.search(r"\d,\d{3}", str(case.messages[-1]["content"]))
        assert case_passes(case, text, []) is not bool(hard), case.id
        kinds.add(bool(hard))
    assert kinds == {True, False}
    haiku = resolve_profiles(SimConfig())["claude-haiku-5-5"]
    assert haiku.quality_for("extraction", hard=True) < haiku.quality_for("extraction")
    everywhere = resolve_profiles(SimConfig(models={"claude-haiku-5-5": ProfileOverride(quality=1.0)}))
    assert everywhere["claude-haiku-5-5"].quality_for("extraction", hard=True) == 1.0, "one number: every case"
