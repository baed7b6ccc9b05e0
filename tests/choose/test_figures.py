"""A candidate's figures against old: failed calls fail cases, intervals come from the gates' statistics."""

from __future__ import annotations

import numpy as np

from modelswap.choose.figures import BASELINE, candidate_figures, p95_estimate
from modelswap.config import Gates, PassRateGate
from modelswap.evals.results import CaseOutcome
from modelswap.stats import min_n_for_quantile_interval, wilson_interval


def arm(name: str, passed: list[bool | None], errors: set[int] = frozenset(), seed: int = 1) -> dict[str, CaseOutcome]:
    rng = np.random.default_rng(seed)
    out = {}
    for i, p in enumerate(passed):
        failed = i in errors
        out[f"c{i}"] = CaseOutcome(
            f"c{i}", name, f"{name}-model", None if failed else p,
            None if failed else float(rng.lognormal(5, 0.5)), None if failed else float(rng.uniform(1e-4, 3e-4)),
            "HTTP 500 server_error: boom" if failed else None, False,
        )  # fmt: skip
    return out


def test_a_failed_call_is_a_failed_case_and_the_gates_judge_the_candidate_as_new() -> None:
    n = 200
    by_arm = {"old": arm("old", [True] * n), "cand": arm("cand", [True] * n, errors=set(range(20)), seed=2)}
    gates = Gates(pass_rate=PassRateGate(max_drop_points=2))
    f = candidate_figures(by_arm, "cand", gates)
    assert (f.passed, f.judged, f.errors) == (180, 200, 20)
    assert f.pass_rate.value == 0.9 and (f.pass_rate.low, f.pass_rate.high) == tuple(wilson_interval(180, 200))
    assert f.difference.value is not None and round(f.difference.value, 6) == -10.0
    assert f.difference.high is not None and f.difference.high < -2  # the whole interval below the margin
    assert f.verdict == "FAIL" and [g.gate for g in f.gates] == ["pass_rate"]
    assert f.model == "cand-model"


def test_cost_and_p95_carry_intervals_that_hold_their_estimates() -> None:
    by_arm = {"old": arm("old", [True] * 150)}
    f = candidate_figures(by_arm, "old", Gates())
    assert f.verdict == BASELINE and f.gates == ()
    for e in (f.cost, f.p95):
        assert e.low is not None and e.high is not None and e.value is not None and e.low <= e.value <= e.high


def test_p95_has_no_interval_below_the_distribution_free_minimum() -> None:
    need = min_n_for_quantile_interval(95.0, 0.95)
    short = p95_estimate([float(i) for i in range(need - 1)])
    assert short.value is not None and short.low is None and short.high is None
    assert p95_estimate([float(i) for i in range(need)]).low is not None
