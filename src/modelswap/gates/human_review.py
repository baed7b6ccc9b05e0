"""The human-review gate: on at most X % of traffic may reviewers find the new model's answer worse.

PASS only when the whole interval for the weighted share lies below X (and enough pairs were
reviewed); FAIL when it lies entirely above; otherwise INCONCLUSIVE with the reviewed pairs still
needed, scaled from the effective sample size by the sample's design effect.
"""

from __future__ import annotations

import math

import numpy.typing as npt

from modelswap.config import HumanReviewGate
from modelswap.gates import _format as fmt
from modelswap.gates.result import GateResult, Verdict
from modelswap.stats.weighted import METHOD, WorseShare, effective_size_to_decide, worse_share

METRIC = "share of traffic where new is worse (%)"


def decide_human_review(
    worse: npt.ArrayLike,
    weights: npt.ArrayLike | None,
    gate: HumanReviewGate,
    *,
    name: str = "human_review",
) -> GateResult:
    """Judge reviewers' verdicts: ``worse[i]`` the share of pair ``i``'s reviewers who found the new
    answer worse, ``weights[i]`` its sampling weight (None: a simple random sample)."""
    share = worse_share(worse, weights, gate.confidence)
    limit = gate.max_worse_percent
    if share.n == 0:
        reason = f"no pair has been reviewed; at least {gate.min_reviewed} are needed before this gate can pass."
        return _result(name, gate, share, Verdict.INCONCLUSIVE, reason, gate.min_reviewed, estimate=False)
    lo, hi = 100 * share.lower, 100 * share.upper
    d = fmt.decimals_for((lo, hi), limit)
    head = (
        f"new worse on {fmt.number(100 * share.estimate, d)} % of traffic [{fmt.number(lo, d)}, "
        f"{fmt.number(hi, d)}] at {fmt.percent(gate.confidence)} from {fmt.count(share.n)} reviewed pairs "
        f"(effective {fmt.number(share.n_effective, 1)}); "
        f"the whole interval must lie below {fmt.plain(limit)} % to pass"
    )
    if hi < limit and share.n >= gate.min_reviewed:
        return _result(name, gate, share, Verdict.PASS, f"{head}; it does.", None)
    if lo > limit:
        tail = f"it lies entirely above, so the new model is worse on more than {fmt.plain(limit)} % of traffic."
        return _result(name, gate, share, Verdict.FAIL, f"{head}; {tail}", None)
    more = _more_pairs(share, limit / 100, gate)
    if hi < limit:
        tail = f"it does, but at least {gate.min_reviewed} reviewed pairs are needed, so {more} more."
    elif more is None:
        tail = f"it straddles {fmt.plain(limit)} %, and no practical number of further reviews is likely to settle it."
    else:
        tail = (
            f"it straddles {fmt.plain(limit)} %: about {fmt.count(more)} more reviewed pairs "
            "would settle it if the share holds."
        )
    return _result(name, gate, share, Verdict.INCONCLUSIVE, f"{head}; {tail}", more)


def _more_pairs(share: WorseShare, limit: float, gate: HumanReviewGate) -> int | None:
    """Further reviewed pairs for the interval to clear the limit at the observed share and design effect."""
    floor_gap = max(gate.min_reviewed - share.n, 0)
    needed = effective_size_to_decide(share.estimate, limit, gate.confidence)
    if needed is None:
        return floor_gap or None
    design_effect = share.n / share.n_effective
    return max(math.ceil(needed * design_effect) - share.n, floor_gap, 1)


def _result(
    name: str,
    gate: HumanReviewGate,
    share: WorseShare,
    verdict: Verdict,
    reason: str,
    more: int | None,
    *,
    estimate: bool = True,
) -> GateResult:
    return GateResult(
        gate=name,
        metric=METRIC,
        verdict=verdict,
        estimate=100 * share.estimate if estimate else None,
        interval=(100 * share.lower, 100 * share.upper) if estimate else None,
        margin=gate.max_worse_percent,
        confidence=gate.confidence,
        n=share.n,
        reason=reason,
        more_cases_needed=more,
        method=METHOD,
        details={"effective_pairs": round(share.n_effective, 2), "pairs_worse": round(share.worse, 2)},
    )
