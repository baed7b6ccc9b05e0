"""Scorers: the registry, the built-ins, judges, similarity and custom Python scorers.

Importing this package registers every built-in type.
"""

from modelswap.evals.scorers import builtin, custom, judge, similarity, structured
from modelswap.evals.scorers.base import (
    Comparison,
    Embedder,
    PairwiseScorer,
    Score,
    Scorer,
    ScorerContext,
    SyncScorer,
    spec_of,
)
from modelswap.evals.scorers.registry import (
    build_pairwise_scorer,
    build_scorer,
    check_spec,
    registered,
    scorer,
)

__all__ = [
    "Comparison",
    "Embedder",
    "PairwiseScorer",
    "Score",
    "Scorer",
    "ScorerContext",
    "SyncScorer",
    "build_pairwise_scorer",
    "build_scorer",
    "builtin",
    "check_spec",
    "custom",
    "judge",
    "registered",
    "scorer",
    "similarity",
    "spec_of",
    "structured",
]
