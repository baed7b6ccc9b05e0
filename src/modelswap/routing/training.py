"""Training data for the classifier signal: the seeded split of the replay's labels (the same split
``route calibrate`` uses, so it verifies on cases the classifier never saw), how well a trained model
ranks held-out cases (AUC: the chance a case the cheap model passed is rated above one it failed),
and the check that refuses a verification split the classifier was trained on. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from modelswap.routing.calibrate import split_ids
from modelswap.routing.classifier import ClassifierModel, TrainedSplit
from modelswap.routing.signal import Json, Signal
from modelswap.routing.signals.classifier import Classifier

__all__ = ["classifier_of", "held_out_auc", "seen_in_verification", "split_labels"]

Labelled = tuple[Json, bool]


def split_labels(
    case_ids: Sequence[str], labels: Sequence[Labelled], share: float, seed: int
) -> tuple[list[Labelled], list[Labelled], TrainedSplit]:
    """``labels`` (one per case id, in the same order) cut as ``split_ids`` cuts the ids: (train: split A,
    measure: split B, the split to store with the artefact)."""
    if len(case_ids) != len(labels):
        raise ValueError(f"{len(case_ids)} case ids for {len(labels)} labels")
    by_id = dict(zip(case_ids, labels, strict=True))
    ids_a, ids_b = split_ids(list(by_id), share, seed)
    return [by_id[i] for i in ids_a], [by_id[i] for i in ids_b], TrainedSplit(seed, share, tuple(ids_a))


def classifier_of(signal: Signal) -> ClassifierModel | None:
    """The trained model behind a classifier signal (None: the signal is of another kind)."""
    return signal.model if isinstance(signal, Classifier) else None


def seen_in_verification(model: ClassifierModel, verify_ids: Sequence[str], source: str) -> str | None:
    """Why a calibration must not verify on ``verify_ids`` with this classifier (None: it never saw them).

    ``source`` names the artefact in the message."""
    split = model.split
    if split is None:
        return (
            f"{source} does not record which golden cases it was trained on: retrain it with "
            "`modelswap route train` so calibrate can verify on cases it never saw"
        )
    seen = set(split.case_ids).intersection(verify_ids)
    if not seen:
        return None
    return (
        f"{len(seen)} of the {len(verify_ids)} cases the threshold would be verified on trained the classifier "
        f"in {source} (trained with --seed {split.seed} --split {split.share:g}): calibrate with the same "
        "--seed and --split, or retrain it (the golden set may have changed since)"
    )


def held_out_auc(model: ClassifierModel, labels: Sequence[Labelled]) -> float | None:
    """Area under the ROC curve on ``labels`` (ties count half); None without both kinds of case."""
    right = [model.predict(r) for r, ok in labels if ok]
    wrong = [model.predict(r) for r, ok in labels if not ok]
    if not right or not wrong:
        return None
    wins = sum((a > b) + 0.5 * (a == b) for a in right for b in wrong)
    return wins / (len(right) * len(wrong))
