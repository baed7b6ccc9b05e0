"""The Pareto front and the pick, on plain values and on generated ones (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.choose.ranking import CandidateFigures, Estimate, cheapest_passing, dominates, pareto_front, rank

VERDICTS = ("PASS", "FAIL", "INCONCLUSIVE")


def cand(
    name: str, rate: float | None, cost: float | None, p95: float | None, verdict: str = "PASS"
) -> CandidateFigures:
    return CandidateFigures(name, name, 100, 0, Estimate(rate), Estimate(None), Estimate(cost), Estimate(p95), verdict)


def test_a_cheaper_faster_better_candidate_dominates_and_the_front_keeps_the_trade_offs() -> None:
    strong = cand("strong", 0.95, 0.010, 900)
    cheap = cand("cheap", 0.85, 0.001, 300)
    worse = cand("worse", 0.84, 0.002, 400)  # cheap beats it on all three
    assert dominates(cheap, worse) and not dominates(strong, cheap) and not dominates(cheap, strong)
    assert pareto_front([strong, cheap, worse]) == ["strong", "cheap"]


def test_a_missing_figure_counts_as_the_worst() -> None:
    answered = cand("answered", 0.5, 0.01, 500)
    failed = cand("failed", None, None, None)  # every call failed
    assert dominates(answered, failed) and not dominates(failed, answered)
    assert pareto_front([answered, failed]) == ["answered"]


def test_the_pick_is_the_cheapest_that_passes_every_gate_and_ranks_first() -> None:
    items = [
        cand("dear", 0.96, 0.02, 800),
        cand("cheapest-but-failing", 0.70, 0.001, 200, "FAIL"),
        cand("cheap-enough", 0.93, 0.005, 900),
        cand("unsure", 0.95, 0.004, 700, "INCONCLUSIVE"),
    ]
    ranking = rank("w", items)
    assert ranking.pick == "cheap-enough"
    assert [r.figures.name for r in ranking.rows] == ["cheap-enough", "dear", "unsure", "cheapest-but-failing"]
    assert [r.rank for r in ranking.rows] == [1, 2, 3, 4]
    assert [r.picked for r in ranking.rows] == [True, False, False, False]


def test_no_passing_candidate_means_no_pick() -> None:
    ranking = rank("w", [cand("a", 0.9, 0.01, 100, "FAIL"), cand("b", 0.8, 0.001, 50, "INCONCLUSIVE")])
    assert ranking.pick is None and not any(r.picked for r in ranking.rows)


def test_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        rank("w", [cand("a", 0.9, 0.01, 100), cand("a", 0.8, 0.001, 50)])


maybe = st.one_of(st.none(), st.floats(0, 1, allow_nan=False))
candidates = st.lists(
    st.tuples(maybe, maybe, st.one_of(st.none(), st.floats(1, 5000, allow_nan=False)), st.sampled_from(VERDICTS)),
    min_size=1,
    max_size=8,
).map(lambda rows: [cand(f"c{i}", *row) for i, row in enumerate(rows)])


@given(candidates)
def test_the_front_never_holds_a_dominated_point_and_every_other_point_is_dominated(
    items: list[CandidateFigures],
) -> None:
    front = set(pareto_front(items))
    assert front, "a non-empty set always has a front"
    for a in items:
        dominated = any(dominates(b, a) for b in items if b is not a)
        assert (a.name in front) == (not dominated)


@given(candidates)
def test_the_pick_passes_every_gate_and_no_passing_candidate_is_cheaper(items: list[CandidateFigures]) -> None:
    pick = cheapest_passing(items)
    passing = [f for f in items if f.verdict == "PASS"]
    if not passing:
        assert pick is None
        return
    chosen = next(f for f in items if f.name == pick)
    assert chosen.verdict == "PASS"
    cost = chosen.cost.value if chosen.cost.value is not None else float("inf")
    assert all(cost <= (f.cost.value if f.cost.value is not None else float("inf")) for f in passing)
    ranking = rank("w", items)
    assert ranking.rows[0].figures.name == pick and ranking.rows[0].picked
