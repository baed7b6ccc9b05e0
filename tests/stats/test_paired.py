"""Paired intervals and McNemar: published worked examples, statsmodels/scipy, coverage by simulation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from modelswap.stats import (
    Discordance,
    discordance,
    mcnemar_exact,
    newcombe_paired_bounds,
    newcombe_paired_interval,
    paired_difference_interval,
    tango_interval,
    tango_score,
)

# Newcombe RG (1998), "Improved confidence intervals for the difference between binomial
# proportions based on paired data", Stat Med 17:2635-2650, Table II, method 10
# (e, f, g, h = both, only first, only second, neither; difference (f - g) / n).
NEWCOMBE_TABLE_II = [
    ((36, 12, 2, 0), (0.0569, 0.3404)),
    ((18, 12, 2, 18), (0.0562, 0.3290)),
    ((53, 0, 0, 1), (-0.0729, 0.0729)),
    ((0, 30, 0, 0), (0.8395, 1.0)),
]
# Fagerland MW, Lydersen S, Laake P (2014), "Recommended tests and confidence intervals for paired
# binomial proportions", Stat Med 33:2850-2875 (and their book, ch. 8): Cavo et al. (2012) data.
CAVO = Discordance(both=59, new_only=6, old_only=16, neither=80)
# Bentur et al. (2009) data from the same paper.
BENTUR = Discordance(both=1, new_only=1, old_only=7, neither=12)


def test_discordance_tallies_paired_outcomes() -> None:
    old = [1, 1, 0, 0, 1, 0]
    new = [1, 0, 1, 0, 1, 0]
    t = discordance(old, new)
    assert (t.both, t.new_only, t.old_only, t.neither) == (2, 1, 1, 2)
    assert t.n == 6 and t.discordant == 2 and t.difference == 0.0
    assert t.p_old == pytest.approx(0.5) and t.p_new == pytest.approx(0.5)


def test_discordance_rejects_unpaired_or_non_binary_input() -> None:
    with pytest.raises(ValueError, match="same cases"):
        discordance([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="pass/fail"):
        discordance([1, 2], [1, 0])


@pytest.mark.parametrize(("cells", "published"), NEWCOMBE_TABLE_II)
def test_newcombe_matches_table_ii(cells: tuple[int, int, int, int], published: tuple[float, float]) -> None:
    ci = newcombe_paired_interval(Discordance(*cells))
    assert ci == pytest.approx(published, abs=5e-5)


def test_newcombe_matches_fagerland_cavo_example() -> None:
    assert newcombe_paired_interval(CAVO) == pytest.approx((-0.1186, -0.0046), abs=5e-5)


def test_tango_matches_fagerland_examples() -> None:
    assert tango_interval(CAVO) == pytest.approx((-0.1240, -0.0054), abs=5e-5)
    assert tango_interval(BENTUR) == pytest.approx((-0.517, -0.026), abs=5e-4)


def test_tango_score_at_zero_is_mcnemars_statistic() -> None:
    # At theta = 0 Tango's score reduces to (f - g) / sqrt(f + g), McNemar's z (Tango 1998, §2).
    for t in (CAVO, BENTUR, Discordance(10, 40, 25, 100)):
        ref = mcnemar([[t.both, t.new_only], [t.old_only, t.neither]], exact=False, correction=False)
        z = float(tango_score(t.new_only, t.old_only, t.n, 0.0))
        assert z**2 == pytest.approx(ref.statistic, rel=1e-12)


def test_tango_bounds_are_where_the_score_crosses_z() -> None:
    ci = tango_interval(CAVO, 0.9)
    z = stats.norm.ppf(0.95)
    assert float(tango_score(6, 16, CAVO.n, ci.lower)) == pytest.approx(z, abs=1e-8)
    assert float(tango_score(6, 16, CAVO.n, ci.upper)) == pytest.approx(-z, abs=1e-8)


def test_intervals_at_the_edges() -> None:
    all_new = Discordance(0, 30, 0, 0)
    assert tango_interval(all_new).upper == 1.0
    assert tango_interval(Discordance(0, 0, 30, 0)).lower == -1.0
    no_discord = tango_interval(Discordance(30, 0, 0, 0))
    # Closed form without discordance: theta = -+ z^2 / (n + z^2).
    z2 = stats.norm.ppf(0.975) ** 2
    assert no_discord == pytest.approx((-z2 / (30 + z2), z2 / (30 + z2)), abs=1e-9)


def test_empty_table_is_refused() -> None:
    with pytest.raises(ValueError, match="no paired cases"):
        tango_interval(Discordance(0, 0, 0, 0))
    with pytest.raises(ValueError, match="method"):
        paired_difference_interval(CAVO, method="wald")


def test_mcnemar_exact_matches_published_and_statsmodels() -> None:
    assert mcnemar_exact(CAVO) == pytest.approx(0.052479, abs=5e-7)
    assert mcnemar_exact(CAVO, mid_p=True) == pytest.approx(0.034690, abs=5e-7)
    rng = np.random.default_rng(3)
    for _ in range(200):
        f, g = (int(v) for v in rng.integers(0, 60, size=2))
        t = Discordance(int(rng.integers(0, 50)), f, g, int(rng.integers(0, 50)))
        ref = mcnemar([[t.both, f], [g, t.neither]], exact=True).pvalue
        assert mcnemar_exact(t) == pytest.approx(ref, abs=1e-12)
        if f + g:
            assert mcnemar_exact(t) == pytest.approx(stats.binomtest(f, f + g, 0.5).pvalue, abs=1e-12)


def test_mcnemar_without_discordance_has_no_evidence() -> None:
    assert mcnemar_exact(Discordance(10, 0, 0, 5)) == 1.0
    assert mcnemar_exact(Discordance(10, 4, 4, 5), mid_p=True) == pytest.approx(1.0)


def _coverage(p_cells: tuple[float, float, float, float], n: int, reps: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    cells = rng.multinomial(n, p_cells, size=reps)
    truth = p_cells[1] - p_cells[2]
    z = stats.norm.ppf(0.975)
    # Tango's interval covers theta exactly when |score(theta)| <= z (the score decreases in theta).
    tango = np.abs(tango_score(cells[:, 1], cells[:, 2], n, truth)) <= z
    lo, hi = newcombe_paired_bounds(cells[:, 0], cells[:, 1], cells[:, 2], cells[:, 3])
    newcombe = (lo <= truth) & (truth <= hi)
    return float(tango.mean()), float(newcombe.mean())


@pytest.mark.parametrize(
    ("p_cells", "n"),
    [
        ((0.85, 0.03, 0.05, 0.07), 200),  # gate-like: high pass rates, few discordant cases
        ((0.85, 0.03, 0.05, 0.07), 1000),
        ((0.40, 0.15, 0.10, 0.35), 100),
        ((0.70, 0.10, 0.10, 0.10), 50),
    ],
)
def test_paired_intervals_cover_near_nominal(p_cells: tuple[float, float, float, float], n: int) -> None:
    # 20 000 tables: MC standard error 0.0015; asymptotic intervals on discrete data are allowed a
    # further 0.01 (Fagerland et al. 2014 report coverage within about a point of 95 %).
    tango, newcombe = _coverage(p_cells, n, 20_000, seed=n)
    assert tango == pytest.approx(0.95, abs=0.015)
    assert newcombe == pytest.approx(0.95, abs=0.015)


def test_vectorised_tango_matches_the_interval() -> None:
    t = Discordance(400, 25, 31, 44)
    ci = tango_interval(t)
    grid = np.linspace(-0.2, 0.2, 401)
    inside = np.abs(tango_score(t.new_only, t.old_only, t.n, grid)) <= stats.norm.ppf(0.975)
    assert grid[inside].min() >= ci.lower - 1e-12 and grid[inside].max() <= ci.upper + 1e-12


tables = st.tuples(*(st.integers(0, 400) for _ in range(4))).filter(lambda c: sum(c) > 0)


@settings(deadline=None)
@given(tables, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_intervals_contain_the_estimate(cells: tuple[int, int, int, int], conf: float) -> None:
    t = Discordance(*cells)
    for method in ("tango", "newcombe"):
        ci = paired_difference_interval(t, conf, method)
        assert -1.0 <= ci.lower <= t.difference + 1e-12
        assert t.difference - 1e-12 <= ci.upper <= 1.0
