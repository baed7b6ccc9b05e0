"""The routing classifier: features, training (checked against scikit-learn itself), the artefact."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from sklearn.linear_model import LogisticRegression

from modelswap.routing.classifier import ClassifierError, features, load, save, train
from modelswap.routing.signal import Exchange, build_signal


def request(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **extra}


def cases(n: int = 200, seed: int = 3) -> list[tuple[dict[str, Any], bool]]:
    """Short requests the cheap model gets right; long ones with tools it gets wrong (mostly)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        hard = rng.random() < 0.5
        words = " ".join(
            rng.choice(["printer", "refund", "login", "invoice", "crash"]) for _ in range(40 if hard else 4)
        )
        body = request(words, tools=[{"type": "function", "function": {"name": "f"}}]) if hard else request(words)
        ok = (not hard) if rng.random() < 0.9 else hard
        out.append((body, ok))
    return out


def test_features_see_size_tools_and_json_output() -> None:
    plain = features(request("hi"), 8)
    rich = features(request("hi? ```x```", tools=[{}], response_format={"type": "json_schema"}), 8)
    assert len(plain) == len(rich) == 8 + 8
    assert (plain[4], rich[4]) == (0.0, 1.0), "tools"
    assert (plain[5], rich[5]) == (0.0, 1.0), "JSON output"
    assert (plain[6], rich[6]) == (0.0, 1.0), "code"
    assert sum(plain[8:]) == 1.0, "one word, one bucket"


def test_it_learns_which_requests_the_cheap_model_handles() -> None:
    model = train(cases(), hash_buckets=16)
    easy = model.predict(request("printer crash now"))
    hard = model.predict(request(" ".join(["invoice refund"] * 20), tools=[{"type": "function"}]))
    assert easy > 0.7 > 0.3 > hard
    assert (model.trained_on, model.cheap_ok) == (200, sum(ok for _, ok in cases()))


def test_its_probabilities_are_scikit_learns_on_the_same_data() -> None:
    data = cases(120, seed=9)
    model = train(data, hash_buckets=8, regularisation=0.5)
    rows = [features(r, 8) for r, _ in data]
    scaled = [[(v - m) / s for v, m, s in zip(row, model.mean, model.scale, strict=True)] for row in rows]
    reference = LogisticRegression(C=0.5, max_iter=2000).fit(scaled, [ok for _, ok in data])
    expected = reference.predict_proba(scaled)[:, 1]
    assert [model.predict(r) for r, _ in data] == pytest.approx(list(expected), abs=1e-9)


def test_training_needs_both_outcomes() -> None:
    with pytest.raises(ClassifierError, match="right and cases it got wrong"):
        train([(request("a"), True), (request("b"), True)])


def test_the_artefact_round_trips_and_a_mismatch_is_refused(tmp_path: Path) -> None:
    model = train(cases(80), hash_buckets=8)
    path = tmp_path / "router.json"
    save(model, path)
    assert load(path) == model
    doc = json.loads(path.read_text())
    for change, words in [
        ({"version": 99}, "format version 99, but this modelswap reads version 1; retrain"),
        ({"features": doc["features"][:-1]}, "feature spec differs"),
        ({"format": "something-else"}, "not a modelswap router classifier"),
        ({"coef": doc["coef"][:-1]}, "must each hold 16 numbers"),
    ]:
        path.write_text(json.dumps({**doc, **change}))
        with pytest.raises(ClassifierError, match=words):
            load(path)
    path.write_text("{not json")
    with pytest.raises(ClassifierError, match="invalid JSON"):
        load(path)


async def test_the_signal_rates_the_request_before_any_answer(tmp_path: Path) -> None:
    path = tmp_path / "router.json"
    save(train(cases(), hash_buckets=16), path)
    signal = build_signal({"type": "classifier", "path": str(path)})
    assert signal.needs_answer is False
    easy = await signal.confidence(Exchange(request("login crash"), None), None)
    hard = await signal.confidence(Exchange(request(" ".join(["refund"] * 40), tools=[{}]), None), None)
    assert easy > hard


def test_a_missing_artefact_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read the classifier"):
        build_signal({"type": "classifier", "path": str(tmp_path / "none.json")})
