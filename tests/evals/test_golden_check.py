"""Golden sets that cannot be scored are caught before any call; ``input`` and ``expected`` alone work;
the JSONL parser answers any line with a case or an error naming its line (fuzzed)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.evals import GoldenSetError, load_golden_set
from modelswap.evals.case import Case
from modelswap.evals.golden_readers.jsonl import read_jsonl
from modelswap.evals.output import Output
from modelswap.evals.scoring import score_case

runner = CliRunner()

MIGRATION = """\
name: golden-checks
store: sqlite:///{dir}/modelswap.db
endpoints:
  old: {{provider: sim, model: gpt-4o}}
  new: {{provider: sim, model: gpt-5}}
workloads:
{workloads}
simulator: {{seed: 7, time_scale: 0, error_scale: 0}}
"""


def migration(tmp_path: Path, sets: dict[str, list[str] | None]) -> Path:
    """A migration with one workload per golden set (``None``: the file is missing)."""
    entries = []
    for name, lines in sets.items():
        if lines is not None:
            (tmp_path / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        entries.append(f"  - name: {name}\n    golden_set: {name}.jsonl")
    path = tmp_path / "migration.yaml"
    path.write_text(MIGRATION.format(dir=tmp_path, workloads="\n".join(entries)), encoding="utf-8")
    return path


def case(i: int, **fields: object) -> str:
    return json.dumps({"id": f"c{i}", "messages": [{"role": "user", "content": f"What is {i} + 1?"}], **fields})


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_check_loads_every_golden_set_and_names_each_problem(tmp_path: Path) -> None:
    # Before, `check` never opened a golden set: all four were "✓".
    path = migration(
        tmp_path,
        {
            "missing": None,
            "broken": [case(1, expected="2"), '{"id": "c2", ', case(3, expect="4")],
            "unscored": [case(i) for i in range(5)],
            "partly": [case(1, expected="2"), case(2)],
        },
    )
    code, out = run("check", str(path))
    assert code == 1, out
    assert "workloads.missing.golden_set: " in out and "missing.jsonl does not exist" in out
    assert "broken.jsonl:2: invalid JSON" in out
    assert "broken.jsonl:3: unknown field(s) 'expect' (did you mean 'expected'?)" in out
    assert "workloads.unscored.golden_set: " in out and "none of its 5 cases can be scored" in out
    assert "4 problem(s) in the golden sets" in out
    assert "1 of 2 cases cannot be scored (line 2 of" in out  # a warning, not a problem


def test_check_passes_good_golden_sets_and_says_what_it_loaded(tmp_path: Path) -> None:
    path = migration(tmp_path, {"fine": [case(i, expected=str(i + 1)) for i in range(3)]})
    code, out = run("check", str(path))
    assert code == 0, out
    assert "workloads.fine.golden_set: 3 cases (jsonl)" in out


def test_eval_refuses_a_golden_set_that_would_score_nothing(tmp_path: Path) -> None:
    # Before, every call ran, none was scored, and eval exited 0; the gate then said
    # "at least 30 are needed" after 1,000 cases had been paid for.
    path = migration(tmp_path, {"unscored": [case(i) for i in range(40)]})
    code, out = run("eval", "-c", str(path))
    assert code == 1
    assert "none of its 40 cases can be scored" in out and "give each case `expected`" in out
    assert "model calls" not in out  # nothing was called


def test_input_is_one_user_message_and_expected_alone_is_a_normalised_exact_match(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text(
        json.dumps({"id": "a", "input": "Capital of France?", "expected": "Paris"})
        + "\n"
        + json.dumps({"id": "b", "input": "Two words?", "expected": {"value": "New  York"}})
        + "\n",
        encoding="utf-8",
    )
    golden = load_golden_set(path)
    a, b = golden.cases
    assert a.messages == ({"role": "user", "content": "Capital of France?"},)
    assert a.assertions == ({"type": "equals", "normalize": True},)

    async def verdicts(c: Case, text: str) -> bool | None:
        (score,) = await score_case(c, Output(text=text))
        return score.passed

    assert asyncio.run(verdicts(a, "  paris\n")) is True
    assert asyncio.run(verdicts(a, "Paris, France")) is False
    assert asyncio.run(verdicts(b, "new york")) is True


def test_input_conflicts_and_bad_values_are_clear(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text(
        json.dumps({"id": "a", "input": "Hi", "prompt": "Hi", "expected": "x"})
        + "\n"
        + json.dumps({"id": "b", "input": 3, "expected": "x"})
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(GoldenSetError) as info:
        load_golden_set(path)
    reasons = {p.line: p.reason for p in info.value.problems}
    assert reasons[1] == "give one of messages, prompt or input, not prompt and input"
    assert reasons[2] == "input must be a non-empty string"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(
    ["id", "input", "prompt", "messages", "expected", "assert", "vars", "tags", "tools", "metadata", "expect", "x"]
)
records = st.dictionaries(field_names, json_values | st.just([{"role": "user", "content": "hi"}]), max_size=6)
lines = st.one_of(records.map(json.dumps), st.text(max_size=40), json_values.map(json.dumps))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, min_size=1, max_size=6))
def test_any_jsonl_line_gives_a_case_or_an_error_naming_its_line(text_lines: list[str]) -> None:
    text = "\n".join(line.replace("\n", " ").replace("\r", " ") for line in text_lines)
    cases, problems = read_jsonl(text, "fuzz.jsonl", "w")
    numbered = {i for i, line in enumerate(text.splitlines(), start=1) if line.strip()}
    assert {c.line for c in cases} | {p.line for p in problems} <= numbered
    for problem in problems:
        assert problem.line in numbered and problem.reason and str(problem).startswith(f"fuzz.jsonl:{problem.line}: ")
    for c in cases:
        assert c.messages and c.id
    assert len({c.line for c in cases}) == len(cases)
    assert not ({c.line for c in cases} & {p.line for p in problems})  # a line is a case or a problem, not both
