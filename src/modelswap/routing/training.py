"""Training data for the classifier signal: a seeded split of the replay's labels, and how well a
trained model ranks held-out cases (AUC: the chance a case the cheap model passed is rated above one
it failed). Pure."""

from __future__ import annotations

import random
from collections.abc import Sequence

from modelswap.routing.classifier import ClassifierModel
from modelswap.routing.signal import Json

__all__ = ["held_out_auc", "split_labels"]

Labelled = tuple[Json, bool]


def split_labels(labels: Sequence[Labelled], share: float, seed: int) -> tuple[list[Labelled], list[Labelled]]:
    """A seeded shuffle of ``labels`` cut into (train: ``share``, measure: the rest)."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"split is the share of cases trained on, in (0, 1); got {share}")
    shuffled = list(labels)
    random.Random(seed).shuffle(shuffled)
    cut = round(len(shuffled) * share)
    return shuffled[:cut], shuffled[cut:]


def held_out_auc(model: ClassifierModel, labels: Sequence[Labelled]) -> float | None:
    """Area under the ROC curve on ``labels`` (ties count half); None without both kinds of case."""
    right = [model.predict(r) for r, ok in labels if ok]
    wrong = [model.predict(r) for r, ok in labels if not ok]
    if not right or not wrong:
        return None
    wins = sum((a > b) + 0.5 * (a == b) for a in right for b in wrong)
    return wins / (len(right) * len(wrong))
