"""Golden sets and scorers: load a workload's golden cases, score a model's answers to them.

>>> golden = load_golden_set("golden/triage.jsonl")            # doctest: +SKIP
>>> scores = await score_case(golden.cases[0], Output.from_openai(response))  # doctest: +SKIP
"""

from modelswap.evals.case import Case, GoldenSet
from modelswap.evals.dataset import load_golden_set
from modelswap.evals.errors import GoldenSetError, Problem, ScorerSpecError
from modelswap.evals.output import Output, ToolCall
from modelswap.evals.scorers import (
    Comparison,
    Embedder,
    PairwiseScorer,
    Score,
    Scorer,
    ScorerContext,
    SyncScorer,
    build_pairwise_scorer,
    build_scorer,
    check_spec,
    registered,
    scorer,
    spec_of,
)
from modelswap.evals.scoring import case_passed, case_scorers, score_case

__all__ = [
    "Case",
    "Comparison",
    "Embedder",
    "GoldenSet",
    "GoldenSetError",
    "Output",
    "PairwiseScorer",
    "Problem",
    "Score",
    "Scorer",
    "ScorerContext",
    "ScorerSpecError",
    "SyncScorer",
    "ToolCall",
    "build_pairwise_scorer",
    "build_scorer",
    "case_passed",
    "case_scorers",
    "check_spec",
    "load_golden_set",
    "registered",
    "score_case",
    "scorer",
    "spec_of",
]
