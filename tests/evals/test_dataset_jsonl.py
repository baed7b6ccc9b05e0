"""JSONL golden sets: every bad line is reported with its number; nothing is skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelswap.evals import GoldenSetError, load_golden_set

GOOD = {
    "id": "c1",
    "workload": "triage",
    "messages": [{"role": "user", "content": "Ticket: refund please"}],
    "expected": {"label": "billing"},
    "assert": [{"type": "equals", "value": "billing"}],
    "tags": ["label:billing"],
}


def write(tmp_path: Path, lines: list[str], name: str = "golden.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**changes: object) -> str:
    record = {**GOOD, **changes}
    return json.dumps({k: v for k, v in record.items() if v is not None})


def test_every_bad_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            line(id="ok-1"),
            '{"id": "broken", ',
            line(id=None),
            line(id="ok-1"),
            line(id="c5", **{"assert": [{"type": "sounds_right"}]}),
            line(id="c6", **{"assert": [{"type": "regex", "pattern": "(unclosed"}]}),
            "[1, 2]",
            line(id="c8", messages=[{"role": "wizard", "content": "hi"}]),
            line(id="c9", asserts=[]),
        ],
    )
    with pytest.raises(GoldenSetError) as info:
        load_golden_set(path)
    problems = {p.line: p.reason for p in info.value.problems}
    assert sorted(problems) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "invalid JSON" in problems[2]
    assert problems[3] == "missing id"
    assert "duplicate id 'ok-1' (first on line 1)" in problems[4]
    assert "unknown scorer type 'sounds_right'" in problems[5]
    assert "bad regex '(unclosed'" in problems[6]
    assert "JSON object, not list" in problems[7]
    assert "role 'wizard'" in problems[8]
    assert "unknown field(s) 'asserts'" in problems[9]
    message = str(info.value)
    assert f"{path}:5: assert[0]: scorer spec" in message
    assert message.startswith("8 problems in golden set:")


def test_a_line_with_several_problems_reports_each(tmp_path: Path) -> None:
    path = write(tmp_path, [line(id=7, tags="a,b", **{"assert": {"type": "equals"}}, messages=[])])
    with pytest.raises(GoldenSetError) as info:
        load_golden_set(path)
    reasons = [p.reason for p in info.value.problems]
    assert {p.line for p in info.value.problems} == {1}
    assert "id must be a string, not int" in reasons
    assert "assert must be a list of scorer specs" in reasons
    assert any("messages must be a non-empty list" in r for r in reasons)


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_an_empty_file_is_an_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GoldenSetError, match="empty golden set"):
        load_golden_set(path)


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(GoldenSetError, match="cannot read"):
        load_golden_set(tmp_path / "nope.jsonl")
    other = tmp_path / "cases.txt"
    other.write_text("hello", encoding="utf-8")
    with pytest.raises(GoldenSetError, match=r"unknown golden-set format '\.txt'"):
        load_golden_set(other)


def test_prompt_and_vars_render_into_a_user_message(tmp_path: Path) -> None:
    record = {
        "id": "p1",
        "prompt": "Translate into {{ lang }}: {{text}}",
        "vars": {"lang": "French", "text": "Hello"},
        "expected": "Bonjour",
        "assert": [{"type": "equals", "ignore_case": True}],
    }
    golden = load_golden_set(write(tmp_path, [json.dumps(record)], name="translate.jsonl"))
    (case,) = golden.cases
    assert case.messages == ({"role": "user", "content": "Translate into French: Hello"},)
    assert case.prompt == "Translate into {{ lang }}: {{text}}"
    assert case.workload == "translate"  # the file's stem when the case names none
    assert case.expected == {"value": "Bonjour"}
    assert case.where.endswith("translate.jsonl:1")
    assert case.request_body("gpt-x") == {"model": "gpt-x", "messages": list(case.messages)}


def test_template_problems_are_reported(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "prompt": "Hi {{name}}", "vars": {}}),
        json.dumps({"id": "b", "prompt": "Hi {{ name | upper }}", "vars": {"name": "x"}}),
        json.dumps({"id": "c", "prompt": "Hi", "messages": [{"role": "user", "content": "x"}]}),
    ]
    with pytest.raises(GoldenSetError) as info:
        load_golden_set(write(tmp_path, lines))
    reasons = {p.line: p.reason for p in info.value.problems}
    assert "{{name}} has no value in vars" in reasons[1]
    assert "unsupported template expression {{name | upper}}" in reasons[2]
    assert reasons[3] == "give one of messages, prompt or input, not messages and prompt"


def test_the_sha256_is_of_the_files_bytes(tmp_path: Path) -> None:
    import hashlib

    path = write(tmp_path, [line()])
    assert load_golden_set(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
