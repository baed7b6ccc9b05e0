"""The classifier signal: route on the request alone, with a model trained on past cases.

``{type: classifier, path: triage-router.json}`` (a path relative to the migration file) loads
the artefact ``modelswap route train`` wrote (``routing/classifier.py``); the confidence is the
predicted probability that the cheap model answers well. It needs no answer, so a cascade using
it decides before calling anyone and streams the chosen model directly (``streaming: classify``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from modelswap.routing.classifier import ClassifierModel, load
from modelswap.routing.signal_base import Ask, Exchange, signal

__all__ = ["Classifier"]


@signal("classifier")
@dataclass(frozen=True, kw_only=True)
class Classifier:
    """Keep the cheap model for requests the trained classifier expects it to answer well."""

    needs_answer: ClassVar[bool] = False
    path: str
    """The artefact written by ``modelswap route train``."""
    _model: ClassifierModel = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_model", load(Path(self.path)))

    @property
    def model(self) -> ClassifierModel:
        """The loaded artefact (what it was trained on included)."""
        return self._model

    async def confidence(self, exchange: Exchange, ask: Ask | None) -> float:
        """P(the cheap model answers this request well)."""
        return self._model.predict(exchange.request)
