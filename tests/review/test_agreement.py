"""Reviewer agreement against published worked examples and statsmodels as an independent implementation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohen
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from modelswap.review import cohen_kappa, conflicts, fleiss_kappa


def test_cohen_kappa_wikipedia_worked_example() -> None:
    # Wikipedia, "Cohen's kappa", Examples / Simple example: 50 grant proposals, two readers;
    # yes/yes 20, yes/no 5, no/yes 10, no/no 15 → p_o = 0.7, p_e = 0.5, kappa = 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_fleiss_kappa_wikipedia_worked_example() -> None:
    # Wikipedia, "Fleiss' kappa", Worked example: 10 subjects, 14 raters, 5 categories;
    # P-bar = 0.378, P_e = 0.213, kappa = 0.210.
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    assert fleiss_kappa(table) == pytest.approx(0.210, abs=5e-4)
    assert fleiss_kappa(table) == pytest.approx(sm_fleiss(np.array(table)))


verdicts = st.sampled_from(["old", "new", "same", "both_bad"])


@given(st.lists(st.tuples(verdicts, verdicts), min_size=2, max_size=60))
def test_cohen_kappa_matches_statsmodels(pairs: list[tuple[str, str]]) -> None:
    a, b = zip(*pairs, strict=True)
    labels = sorted(set(a) | set(b))
    if len(labels) == 1:
        assert cohen_kappa(a, b) == 1.0
        return
    table = np.zeros((len(labels), len(labels)))
    for x, y in pairs:
        table[labels.index(x), labels.index(y)] += 1
    expected = sm_cohen(table, return_results=False)
    if np.isfinite(expected):
        assert cohen_kappa(a, b) == pytest.approx(expected, abs=1e-9)


def test_fleiss_kappa_with_two_raters_is_close_to_scotts_pi() -> None:
    # Two raters who always agree on varied labels: perfect agreement.
    table = [[2, 0, 0], [0, 2, 0], [0, 0, 2], [2, 0, 0]]
    assert fleiss_kappa(table) == pytest.approx(1.0)


def test_bad_tables_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa([[1, 1], [2, 1]])
    with pytest.raises(ValueError, match="same items"):
        cohen_kappa(["a"], ["a", "b"])


def test_conflicts_lists_pairs_with_different_verdicts() -> None:
    by_pair = {3: {"ana": "old", "bo": "new"}, 1: {"ana": "same", "bo": "same"}, 2: {"ana": "new"}}
    assert conflicts(by_pair) == [3]
