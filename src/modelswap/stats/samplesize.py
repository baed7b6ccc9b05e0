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
from statistics import NormalDist

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
