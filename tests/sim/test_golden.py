"""Golden set files: well-formed, up to date with their generator, and answerable by a perfect model."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from modelswap.sim import ProfileOverride, SimConfig, resolve_profiles
from modelswap.sim.answers import answer
from modelswap.sim.golden import GOLDEN_SETS, case_passes, data_dir, generate, load_golden, write_all
from modelswap.sim.openai_wire import parse_request
from modelswap.sim.seeding import digest
from modelswap.sim.tasks import task_data, triage_label
from modelswap.sim.workloads import SYSTEM_PROMPTS

PERFECT = resolve_profiles(SimConfig(models={"perfect": ProfileOverride(quality=1.0)}))["perfect"]


@pytest.mark.parametrize("name", list(GOLDEN_SETS))
def test_file_parses_and_is_well_formed(name: str) -> None:
    cases = load_golden(name)
    assert 50 <= len(cases) <= 400
    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        assert case.workload == GOLDEN_SETS[name].workload
        assert case.messages[0] == {"role": "system", "content": SYSTEM_PROMPTS[case.workload]}
        assert case.assertions and case.expected


@pytest.mark.parametrize("name", list(GOLDEN_SETS))
def test_file_matches_its_generator(name: str) -> None:
    lines = (data_dir() / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == generate(name)


@pytest.mark.parametrize("name", list(GOLDEN_SETS))
def test_expected_is_what_a_perfect_model_answers(name: str) -> None:
    for case in load_golden(name):
        body = {"model": "perfect", "messages": case.messages, "tools": case.tools}
        conv = parse_request(body).conv
        result = answer(conv, digest(0, "perfect", conv.canonical()), PERFECT)
        calls = [(c.name, c.arguments) for c in result.tool_calls]
        assert case_passes(case, result.text, calls), (case.id, result)


def test_sets_cover_their_variety() -> None:
    labels = Counter(c.expected["label"] for c in load_golden("ticket-triage"))
    assert set(labels) == set(task_data().labels)
    for case in load_golden("ticket-triage"):
        assert triage_label(case.messages[-1]["content"]) == case.expected["label"]
    turns = Counter(t for c in load_golden("tool-call") for t in c.tags if t.startswith("turn:"))
    assert turns["turn:call"] > 30 and turns["turn:answer"] > 15
    amounts = Counter(t for c in load_golden("json-extraction") for t in c.tags)
    assert amounts["amount:missing"] > 0 and amounts["amount:present"] > 0


def test_generation_is_deterministic(tmp_path: Path) -> None:
    write_all(tmp_path)
    for name in GOLDEN_SETS:
        assert (tmp_path / f"{name}.jsonl").read_bytes() == (data_dir() / f"{name}.jsonl").read_bytes()


def test_bad_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    good = (data_dir() / "arithmetic.jsonl").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "arithmetic.jsonl").write_text(good + '\n{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"arithmetic\.jsonl:2"):
        load_golden("arithmetic", tmp_path)
