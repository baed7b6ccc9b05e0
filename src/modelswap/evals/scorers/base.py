"""What a scorer is: the ``Scorer`` protocol, its ``Score``, and the canonical spec of a scorer.

A scorer is a frozen dataclass registered by name (see ``registry``); its spec fields are its
parameters, so ``spec_of(s)`` (``{"type": "regex", "pattern": ..., ...}``, every parameter
spelled out) rebuilds an equal scorer and is stored with every result it produces. Fields that
are not parameters — the build context, compiled patterns — are ``init=False`` or marked
``metadata={"context": True}`` and never appear in a spec.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from modelswap.providers.base import Upstream

if TYPE_CHECKING:
    from modelswap.evals.case import Case
    from modelswap.evals.output import Output

Json = dict[str, Any]
Embedder = Callable[[Sequence[str]], Any]
"""Texts → one embedding vector per text (any array-like of shape (n, d))."""

Outcome = Literal["win", "tie", "loss"]


@dataclass(frozen=True)
class Score:
    """One scorer's verdict on one output.

    ``passed`` is None when the scorer could not decide (no reference, judge unreachable) or
    only measures (a similarity without threshold). ``score`` is in [0, 1] for every built-in.
    ``name`` is the scorer type; ``score_case`` makes it unique within a case (``json_field#2``).
    """

    passed: bool | None
    score: float | None
    reason: str
    spec: Json
    name: str = ""
    details: Json = field(default_factory=dict)

    def to_dict(self) -> Json:
        """A JSON-able form for storage."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Comparison:
    """A pairwise verdict of ``new`` against ``old``: ``win`` means the new output is better.

    ``outcome`` is None when the judge could not decide (unreachable, unparseable).
    ``score`` is the mean preference for new over both orders, in [-1, 1].
    """

    outcome: Outcome | None
    score: float | None
    reason: str
    spec: Json
    details: Json = field(default_factory=dict)


@dataclass(frozen=True)
class ScorerContext:
    """What some scorers need beyond their spec, given at build time: a judge model, an embedder."""

    judge: Upstream | None = None
    embedder: Embedder | None = None


@runtime_checkable
class Scorer(Protocol):
    """Scores one output for one case."""

    async def score(self, case: Case, output: Output) -> Score: ...


@runtime_checkable
class PairwiseScorer(Protocol):
    """Compares two outputs (old model's, new model's) for one case."""

    async def compare(self, case: Case, old: Output, new: Output) -> Comparison: ...


CONTEXT: dict[str, Any] = {"context": True}
"""Field metadata marking the field that receives the ``ScorerContext``: declare it as
``context: ScorerContext | None = field(default=None, compare=False, repr=False, metadata=CONTEXT)``."""


def spec_fields(cls: type) -> list[dataclasses.Field[Any]]:
    """The fields of a scorer class that are parameters (appear in its spec)."""
    return [f for f in dataclasses.fields(cls) if f.init and not f.metadata.get("context")]


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def spec_of(scorer: object) -> Json:
    """The canonical spec of a registered scorer: its type and every parameter."""
    name = getattr(type(scorer), "scorer_type", None)
    if name is None or not dataclasses.is_dataclass(scorer):
        raise TypeError(f"{type(scorer).__name__} is not a registered scorer (use @scorer on a dataclass)")
    return {"type": name, **{f.name: _plain(getattr(scorer, f.name)) for f in spec_fields(type(scorer))}}


class SyncScorer:
    """Base of scorers whose decision is pure: implement ``check``; ``score`` awaits nothing."""

    def check(self, case: Case, output: Output) -> Score:
        raise NotImplementedError

    async def score(self, case: Case, output: Output) -> Score:
        return self.check(case, output)

    def verdict(self, passed: bool | None, reason: str, score: float | None = None, **details: Any) -> Score:
        """A ``Score`` from this scorer; ``score`` defaults to 1.0/0.0 from ``passed``."""
        if score is None and passed is not None:
            score = 1.0 if passed else 0.0
        spec = spec_of(self)
        return Score(passed, score, reason, spec, spec["type"], details)


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters for a reason string."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip(text: str, limit: int = 80) -> str:
    """``text`` shortened and quoted for a reason string."""
    return repr(shorten(text, limit))
