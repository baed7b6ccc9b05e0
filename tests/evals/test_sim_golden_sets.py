"""The simulator's golden sets load as they are, and their expected answers pass their own assertions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelswap.evals import Case, Output, ToolCall, case_passed, load_golden_set, score_case
from modelswap.sim.golden import GOLDEN_SETS, check, data_dir, load_golden

COUNTS = {"arithmetic": 100, "ticket-triage": 120, "json-extraction": 100, "tool-call": 100, "extraction-routing": 400}


def expected_output(case: Case) -> Output:
    """What a perfect model answers, written from the case's ``expected``."""
    expected = case.expected
    if "tool_call" in expected:
        call = expected["tool_call"]
        return Output(tool_calls=(ToolCall(call["name"], call["arguments"]),))
    if len(expected) == 1:
        (value,) = expected.values()
        return Output(text=str(value))
    return Output(text=json.dumps(expected))


@pytest.mark.parametrize("name", list(GOLDEN_SETS))
def test_loads_with_the_right_count_and_workload(name: str) -> None:
    golden = load_golden_set(data_dir() / f"{name}.jsonl")
    assert len(golden) == COUNTS[name]
    assert golden.workloads() == [GOLDEN_SETS[name].workload]
    assert golden.format == "jsonl"
    assert len(golden.sha256) == 64
    assert [c.line for c in golden.cases] == list(range(1, COUNTS[name] + 1))


@pytest.mark.parametrize("name", list(GOLDEN_SETS))
async def test_expected_answers_pass_their_own_assertions(name: str) -> None:
    for case in load_golden_set(data_dir() / f"{name}.jsonl"):
        scores = await score_case(case, expected_output(case))
        assert case_passed(scores) is True, (case.id, [s.reason for s in scores])


def _variants(case: Case) -> list[Output]:
    good = expected_output(case)
    calls: Any = good.tool_calls
    wrong_args = tuple(ToolCall(c.name, {**c.arguments, "extra": 1}) for c in calls)
    return [
        good,
        Output(text=f"  {good.text.upper()}\n"),
        Output(text=f"The answer is {good.text}."),
        Output(text="```json\n" + good.text + "\n```"),
        Output(text="12345"),
        Output(text=""),
        Output(tool_calls=wrong_args),
    ]


@pytest.mark.parametrize("name", list(GOLDEN_SETS))
async def test_scorers_agree_with_the_simulators_reference_reading(name: str) -> None:
    reference = {c.id: c for c in load_golden(name)}
    for case in list(load_golden_set(data_dir() / f"{name}.jsonl"))[:30]:
        for output in _variants(case):
            calls = [(c.name, c.arguments) for c in output.tool_calls]
            want = [check(a, output.text, calls) for a in reference[case.id].assertions]
            got = [s.passed for s in await score_case(case, output)]
            assert got == want, (case.id, output)
