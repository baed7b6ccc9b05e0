"""score_case: the case's assertions plus workload scorers, failed calls, crashing scorers, unique names."""

from __future__ import annotations

from dataclasses import dataclass

from modelswap.evals import Case, Output, Score, build_scorer, case_passed, score_case, scorer
from modelswap.evals.scorers.base import SyncScorer

CASE = Case(
    id="x1",
    workload="extraction",
    messages=({"role": "user", "content": "Extract"},),
    expected={"name": "Ada", "amount": 5},
    assertions=(
        {"type": "json_field", "path": "name", "value": "Ada"},
        {"type": "json_field", "path": "amount", "value": 5},
    ),
)
GOOD = Output(text='{"name": "Ada", "amount": 5}', latency_ms=80.0)


async def test_assertions_then_extra_scorers_with_unique_names() -> None:
    extra = [build_scorer({"type": "json_valid"}), build_scorer({"type": "latency", "max_ms": 50})]
    scores = await score_case(CASE, GOOD, extra)
    assert [s.name for s in scores] == ["json_field#1", "json_field#2", "json_valid", "latency"]
    assert [s.passed for s in scores] == [True, True, True, False]
    assert case_passed(scores) is False
    assert scores[0].to_dict()["spec"] == {"type": "json_field", "path": "name", "value": "Ada", "extract": False}


async def test_a_failed_call_fails_every_scorer() -> None:
    scores = await score_case(CASE, Output.from_error(TimeoutError("no answer in 30 s")))
    assert [s.passed for s in scores] == [False, False]
    assert scores[0].reason == "no answer: TimeoutError: no answer in 30 s"


@scorer("test_explodes")
@dataclass(frozen=True, kw_only=True)
class Explodes(SyncScorer):
    """A scorer with a bug."""

    def check(self, case: Case, output: Output) -> Score:
        raise ZeroDivisionError("oops")


async def test_a_crashing_scorer_does_not_sink_the_others() -> None:
    scores = await score_case(CASE, GOOD, [Explodes()])
    assert [s.passed for s in scores] == [True, True, None]
    assert scores[2].reason == "scorer raised ZeroDivisionError: oops" and scores[2].name == "test_explodes"
    assert case_passed(scores) is None


def test_case_passed() -> None:
    ok = Score(True, 1.0, "", {})
    assert case_passed([ok, ok]) is True
    assert case_passed([]) is None
    assert case_passed([ok, Score(None, None, "", {}), Score(False, 0.0, "", {})]) is False
