"""CSV golden sets: native columns, promptfoo's ``__expected`` columns, and bad rows by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelswap.evals import GoldenSetError, Output, case_passed, load_golden_set, score_case
from modelswap.evals.scorers.similarity import embedding_model_available

FIXTURES = Path(__file__).parent / "fixtures"


async def test_native_csv_fixture() -> None:
    golden = load_golden_set(FIXTURES / "support-triage.csv")
    assert golden.format == "csv"
    assert [c.id for c in golden] == ["triage-001", "triage-002", "triage-003", "triage-004"]
    first, second, _, fourth = golden.cases
    # rows start on lines 2, 6, 10, 14: each prompt cell spans four lines
    assert [c.line for c in golden] == [2, 6, 10, 14]
    assert first.messages[0]["role"] == "user"
    assert first.messages[0]["content"].endswith("Ticket: I was charged twice for my March invoice.")
    assert first.vars == {"ticket": "I was charged twice for my March invoice."}
    assert first.expected == {"value": "billing"}
    assert first.tags == ("label:billing", "easy")
    assert '"500 Internal Server Error"' in second.messages[0]["content"]
    assert fourth.messages[0]["role"] == "system" and fourth.expected == {"label": "other"}
    assert fourth.tags == ("label:other", "json")
    assert case_passed(await score_case(first, Output(text="billing\n"))) is True
    assert case_passed(await score_case(second, Output(text="billing"))) is False
    assert case_passed(await score_case(fourth, Output(text='{"label": "other"}'))) is True


def write(tmp_path: Path, text: str, name: str = "cases.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_similarity_assertion_needs_the_optional_model(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "prompt,city,__expected\nWhat country is {{city}} in?,Paris,icontains: france\n"
        "What country is {{city}} in?,Lima,similar(0.9): Peru\n",
    )
    if embedding_model_available():
        lima = load_golden_set(path).cases[1]
        assert lima.assertions == ({"type": "semantic_similarity", "value": "Peru", "threshold": 0.9},)
        return
    with pytest.raises(GoldenSetError) as info:
        load_golden_set(path)
    (problem,) = info.value.problems
    assert problem.line == 3 and "pip install 'modelswap[similarity]'" in problem.reason


def test_promptfoo_columns_map_to_scorer_specs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "prompt,city,__expected,__expected2,__description,__metadata:region\n"
        "What country is {{city}} in?,Paris,icontains: france,not-contains: Germany,capital,eu\n"
        "What country is {{city}} in?,Oslo,Norway,,plain text is equals,\n",
    )
    paris, oslo = load_golden_set(path).cases
    assert paris.id == "cases-001" and oslo.id == "cases-002"
    assert paris.assertions == (
        {"type": "contains", "value": "france", "ignore_case": True},
        {"type": "not", "inner": {"type": "contains", "value": "Germany", "ignore_case": False}},
    )
    assert paris.description == "capital" and paris.metadata == {"region": "eu"}
    assert oslo.assertions == ({"type": "equals", "value": "Norway"},)
    assert paris.messages == ({"role": "user", "content": "What country is Paris in?"},)


def test_bad_rows_are_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id,prompt,expected,assert,__expected\n"
        "a,Say hi,hi,,\n"
        ",Say hi,hi,,\n"
        "c,Say hi,hi,not json,\n"
        "d,Say hi,hi,,javascript: output.length > 3\n"
        "e,Say hi\n"
        "a,Say hi,hi,,\n"
        'f,Say hi,hi,"[{""type"": ""length""}]",\n',
    )
    with pytest.raises(GoldenSetError) as info:
        load_golden_set(path)
    reasons = {p.line: p.reason for p in info.value.problems}
    assert reasons[3] == "missing id"
    assert "assert: invalid JSON" in reasons[4]
    assert "__expected: promptfoo assert type 'javascript' is not supported" in reasons[5]
    assert reasons[6] == "row has 2 cells, the header has 5"
    assert "duplicate id 'a' (first on line 2)" in reasons[7]
    assert "give min, max or both" in reasons[8]
    assert 2 not in reasons


def test_header_problems(tmp_path: Path) -> None:
    with pytest.raises(GoldenSetError) as info:
        load_golden_set(write(tmp_path, "question,__expected,__prefix\nhi,hello,x\n"))
    reasons = [p.reason for p in info.value.problems]
    assert all(p.line == 1 for p in info.value.problems)
    assert any("unknown special column '__prefix'" in r for r in reasons)
    assert any("no 'prompt' or 'messages' column" in r for r in reasons)


def test_excel_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffid,prompt,expected\r\nx1,Say yes,yes\r\nx2,Say no,no\r\n".encode())
    golden = load_golden_set(path)
    assert [(c.id, c.line, c.expected) for c in golden] == [("x1", 2, {"value": "yes"}), ("x2", 3, {"value": "no"})]
