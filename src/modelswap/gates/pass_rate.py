"""The pass-rate gate: paired non-inferiority of the new model on the golden set.

PASS only when the whole two-sided interval for ``new − old`` lies above ``−margin``; FAIL
when it lies entirely below; otherwise INCONCLUSIVE with the cases still needed. So at a true
difference of exactly ``−margin`` the gate passes at most ``(1 − confidence) / 2`` of the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy.typing as npt

from modelswap.config import PassRateGate
from modelswap.gates import _format as fmt
from modelswap.gates.result import GateResult, Verdict
from modelswap.stats.paired import Discordance, discordance, mcnemar_exact, paired_difference_interval
from modelswap.stats.samplesize import paired_cases_to_decide

MIN_PAIRED_CASES = 30
MAX_TOTAL = 10_000_000
"""Largest total of paired cases the advice on further cases considers."""
METHODS = {
    "tango": "Tango score interval for paired proportions (Tango 1998)",
    "newcombe": "Newcombe hybrid score interval for paired proportions (Newcombe 1998, method 10)",
}


def decide_pass_rate(
    old: npt.ArrayLike,
    new: npt.ArrayLike,
    gate: PassRateGate,
    *,
    min_cases: int = MIN_PAIRED_CASES,
    power: float = 0.8,
    method: Literal["tango", "newcombe"] = "tango",
    name: str = "pass_rate",
) -> GateResult:
    """Judge the new model's pass rate against the old one's on the same cases.

    ``old[i]`` and ``new[i]`` are the two models' pass/fail outcomes on case ``i``. Below
    ``min_cases`` paired cases the gate never passes (it may still FAIL when even the upper
    bound is below the margin). ``more_cases_needed`` is the number of further cases after
    which the gate decides with probability ``power``, allowing for the uncertainty in the
    observed discordance (predictive power, ``stats.samplesize.paired_cases_to_decide``).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    table = discordance(old, new)
    ctx = _Context(name, METHODS[method], table, float(gate.max_drop_points), float(gate.confidence))
    if table.n == 0:
        reason = f"no paired cases were scored; at least {min_cases} are needed before this gate can pass."
        return ctx.result(Verdict.INCONCLUSIVE, None, None, reason, min_cases)
    ci = paired_difference_interval(table, ctx.confidence, method)
    bounds = (100 * ci.lower, 100 * ci.upper)
    d = fmt.decimals_for(bounds, -ctx.margin)
    head = (
        f"new pass rate {fmt.number(100 * table.p_new, d)} % vs old {fmt.number(100 * table.p_old, d)} % "
        f"on {fmt.count(table.n)} paired cases: difference {fmt.signed(100 * table.difference, d)} points "
        f"[{fmt.signed(bounds[0], d)}, {fmt.signed(bounds[1], d)}] at {fmt.percent(ctx.confidence)}; "
        f"the whole interval must lie above {fmt.plain(-ctx.margin)} points to pass"
    )
    verdict, more, tail = _judge(ctx, bounds, min_cases, power)
    return ctx.result(verdict, 100 * table.difference, bounds, f"{head}; {tail}", more)


@dataclass(frozen=True)
class _Context:
    name: str
    method: str
    table: Discordance
    margin: float  # points
    confidence: float

    def result(
        self,
        verdict: Verdict,
        estimate: float | None,
        interval: tuple[float, float] | None,
        reason: str,
        more: int | None,
    ) -> GateResult:
        return GateResult(
            gate=self.name,
            metric="pass-rate difference new − old (points)",
            verdict=verdict,
            estimate=estimate,
            interval=interval,
            margin=self.margin,
            confidence=self.confidence,
            n=self.table.n,
            reason=reason,
            more_cases_needed=more,
            method=self.method,
            details=_details(self.table),
        )


def _judge(ctx: _Context, bounds: tuple[float, float], min_cases: int, power: float) -> tuple[Verdict, int | None, str]:
    """Verdict, further cases needed, and the sentence explaining it."""
    lo, hi = bounds
    n, limit = ctx.table.n, -ctx.margin
    if lo > limit and n >= min_cases:
        return Verdict.PASS, None, "it does, so the new model is not worse by more than the margin."
    if hi < limit:
        tail = f"it lies entirely below, so the new model is worse by more than {fmt.plain(ctx.margin)} points."
        return Verdict.FAIL, None, tail
    if lo > limit:  # the interval clears the margin, but on too few cases
        more = min_cases - n
        tail = (
            f"it does, but on only {n} cases; at least {min_cases} paired cases are needed before "
            f"this gate can pass, so {fmt.count(more)} more are needed."
        )
        return Verdict.INCONCLUSIVE, more, tail
    further = paired_cases_to_decide(
        ctx.table.new_only, ctx.table.old_only, n, ctx.margin / 100, ctx.confidence, power, max_total=MAX_TOTAL
    )
    if further.more is None:
        tail = (
            f"it straddles {fmt.plain(limit)} points, and even {fmt.count(MAX_TOTAL)} paired cases in all would "
            f"decide it with only {fmt.number(100 * further.probability, 0)} % probability."
        )
        return Verdict.INCONCLUSIVE, None, tail
    more = max(further.more, min_cases - n, 1)
    tail = (
        f"it straddles {fmt.plain(limit)} points: about {fmt.count(more)} more paired cases would decide it "
        f"with {power * 100:g} % probability (allowing for the uncertainty in the observed rates)."
    )
    return Verdict.INCONCLUSIVE, more, tail


def _details(table: Discordance) -> dict[str, float | int | str]:
    out: dict[str, float | int | str] = {
        "both_pass": table.both,
        "only_new_passes": table.new_only,
        "only_old_passes": table.old_only,
        "both_fail": table.neither,
    }
    if table.n:
        out["mcnemar_exact_p"] = mcnemar_exact(table)
    return out
