"""The python scorer: a function found by dotted path, returning bool, float, Score or a dict."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelswap.evals import Case, Output, ScorerSpecError, build_scorer, score_case, spec_of

CASE = Case(id="c-42", workload="w", messages=({"role": "user", "content": "q"},), expected={"value": "thanks a lot"})


@pytest.fixture(autouse=True)
def _importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))


async def test_bool_result() -> None:
    scorer = build_scorer({"type": "python", "function": "sample_scorers:is_polite"})
    assert (await scorer.score(CASE, Output(text="Thank you!"))).passed is True
    failed = await scorer.score(CASE, Output(text="No."))
    assert (failed.passed, failed.score, failed.reason) == (False, 0.0, "sample_scorers:is_polite returned False")


async def test_float_result_with_args_and_threshold() -> None:
    spec = {"type": "python", "function": "sample_scorers:word_overlap", "args": {"field": "value"}, "threshold": 0.6}
    scorer = build_scorer(spec)
    score = await scorer.score(CASE, Output(text="thanks a bunch"))
    assert score.score == pytest.approx(2 / 3) and score.passed is True
    measured = await build_scorer({"type": "python", "function": "sample_scorers:word_overlap"}).score(
        CASE, Output(text="nothing")
    )
    assert (measured.passed, measured.score) == (None, 0.0)


async def test_async_function_returning_a_score_gets_the_spec() -> None:
    scorer = build_scorer({"type": "python", "function": "sample_scorers:mentions_case_id"})
    score = await scorer.score(CASE, Output(text="answer to c-42"))
    assert score.passed is True and score.spec == spec_of(scorer) and score.name == "python"


async def test_promptfoo_style_dict() -> None:
    score = await build_scorer({"type": "python", "function": "sample_scorers:graded"}).score(CASE, Output(text="x"))
    assert (score.passed, score.score, score.reason) == (True, 0.5, "non-empty")


async def test_unreadable_result_is_reported_by_score_case() -> None:
    case = Case(
        id="c",
        workload="w",
        messages=CASE.messages,
        assertions=({"type": "python", "function": "sample_scorers:broken"},),
    )
    (score,) = await score_case(case, Output(text="x"))
    assert score.passed is None and "returned str; expected bool, float, Score or dict" in score.reason


def test_round_trip() -> None:
    scorer = build_scorer({"type": "python", "function": "sample_scorers:word_overlap", "args": {"field": "value"}})
    assert build_scorer(spec_of(scorer)) == scorer


@pytest.mark.parametrize(
    ("function", "message"),
    [
        ("sample_scorers.is_polite", "should look like 'package.module:function'"),
        ("no_such_module_xyz:f", "cannot import module 'no_such_module_xyz'"),
        ("sample_scorers:missing", "module 'sample_scorers' has no 'missing'"),
        ("sample_scorers:NOT_CALLABLE", "is not callable"),
    ],
)
def test_bad_references_are_spec_errors(function: str, message: str) -> None:
    with pytest.raises(ScorerSpecError, match=message):
        build_scorer({"type": "python", "function": function})
