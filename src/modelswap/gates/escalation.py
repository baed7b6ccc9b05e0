"""The escalation-rate gate: a routed workload may escalate at most ``max_percent`` of its requests.

A cascade pays for the strong model on every escalated request (and, when its signal needs the
cheap answer first, for the cheap one too), so the saving holds only while the escalated share
stays low. The share gets a Wilson score interval; PASS only when the whole interval lies below
the ceiling (on at least 30 requests), FAIL when it lies entirely above, otherwise INCONCLUSIVE
with the requests likely to decide it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from modelswap.config import EscalationRateGate
from modelswap.gates import _format as fmt
from modelswap.gates.pass_rate import MIN_PAIRED_CASES
from modelswap.gates.result import GateResult, Verdict
from modelswap.stats.proportions import wilson_bounds

METRIC = "share of requests escalated to the strong model (%)"
METHOD = "Wilson score interval (Wilson 1927; Newcombe 1998)"
MAX_REQUESTS = 1_000_000


def requests_to_decide(escalated: int, n: int, ceiling: float, confidence: float) -> int | None:
    """Further requests after which, at the observed share, the Wilson interval would clear ``ceiling``
    (a share in [0, 1]); None when the share sits on the ceiling or more than ``MAX_REQUESTS`` are needed."""
    share = escalated / n
    if share == ceiling:
        return None
    sizes = np.unique(np.geomspace(n + 1, MAX_REQUESTS, 400).astype(np.int64))
    lower, upper = wilson_bounds(share * sizes, sizes, confidence)
    clears = upper < ceiling if share < ceiling else lower > ceiling
    if not clears.any():
        return None
    return int(sizes[int(np.argmax(clears))]) - n


def decide_escalation_rate(
    escalated: npt.ArrayLike, gate: EscalationRateGate, *, min_requests: int = MIN_PAIRED_CASES
) -> GateResult:
    """Judge whether the share of escalated requests stays below ``gate.max_percent``.

    ``escalated[i]``: whether routed request ``i`` was answered by the strong model after the cheap one.
    """
    flags = np.asarray(escalated, dtype=bool).ravel()
    n, count = int(flags.size), int(flags.sum())
    ceiling, confidence = float(gate.max_percent), float(gate.confidence)
    details: dict[str, float | int | str] = {"escalated": count, "kept_cheap": n - count}

    def result(verdict: Verdict, reason: str, more: int | None, est: float | None = None,
               interval: tuple[float, float] | None = None) -> GateResult:  # fmt: skip
        return GateResult("escalation_rate", METRIC, verdict, est, interval, ceiling, confidence, n, reason, more,
                          METHOD if interval else "", details)  # fmt: skip

    if n == 0:
        reason = f"no routed requests were recorded; at least {min_requests} are needed to judge this gate."
        return result(Verdict.INCONCLUSIVE, reason, min_requests)
    lower, upper = (100 * float(b) for b in wilson_bounds(count, n, confidence))
    share = 100 * count / n
    d = fmt.decimals_for((lower, upper), ceiling)
    head = (
        f"{fmt.count(count)} of {fmt.count(n)} routed requests escalated: {fmt.number(share, d)} % "
        f"[{fmt.number(lower, d)}, {fmt.number(upper, d)}] at {fmt.percent(confidence)}; "
        f"the whole interval must lie below {fmt.plain(ceiling)} % to pass"
    )
    if upper < ceiling and n >= min_requests:
        return result(Verdict.PASS, f"{head}; it does.", None, share, (lower, upper))
    if lower > ceiling:
        tail = "it lies entirely above, so too many requests pay for the strong model."
        return result(Verdict.FAIL, f"{head}; {tail}", None, share, (lower, upper))
    if upper < ceiling:
        more = min_requests - n
        tail = f"it does, but on only {n} requests; {more} more are needed first."
        return result(Verdict.INCONCLUSIVE, f"{head}; {tail}", more, share, (lower, upper))
    further = requests_to_decide(count, n, ceiling / 100, confidence)
    if further is None:
        tail = f"it straddles {fmt.plain(ceiling)} %, too close to decide in practice."
        return result(Verdict.INCONCLUSIVE, f"{head}; {tail}", None, share, (lower, upper))
    tail = (
        f"it straddles {fmt.plain(ceiling)} %: about {fmt.count(further)} more requests at this share would decide it."
    )
    return result(Verdict.INCONCLUSIVE, f"{head}; {tail}", further, share, (lower, upper))
