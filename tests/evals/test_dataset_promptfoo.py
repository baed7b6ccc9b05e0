"""promptfoo test files: prompts × tests, defaultTest, list vars, mapped asserts, errors by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelswap.evals import GoldenSetError, Output, load_golden_set, score_case

FIXTURES = Path(__file__).parent / "fixtures"


def test_config_fixture_loads_every_test() -> None:
    golden = load_golden_set(FIXTURES / "promptfooconfig.yaml")
    assert golden.format == "promptfoo"
    ids = [c.id for c in golden]
    assert ids == [
        "promptfooconfig-001",
        "promptfooconfig-002/1",
        "promptfooconfig-002/2",
        "promptfooconfig-003",
        "outage-json",
    ]
    assert golden.workloads() == ["support-chat"]
    reset, free, enterprise, status, outage = golden.cases
    assert reset.line == 19 and outage.line == 51
    assert reset.messages[0]["content"].endswith("Customer (Pro plan): How do I reset my password?")
    assert "Never promise refunds" in reset.messages[0]["content"]
    assert "(Free plan)" in free.messages[0]["content"] and "(Enterprise plan)" in enterprise.messages[0]["content"]
    assert reset.tags == ("category:account",) and reset.description == "Password reset"
    default_assert = {
        "type": "not",
        "inner": {"type": "contains", "value": "as an AI language model", "ignore_case": True},
    }
    assert all(c.assertions[0] == default_assert for c in golden)
    assert reset.assertions[2] == {
        "type": "llm_judge",
        "rubric": "Explains where to find the password reset link",
        "mode": "pass_fail",
    }
    assert free.assertions[2]["mode"] == "any"
    assert status.assertions[2] == {"type": "latency", "max_ms": 5000}
    assert outage.assertions[1]["type"] == "json_schema"


async def test_mapped_asserts_score_like_promptfoo() -> None:
    golden = load_golden_set(FIXTURES / "promptfooconfig.yaml")
    free, outage = golden.by_id()["promptfooconfig-002/1"], golden.by_id()["outage-json"]
    good = Output(text="I can't issue refunds myself; the billing team will review it.")
    bad = Output(text="Sure, we will refund you today.")
    assert [s.passed for s in await score_case(free, good)] == [True, True, True]
    assert [s.passed for s in await score_case(free, bad)] == [True, False, False]
    scores = await score_case(outage, Output(text='{"status": "degraded", "component": "eu-api"}'))
    assert [s.passed for s in scores] == [True, True]
    scores = await score_case(outage, Output(text='{"status": "degraded"}'))
    assert scores[1].passed is False and "component" in scores[1].reason


def test_tests_from_a_csv_file() -> None:
    golden = load_golden_set(FIXTURES / "promptfoo-csv-tests.yaml")
    assert [c.id for c in golden] == ["translations-001", "translations-002", "translations-003"]
    french = golden.cases[0]
    assert french.source.endswith("translations.csv") and french.line == 2
    assert french.messages[0]["content"] == "Translate into French. Reply with the translation only: Hello world"
    assert french.description == "Greeting"


def write(tmp_path: Path, text: str, name: str = "promptfooconfig.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BAD = """\
prompts:
  - "Answer: {{question}}"
tests:
  - vars:
      question: What is 2 + 2?
    assert:
      - type: equals
        value: "4"
      - type: javascript
        value: output.length < 10
  - vars:
      question: Name a colour.
    assert:
      - type: regex
        value: "[unclosed"
      - type: levenshtein
        value: red
        threshold: 2
  - vars:
      question: Capital of France?
    options:
      transform: output.trim()
  - vars:
      other: x
  - just a string
  - vars:
      question: ok
    assert:
      - type: contains
        value: ok
        transform: output.toUpperCase()
"""


def test_every_bad_assertion_and_test_is_reported_by_line(tmp_path: Path) -> None:
    path = write(tmp_path, BAD)
    with pytest.raises(GoldenSetError) as info:
        load_golden_set(path)
    reasons = {p.line: p.reason for p in info.value.problems}
    assert sorted(reasons) == [9, 14, 16, 19, 23, 25, 29]
    assert "assert[1] (javascript): promptfoo assert type 'javascript' is not supported" in reasons[9]
    assert "type: python" in reasons[9]
    assert "bad regex '[unclosed'" in reasons[14]
    assert "'levenshtein' is not supported" in reasons[16]
    assert "unsupported option 'transform'" in reasons[19]
    assert "{{question}} has no value in vars (vars: other)" in reasons[23]
    assert "a test is a mapping" in reasons[25]
    assert "assert key(s) transform not supported" in reasons[29]
    assert f"{path}:9: assert[1] (javascript)" in str(info.value)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("prompts: ['x']\ntests:\n  - vars: {a: 1\n", 4, "invalid YAML"),
        ("tests:\n  - vars: {a: 1}\n", 1, "no prompts"),
        ("prompts: [x]\nfoo: bar\n", 1, "expected a promptfoo test file"),
        ("- vars: {a: 1}\n", 1, "expected a promptfoo test file"),
        ("prompts: [file://missing.txt]\ntests: []\n", 1, "prompt: file://missing.txt: no such file"),
        ("prompts: [file://gen.py]\ntests: []\n", 1, "generated by scripts are not supported"),
        ("prompts: [x]\ntests: file://tests.jsonl\n", 2, "only a list of tests or file://<name>.csv"),
        ("prompts: [x]\nscenarios: []\ntests: []\n", 2, "'scenarios' is not supported"),
    ],
)
def test_file_level_problems(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(GoldenSetError) as info:
        load_golden_set(write(tmp_path, text))
    assert any(p.line == line and message in p.reason for p in info.value.problems), info.value


def test_chat_prompts_and_several_prompts(tmp_path: Path) -> None:
    (tmp_path / "chat.json").write_text(
        '[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "{{q}}"}]', encoding="utf-8"
    )
    write(tmp_path, "prompts:\n  - file://chat.json\n  - 'Q: {{q}}'\ntests:\n  - vars: {q: 'Why?'}\n", "two.yaml")
    golden = load_golden_set(tmp_path / "two.yaml", workload="faq")
    chat, plain = golden.cases
    assert (chat.id, plain.id) == ("two-001@p1", "two-001@p2")
    assert chat.messages == ({"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why?"})
    assert plain.messages == ({"role": "user", "content": "Q: Why?"},)
    assert chat.workload == "faq"


def test_text_prompt_files_hold_several_prompts(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("First {{x}}\n---\nSecond {{x}}\n", encoding="utf-8")
    write(
        tmp_path,
        "prompts: [file://p.txt]\ntests:\n  - vars: {x: one}\n    assert: [{type: icontains, value: '{{x}}'}]\n",
    )
    first, second = load_golden_set(tmp_path / "promptfooconfig.yaml").cases
    assert first.messages[0]["content"] == "First one" and second.messages[0]["content"] == "Second one"
    assert first.assertions == ({"type": "contains", "value": "one", "ignore_case": True},)


def test_native_scorer_types_can_be_used_directly(tmp_path: Path) -> None:
    write(
        tmp_path,
        "prompts: ['{{q}}']\ntests:\n  - vars: {q: Call it}\n"
        "    assert:\n      - {type: tool_call, name: lookup_order, arguments: {order_id: A1}, partial: true}\n",
    )
    (case,) = load_golden_set(tmp_path / "promptfooconfig.yaml").cases
    assert case.assertions[0]["type"] == "tool_call"
