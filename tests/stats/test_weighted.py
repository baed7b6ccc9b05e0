"""The weighted share of traffic where the new model is worse: known answers and coverage."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.stats.weighted import effective_size_to_decide, kish_effective_size, worse_share


def test_equal_weights_give_the_published_wilson_interval() -> None:
    # Newcombe (1998), Stat Med 17:857, Table I, example (a): 81 of 263 → Wilson 0.2553 to 0.3662.
    r = worse_share([1] * 81 + [0] * 182)
    assert r.estimate == pytest.approx(81 / 263)
    assert (round(r.lower, 4), round(r.upper, 4)) == (0.2553, 0.3662)
    assert r.n_effective == pytest.approx(263)


def test_weighted_known_answer() -> None:
    # Weights 1, 1, 3, 3; only the first pair worse. Hájek share = 1 / 8; Kish n_eff = 8² / 20 = 3.2.
    r = worse_share([1, 0, 0, 0], [1, 1, 3, 3])
    assert r.estimate == pytest.approx(0.125)
    assert r.n_effective == pytest.approx(3.2)
    # Wilson by hand at p = 0.125, n = 3.2, z = 1.959964.
    z, n, p = 1.959963984540054, 3.2, 0.125
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (r.lower, r.upper) == (pytest.approx(centre - half), pytest.approx(centre + half))


def test_oversampled_pairs_count_less() -> None:
    # Two strata of traffic: 900 calm pairs (10 reviewed, weight 90, none worse) and 100 differing
    # pairs (10 reviewed, weight 10, half worse). Traffic share worse = 50 / 1000 = 5 %, not 25 %.
    r = worse_share([0] * 10 + [1] * 5 + [0] * 5, [90] * 10 + [10] * 10)
    assert r.estimate == pytest.approx(0.05)


def test_no_worse_verdicts_still_leave_an_interval() -> None:
    r = worse_share([0] * 10)
    assert r.estimate == 0 and r.upper > 0.25


def test_effective_size_to_decide_is_just_enough() -> None:
    m = effective_size_to_decide(0.01, 0.05, 0.95)
    assert m is not None
    assert worse_share([0.01] * math.ceil(m)).upper < 0.05
    assert worse_share([0.01] * (math.floor(m) - 2)).upper >= 0.05
    assert effective_size_to_decide(0.05, 0.05, 0.95) is None


def test_interval_covers_the_traffic_share_by_simulation() -> None:
    # Population: 2000 pairs; the differing ones (score high) are worse more often and oversampled.
    rng = np.random.default_rng(7)
    from modelswap.review.sampling import Candidate, draw_sample

    scores = rng.uniform(size=2000)
    worse = rng.uniform(size=2000) < 0.02 + 0.2 * scores**3
    truth = worse.mean()
    cands = [Candidate(i, "w" if i < 1500 else "v", float(s)) for i, s in enumerate(scores)]
    hits, runs = 0, 300
    for seed in range(runs):
        s = draw_sample(cands, size=200, floor=20, seed=seed)
        r = worse_share([worse[d.pair_id] for d in s.pairs], [d.weight for d in s.pairs])
        hits += r.lower <= truth <= r.upper
    assert hits / runs > 0.9


@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.floats(0.01, 1000, allow_nan=False)),
        min_size=1,
        max_size=50,
    )
)
def test_interval_holds_its_estimate(rows: list[tuple[float, float]]) -> None:
    y, w = zip(*rows, strict=True)
    r = worse_share(y, w)
    assert 0 <= r.lower <= r.estimate + 1e-9 and r.estimate - 1e-9 <= r.upper <= 1
    assert 1 - 1e-9 <= r.n_effective <= len(rows) + 1e-9
    assert kish_effective_size([2.0] * len(rows)) == pytest.approx(len(rows))


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="weights"):
        worse_share([1, 0], [1, 0])
    with pytest.raises(ValueError, match="2 outcomes but 1"):
        worse_share([1, 0], [1])
