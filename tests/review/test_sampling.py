"""Drawing the review set: allocation, exact inclusion probabilities, weights that add up to the traffic."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.review.sampling import Candidate, allocate, draw_sample, inclusion_probabilities, systematic_pps


def test_allocation_gives_each_workload_its_floor_then_shares_by_volume() -> None:
    assert allocate({"chat": 9000, "triage": 900, "rare": 8}, 200, floor=20) == {"chat": 158, "triage": 34, "rare": 8}
    assert allocate({"a": 5, "b": 5}, 200, floor=20) == {"a": 5, "b": 5}
    assert allocate({"a": 100, "b": 100, "c": 100}, 30, floor=20) == {"a": 10, "b": 10, "c": 10}


@given(
    st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 500), max_size=6), st.integers(0, 400), st.integers(0, 50)
)
def test_allocation_totals_and_caps(population: dict[str, int], size: int, floor: int) -> None:
    out = allocate(population, size, floor)
    assert sum(out.values()) == min(size, sum(population.values()))
    assert all(0 <= out[w] <= population[w] for w in population)


def test_inclusion_probabilities_cap_at_one_and_sum_to_n() -> None:
    pi = inclusion_probabilities([1, 1, 1, 100], 2)
    assert pi.tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1.0])


def test_systematic_pps_realises_the_probabilities() -> None:
    pi = inclusion_probabilities([1, 2, 3, 4, 10], 2)
    rng = np.random.default_rng(1)
    counts = np.zeros(5)
    runs = 20_000
    for _ in range(runs):
        picked = systematic_pps(pi, rng)
        assert len(set(picked.tolist())) == 2
        counts[picked] += 1
    assert np.allclose(counts / runs, pi, atol=0.015)


def test_draw_oversamples_differing_pairs_and_weights_sum_to_volume() -> None:
    cands = [Candidate(i, "chat" if i % 4 else "triage", 1.0 if i % 10 == 0 else 0.0) for i in range(4000)]
    s = draw_sample(cands, size=200, floor=20, seed=3, excluded_no_body=12)
    assert len(s.pairs) == 200 and s.excluded_no_body == 12
    assert s.population == {"chat": 3000, "triage": 1000}
    for w in ("chat", "triage"):
        weights = sum(d.weight for d in s.pairs if d.workload == w)
        assert weights == pytest.approx(s.population[w], rel=0.25)
    differing = sum(d.score == 1.0 for d in s.pairs) / len(s.pairs)
    assert differing > 0.2  # 10 % of traffic, about 31 % of the sample
    assert draw_sample(cands, size=200, seed=3).pairs == s.pairs


@given(
    st.lists(st.tuples(st.sampled_from("xyz"), st.floats(0, 1)), max_size=80),
    st.integers(0, 100),
    st.integers(0, 2**31),
)
def test_draw_is_a_set_of_distinct_pairs_within_budget(rows: list[tuple[str, float]], size: int, seed: int) -> None:
    cands = [Candidate(i, w, s) for i, (w, s) in enumerate(rows)]
    s = draw_sample(cands, size=size, floor=5, seed=seed)
    ids = [d.pair_id for d in s.pairs]
    assert len(ids) == len(set(ids)) == min(size, len(rows))
    assert all(0 < d.probability <= 1 and d.weight == pytest.approx(1 / d.probability) for d in s.pairs)
