"""A small logistic regression that says, from the request alone, whether the cheap model will do.

Trained offline (``train``) on a workload's recorded or golden cases — each a Chat Completions
request and whether the cheap model's answer was good enough — it lets a cascade route before
any model is called, so a streamed answer flows straight from the chosen model. Features are
cheap to compute: sizes, message count, tools and JSON output asked for, code in the prompt, and
hashed words of the last user message. The model is stored as JSON with its format version and
feature spec; ``load`` refuses an artefact whose features this modelswap does not compute.
Prediction is plain arithmetic; only training needs scikit-learn.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ClassifierError",
    "ClassifierModel",
    "TrainedSplit",
    "features",
    "load",
    "save",
    "train",
]

Json = dict[str, Any]

FORMAT = "modelswap-router-classifier"
FORMAT_VERSION = 1
"""Bumped whenever the features change: an artefact of another version is refused, not misread."""
BASE_FEATURES = (
    "log_prompt_chars",
    "log_messages",
    "log_last_user_chars",
    "has_system",
    "has_tools",
    "json_output",
    "has_code",
    "question_marks",
)
_WORD = re.compile(r"[a-z0-9]+")


class ClassifierError(ValueError):
    """A classifier cannot be trained, or an artefact cannot be loaded."""


@dataclass(frozen=True, slots=True)
class TrainedSplit:
    """Which golden cases a classifier was fitted on: split A of ``routing.calibrate.split_ids`` with
    this seed and share (``route calibrate`` must verify on cases outside it)."""

    seed: int
    share: float
    case_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClassifierModel:
    """Standardised features → logistic regression weights; ``predict`` is P(the cheap model will do)."""

    hash_buckets: int
    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    trained_on: int = 0
    cheap_ok: int = 0
    split: TrainedSplit | None = None
    """The golden cases it was fitted on (None: an artefact written before modelswap recorded them)."""

    def predict(self, request: Json) -> float:
        """The probability the cheap model answers ``request`` well enough."""
        x = features(request, self.hash_buckets)
        z = self.intercept + sum(
            w * (v - m) / s for w, v, m, s in zip(self.coef, x, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))

    def feature_names(self) -> list[str]:
        """The name of each feature, in order."""
        return feature_names(self.hash_buckets)


def feature_names(hash_buckets: int) -> list[str]:
    """The feature spec: base features, then one per word bucket."""
    return [*BASE_FEATURES, *(f"word_{i}" for i in range(hash_buckets))]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def features(request: Json, hash_buckets: int) -> list[float]:
    """The feature vector of a Chat Completions request (see ``feature_names``)."""
    messages = [m for m in request.get("messages") or () if isinstance(m, dict)]
    texts = [_text(m.get("content")) for m in messages]
    users = [t for m, t in zip(messages, texts, strict=True) if m.get("role") == "user"]
    last = users[-1] if users else ""
    fmt = request.get("response_format") if isinstance(request.get("response_format"), dict) else {}
    prompt = "".join(texts)
    base = [
        math.log1p(len(prompt)),
        math.log1p(len(messages)),
        math.log1p(len(last)),
        float(any(m.get("role") in ("system", "developer") for m in messages)),
        float(bool(request.get("tools"))),
        float(str((fmt or {}).get("type", "")).startswith("json")),
        float("```" in prompt),
        math.log1p(prompt.count("?")),
    ]
    buckets = [0.0] * hash_buckets
    for word in set(_WORD.findall(last.casefold())):
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        buckets[int.from_bytes(digest, "big") % hash_buckets] = 1.0
    return base + buckets


def train(
    cases: Sequence[tuple[Json, bool]], *, hash_buckets: int = 64, regularisation: float = 1.0
) -> ClassifierModel:
    """Fit the classifier on (request, the cheap answer was good enough) pairs (L2 logistic regression)."""
    from sklearn.linear_model import LogisticRegression

    labels = [bool(ok) for _, ok in cases]
    if len(set(labels)) < 2:
        raise ClassifierError(
            f"training needs cases the cheap model got right and cases it got wrong; got {len(labels)} "
            f"case(s), {sum(labels)} right"
        )
    rows = [features(request, hash_buckets) for request, _ in cases]
    columns = list(zip(*rows, strict=True))
    mean = [sum(c) / len(c) for c in columns]
    scale = [math.sqrt(sum((v - m) ** 2 for v in c) / len(c)) or 1.0 for c, m in zip(columns, mean, strict=True)]
    scaled = [[(v - m) / s for v, m, s in zip(row, mean, scale, strict=True)] for row in rows]
    fit = LogisticRegression(C=regularisation, max_iter=2000).fit(scaled, labels)
    return ClassifierModel(
        hash_buckets,
        tuple(float(w) for w in fit.coef_[0]),
        float(fit.intercept_[0]),
        tuple(mean),
        tuple(scale),
        trained_on=len(labels),
        cheap_ok=sum(labels),
    )


def save(model: ClassifierModel, path: Path) -> None:
    """Write the artefact (JSON with its format, version and feature spec)."""
    doc: Json = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "features": model.feature_names(),
        "hash_buckets": model.hash_buckets,
        "coef": list(model.coef),
        "intercept": model.intercept,
        "mean": list(model.mean),
        "scale": list(model.scale),
        "trained_on": model.trained_on,
        "cheap_ok": model.cheap_ok,
    }
    if model.split is not None:
        s = model.split
        doc["split"] = {"seed": s.seed, "share": s.share, "case_ids": list(s.case_ids)}
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def load(path: Path) -> ClassifierModel:
    """Read an artefact written by ``save``; a different version or feature spec is refused clearly."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClassifierError(f"{path}: cannot read the classifier: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ClassifierError(f"{path}: not a classifier artefact (invalid JSON: {exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ClassifierError(f"{path}: not a modelswap router classifier (no format {FORMAT!r})")
    if doc.get("version") != FORMAT_VERSION:
        raise ClassifierError(
            f"{path}: classifier format version {doc.get('version')!r}, but this modelswap reads version "
            f"{FORMAT_VERSION}; retrain it with `modelswap route train`"
        )
    buckets = doc.get("hash_buckets")
    if not isinstance(buckets, int) or doc.get("features") != feature_names(buckets):
        raise ClassifierError(f"{path}: its feature spec differs from the one this modelswap computes; retrain it")
    try:
        vectors = [tuple(float(v) for v in doc[k]) for k in ("coef", "mean", "scale")]
        intercept = float(doc["intercept"])
    except (KeyError, TypeError, ValueError):
        raise ClassifierError(f"{path}: coef, mean, scale and intercept must be numbers") from None
    width = len(doc["features"])
    if any(len(v) != width for v in vectors) or any(s <= 0 for s in vectors[2]):
        raise ClassifierError(f"{path}: coef, mean and scale must each hold {width} numbers (scale > 0)")
    return ClassifierModel(
        buckets,
        vectors[0],
        intercept,
        vectors[1],
        vectors[2],
        int(doc.get("trained_on", 0)),
        int(doc.get("cheap_ok", 0)),
        _split(doc.get("split"), path),
    )


def _split(doc: Any, path: Path) -> TrainedSplit | None:
    if doc is None:
        return None
    ids = doc.get("case_ids") if isinstance(doc, dict) else None
    seed, share = (doc.get("seed"), doc.get("share")) if isinstance(doc, dict) else (None, None)
    if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids) and isinstance(seed, int)
            and isinstance(share, int | float)):  # fmt: skip
        raise ClassifierError(f"{path}: split must hold seed (integer), share (number) and case_ids (strings)")
    return TrainedSplit(seed, float(share), tuple(ids))
