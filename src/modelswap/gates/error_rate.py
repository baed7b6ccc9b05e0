"""The error-rate gate: the new model's calls may fail at most ``max_increase_points`` more often.

Paired on the golden-set cases (both models were asked the same cases): Tango's interval for
the difference of error rates ``new − old``. PASS only when the whole interval lies below
``+margin`` (on at least 30 cases), FAIL when it lies entirely above, otherwise INCONCLUSIVE
with the further cases likely to decide it.
"""

from __future__ import annotations

import numpy.typing as npt

from modelswap.config import ErrorRateGate
from modelswap.gates import _format as fmt
from modelswap.gates.pass_rate import MAX_TOTAL, MIN_PAIRED_CASES
from modelswap.gates.result import GateResult, Verdict
from modelswap.stats.paired import Discordance, discordance, mcnemar_exact, tango_interval
from modelswap.stats.samplesize import paired_cases_to_decide

METRIC = "error-rate difference new − old (points)"
METHOD = "Tango score interval for paired proportions (Tango 1998)"


def decide_error_rate(
    old_errors: npt.ArrayLike,
    new_errors: npt.ArrayLike,
    gate: ErrorRateGate,
    *,
    min_cases: int = MIN_PAIRED_CASES,
    power: float = 0.8,
) -> GateResult:
    """Judge whether the new model's calls fail no more than ``gate.max_increase_points`` more often.

    ``old_errors[i]`` / ``new_errors[i]``: whether each model's call on case ``i`` failed after its retries.
    """
    table = discordance(old_errors, new_errors)  # "pass" here means "the call failed"
    margin, confidence = float(gate.max_increase_points), float(gate.confidence)
    details: dict[str, float | int | str] = {
        "old_failed": table.both + table.old_only,
        "new_failed": table.both + table.new_only,
        "only_new_failed": table.new_only,
        "only_old_failed": table.old_only,
    }

    def result(verdict: Verdict, reason: str, more: int | None, est: float | None = None,
               interval: tuple[float, float] | None = None) -> GateResult:  # fmt: skip
        return GateResult("error_rate", METRIC, verdict, est, interval, margin, confidence, table.n, reason, more,
                          METHOD if interval else "", details)  # fmt: skip

    if table.n == 0:
        return result(Verdict.INCONCLUSIVE, f"no calls of both models; at least {min_cases} are needed.", min_cases)
    details["mcnemar_exact_p"] = mcnemar_exact(table)
    ci = tango_interval(table, confidence)
    lo, hi = 100 * ci.lower, 100 * ci.upper
    d = fmt.decimals_for((lo, hi), margin)
    head = (
        f"new error rate {fmt.number(100 * table.p_new, d)} % vs old {fmt.number(100 * table.p_old, d)} % "
        f"on {fmt.count(table.n)} paired cases: difference {fmt.signed(100 * table.difference, d)} points "
        f"[{fmt.signed(lo, d)}, {fmt.signed(hi, d)}] at {fmt.percent(confidence)}; "
        f"the whole interval must lie below {'+' if margin else ''}{fmt.plain(margin)} points to pass"
    )
    verdict, more, tail = _judge(table, (lo, hi), margin, confidence, min_cases, power)
    return result(verdict, f"{head}; {tail}", more, 100 * table.difference, (lo, hi))


def _judge(
    table: Discordance, bounds: tuple[float, float], margin: float, confidence: float, min_cases: int, power: float
) -> tuple[Verdict, int | None, str]:
    """Verdict, further cases needed, and the sentence explaining it."""
    lo, hi = bounds
    if hi < margin and table.n >= min_cases:
        return Verdict.PASS, None, "it does."
    if lo > margin:
        return Verdict.FAIL, None, "it lies entirely above, so the new model's calls fail too often."
    if hi < margin:
        more = min_cases - table.n
        return Verdict.INCONCLUSIVE, more, f"it does, but on only {table.n} cases; {more} more are needed first."
    # In "no error" terms the new model may lose at most ``margin`` points: mirror the table.
    further = paired_cases_to_decide(
        table.old_only, table.new_only, table.n, margin / 100, confidence, power, max_total=MAX_TOTAL
    )
    if further.more is None:
        return Verdict.INCONCLUSIVE, None, f"it straddles {fmt.plain(margin)} points, too close to decide in practice."
    more = max(further.more, min_cases - table.n, 1)
    tail = (
        f"it straddles {fmt.plain(margin)} points: about {fmt.count(more)} more paired cases would decide it "
        f"with {power * 100:g} % probability (allowing for the uncertainty in the observed rates)."
    )
    return Verdict.INCONCLUSIVE, more, tail
