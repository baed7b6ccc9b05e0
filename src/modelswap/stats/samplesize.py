"""How many cases a non-inferiority decision needs, from the observed discordance.

Paired (old and new on the same cases): Nam JM (1997), "Establishing equivalence of two
treatments and sample size requirements in matched-pairs design", Biometrics 53:1422–1430 —
the sample size of the score test whose inversion is Tango's interval, with the variance under
H0 from the restricted MLE. It reduces to Connor RJ (1987), Biometrics 43:207–211, when the
margin is 0 and the null variance is replaced by the unrestricted one.

Unpaired (two independent groups): the normal-approximation formula for a difference of two
proportions against a margin (Blackwelder 1982, Controlled Clin Trials 3:345–353; Chow, Shao &
Wang 2008, "Sample Size Calculations in Clinical Research", §4.2).

Both decide at the same error rate as the gates: a two-sided interval at ``confidence`` must
exclude the margin, i.e. a one-sided test at ``(1 - confidence) / 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from modelswap.stats._validate import check_confidence


def _z_values(confidence: float, power: float) -> tuple[float, float]:
    check_confidence(confidence)
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be between 0 and 1 (e.g. 0.8), got {power}")
    normal = NormalDist()
    return normal.inv_cdf(0.5 + confidence / 2.0), normal.inv_cdf(power)


def _check_margin(margin: float) -> float:
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin is a proportion in [0, 1) (0.02 = 2 points), got {margin}")
    return float(margin)


def restricted_old_only(p_new_only: float, p_old_only: float, theta: float) -> float:
    """MLE of the old-only cell probability under ``p_new - p_old = theta`` (Tango 1998/1999).

    With the observed proportions as data, this is the quantity Nam (1997) puts in the
    variance under the null hypothesis.
    """
    b = -p_new_only - p_old_only + (2.0 - p_new_only + p_old_only) * theta
    c = -p_old_only * theta * (1.0 - theta)
    return (-b + math.sqrt(max(b * b - 8.0 * c, 0.0))) / 4.0


def paired_cases_needed(
    p_new_only: float,
    p_old_only: float,
    margin: float,
    confidence: float = 0.95,
    power: float = 0.8,
) -> int | None:
    """Paired cases for a Tango-interval decision against ``-margin`` with the given power.

    ``p_new_only`` / ``p_old_only`` are the discordant-cell probabilities (only the new / only
    the old model passes), e.g. observed. When the difference ``p_new_only - p_old_only`` lies
    above ``-margin`` this is the n to show non-inferiority (PASS); below, the n to show
    inferiority (FAIL). Exactly on the margin no n decides it: ``None``.
    """
    m = _check_margin(margin)
    z_alpha, z_beta = _z_values(confidence, power)
    if not (0.0 <= p_new_only <= 1.0 and 0.0 <= p_old_only <= 1.0 and p_new_only + p_old_only <= 1.0):
        raise ValueError(
            f"discordant probabilities must be in [0, 1] and sum to at most 1, got {p_new_only}, {p_old_only}"
        )
    delta = p_new_only - p_old_only
    gap = abs(delta + m)
    if gap < 1e-12:
        return None
    theta0 = -m
    var_alt = p_new_only + p_old_only - delta * delta
    var_null = 2.0 * restricted_old_only(p_new_only, p_old_only, theta0) + theta0 * (1.0 - theta0)
    root = (z_alpha * math.sqrt(max(var_null, 0.0)) + z_beta * math.sqrt(max(var_alt, 0.0))) / gap
    return max(1, math.ceil(root * root - 1e-9))


def unpaired_cases_needed(
    p_old: float,
    p_new: float,
    margin: float,
    confidence: float = 0.95,
    power: float = 0.8,
) -> int | None:
    """Cases per group to decide non-inferiority of two independent pass rates against ``-margin``.

    ``n = (z_a + z_b)^2 (p_old(1-p_old) + p_new(1-p_new)) / (p_new - p_old + margin)^2``
    (Blackwelder 1982). ``None`` when the difference sits exactly on the margin.
    """
    m = _check_margin(margin)
    z_alpha, z_beta = _z_values(confidence, power)
    for name, p in (("p_old", p_old), ("p_new", p_new)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be a proportion in [0, 1], got {p}")
    gap = abs(p_new - p_old + m)
    if gap < 1e-12:
        return None
    var = p_old * (1.0 - p_old) + p_new * (1.0 - p_new)
    return max(1, math.ceil((z_alpha + z_beta) ** 2 * var / gap**2 - 1e-9))


@dataclass(frozen=True)
class FurtherCases:
    """Further paired cases likely to decide a non-inferiority gate, allowing for what is unknown."""

    more: int | None
    """Further cases at which the decision probability first reaches the target; None if it does
    not within ``max_total`` cases in all."""
    probability: float
    """Predictive probability that the gate decides (PASS or FAIL) with ``more`` further cases
    (with ``max_total`` when ``more`` is None)."""


def _decision_probability(
    cells: npt.NDArray[np.float64], observed: tuple[int, int, int], extra: npt.ArrayLike, theta0: float, z: float
) -> npt.NDArray[np.float64]:
    """For each number of further cases in ``extra``: the mean over posterior draws (``cells``) of
    the probability that the score test at θ0 rejects on either side with those cases added."""
    f, g, n = observed
    m = np.asarray(extra, dtype=np.float64).reshape(-1, 1)
    p10, p01 = cells[:, 0], cells[:, 1]
    total = n + m
    delta = p10 - p01
    pool10, pool01 = (f + m * p10) / total, (g + m * p01) / total
    b = -pool10 - pool01 + (2.0 - pool10 + pool01) * theta0
    c = -pool01 * theta0 * (1.0 - theta0)
    q = (-b + np.sqrt(np.maximum(b * b - 8.0 * c, 0.0))) / 4.0
    scale = z * np.sqrt(np.maximum(total * (2.0 * q + theta0 * (1.0 - theta0)), 0.0))
    mean = (f - g) + m * delta - total * theta0
    sd = np.sqrt(np.maximum(m * (p10 + p01 - delta * delta), 1e-12))
    from scipy import special  # deferred: importing scipy costs most of a second

    return np.asarray((special.ndtr((mean - scale) / sd) + special.ndtr((-mean - scale) / sd)).mean(axis=1))


def predictive_decision_probability(
    new_only: int,
    old_only: int,
    n: int,
    more: int,
    margin: float,
    confidence: float = 0.95,
    *,
    draws: int = 1000,
    seed: int = 0,
) -> float:
    """Probability that Tango's interval excludes ``-margin`` once ``more`` paired cases are added to
    the ``n`` observed (``new_only``/``old_only`` discordant), averaged over a Jeffreys posterior."""
    z, _ = _z_values(confidence, 0.5)
    m = _check_margin(margin)
    cells = np.random.default_rng(seed).dirichlet(
        [new_only + 0.5, old_only + 0.5, n - new_only - old_only + 0.5], size=draws
    )
    return float(_decision_probability(cells, (new_only, old_only, n), [more], -m, z)[0])


def paired_cases_to_decide(
    new_only: int,
    old_only: int,
    n: int,
    margin: float,
    confidence: float = 0.95,
    target: float = 0.8,
    *,
    draws: int = 1000,
    seed: int = 0,
    max_total: int = 10_000_000,
) -> FurtherCases:
    """Further paired cases after which Tango's interval likely excludes ``-margin`` (on either side).

    Predictive power (Spiegelhalter, Abrams & Myles 2004, "Bayesian Approaches to Clinical Trials
    and Health-Care Evaluation", §6.5): the probability of deciding, averaged over what the
    observed ``new_only``/``old_only`` of ``n`` cases leave unknown (a Jeffreys Dirichlet
    posterior of the discordant cells), with the future cases added to those in hand. Unlike the
    plug-in sample size (``paired_cases_needed``), it does not take the observed discordance for
    the truth, so at small n it asks for more, and on the margin it still gives a finite number.
    """
    m = _check_margin(margin)
    z, _ = _z_values(confidence, 0.5)
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be a probability, e.g. 0.8, got {target}")
    if n < 1 or min(new_only, old_only) < 0 or new_only + old_only > n:
        raise ValueError(f"need 0 <= new_only + old_only <= n with n >= 1, got {new_only}, {old_only}, {n}")
    rng = np.random.default_rng(seed)
    cells = rng.dirichlet([new_only + 0.5, old_only + 0.5, n - new_only - old_only + 0.5], size=draws)
    observed = (new_only, old_only, n)

    def prob(extra: int) -> float:
        return float(_decision_probability(cells, observed, [extra], -m, z)[0])

    grid = np.unique(np.round(np.geomspace(1, max(max_total - n, 1), 24)).astype(np.int64))
    reached = np.flatnonzero(_decision_probability(cells, observed, grid, -m, z) >= target)
    if reached.size == 0:
        return FurtherCases(None, prob(int(grid[-1])))
    first = int(reached[0])
    low, high = (0 if first == 0 else int(grid[first - 1])), int(grid[first])
    while high - low > max(1, high // 100):  # bisect to 1 % between the last grid point short of it and the next
        mid = (low + high) // 2
        low, high = (mid, high) if prob(mid) < target else (low, mid)
    return FurtherCases(high, prob(high))
