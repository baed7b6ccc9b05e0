"""Classifier training data: the seeded split and the held-out AUC."""

from __future__ import annotations

import pytest

from modelswap.routing.classifier import train
from modelswap.routing.training import held_out_auc, split_labels


def _request(text: str) -> dict[str, object]:
    return {"model": "m", "messages": [{"role": "user", "content": text}]}


def test_a_learnable_rule_ranks_held_out_cases_well_and_noise_does_not_pass_as_signal() -> None:
    # The cheap model fails exactly the long requests: a rule the request features can see.
    labels = [
        (_request("short question " + "word " * (40 if i % 3 == 0 else 1) + str(i)), i % 3 != 0) for i in range(120)
    ]
    fit_on, measure_on = split_labels(labels, 0.5, seed=1)
    auc = held_out_auc(train(fit_on), measure_on)
    assert auc is not None and auc > 0.9
    same = [(_request(f"question {i}"), i % 2 == 0) for i in range(120)]
    fit_on, measure_on = split_labels(same, 0.5, seed=1)
    noise = held_out_auc(train(fit_on), measure_on)
    assert noise is not None and noise < 0.8


def test_auc_needs_both_kinds_and_the_split_is_seeded() -> None:
    labels = [(_request(f"q {i}"), True) for i in range(10)]
    model = train([(_request("a"), True), (_request("b " * 30), False)])
    assert held_out_auc(model, labels) is None
    assert split_labels(labels, 0.5, 3) == split_labels(labels, 0.5, 3)
    with pytest.raises(ValueError, match="in \\(0, 1\\)"):
        split_labels(labels, 0.0, 3)
