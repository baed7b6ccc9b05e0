"""Classifier training data: the seeded split and the held-out AUC."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from modelswap.routing.calibrate import CaseOutcome, split_cases
from modelswap.routing.classifier import TrainedSplit, load, save, train
from modelswap.routing.training import held_out_auc, seen_in_verification, split_labels


def _request(text: str) -> dict[str, object]:
    return {"model": "m", "messages": [{"role": "user", "content": text}]}


def test_a_learnable_rule_ranks_held_out_cases_well_and_noise_does_not_pass_as_signal() -> None:
    # The cheap model fails exactly the long requests: a rule the request features can see.
    labels = [
        (_request("short question " + "word " * (40 if i % 3 == 0 else 1) + str(i)), i % 3 != 0) for i in range(120)
    ]
    ids = [f"c{i}" for i in range(120)]
    fit_on, measure_on, _ = split_labels(ids, labels, 0.5, seed=1)
    auc = held_out_auc(train(fit_on), measure_on)
    assert auc is not None and auc > 0.9
    same = [(_request(f"question {i}"), i % 2 == 0) for i in range(120)]
    fit_on, measure_on, _ = split_labels(ids, same, 0.5, seed=1)
    noise = held_out_auc(train(fit_on), measure_on)
    assert noise is not None and noise < 0.8


def test_auc_needs_both_kinds_and_the_split_is_seeded() -> None:
    labels = [(_request(f"q {i}"), True) for i in range(10)]
    model = train([(_request("a"), True), (_request("b " * 30), False)])
    assert held_out_auc(model, labels) is None
    ids = [f"c{i}" for i in range(10)]
    assert split_labels(ids, labels, 0.5, 3) == split_labels(ids, labels, 0.5, 3)
    with pytest.raises(ValueError, match="in \\(0, 1\\)"):
        split_labels(ids, labels, 0.0, 3)


def _outcome(case_id: str) -> CaseOutcome:
    return CaseOutcome(case_id, True, True, 1.0, 2.0, 0.5)


def test_train_fits_on_split_a_of_calibrate_and_calibrate_verifies_on_cases_it_never_saw(tmp_path: Path) -> None:
    ids = [f"case-{i:03d}" for i in range(60)]
    labels = [(_request(f"q {i} " + "w " * (i % 7)), i % 3 != 0) for i in range(60)]
    fit_on, measure_on, trained = split_labels(ids, labels, 0.5, seed=4)
    pick_on, verify_on = split_cases([_outcome(i) for i in reversed(ids)], 0.5, seed=4)  # any order: same split
    assert sorted(trained.case_ids) == sorted(c.case_id for c in pick_on)
    by_id = dict(zip(ids, labels, strict=True))
    assert fit_on == [by_id[i] for i in trained.case_ids] and len(measure_on) == len(verify_on) == 30

    path = tmp_path / "router.json"
    save(replace(train(fit_on), split=trained), path)
    model = load(path)
    assert model.split == TrainedSplit(4, 0.5, trained.case_ids)
    assert seen_in_verification(model, [c.case_id for c in verify_on], "router.json") is None
    _, other_b = split_cases([_outcome(i) for i in ids], 0.5, seed=5)
    overlap = set(trained.case_ids) & {c.case_id for c in other_b}
    refused = seen_in_verification(model, [c.case_id for c in other_b], "router.json")
    assert overlap and refused is not None
    assert refused.startswith(f"{len(overlap)} of the 30 cases") and "--seed 4 --split 0.5" in refused


def test_an_artefact_that_does_not_say_what_it_was_trained_on_is_refused() -> None:
    model = train([(_request("a"), True), (_request("b " * 30), False)])
    refused = seen_in_verification(model, ["x"], "old-router.json")
    assert refused is not None and "old-router.json does not record" in refused and "route train" in refused
