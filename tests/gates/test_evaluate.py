"""evaluate() and overall(): every configured gate, in order, and the combined verdict."""

import numpy as np

from modelswap.config import Gates, PassRateGate, RatioGate
from modelswap.gates import GateData, GateResult, Verdict, evaluate, overall


def _result(verdict: Verdict) -> GateResult:
    return GateResult("g", "m", verdict, None, None, 1.0, 0.95, 0, "r")


def test_overall_rule() -> None:
    p, f, i = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE
    assert overall([_result(p), _result(p)]) is p
    assert overall([_result(p), _result(i)]) is i
    assert overall([_result(i), _result(f), _result(p)]) is f
    assert overall([]) is i  # nothing checked, nothing to sign off


def test_evaluates_configured_gates_in_order() -> None:
    rng = np.random.default_rng(0)
    old_pass = np.repeat([True, False, True, False], [17_700, 300, 300, 1_700])
    new_pass = np.repeat([True, True, False, False], [17_700, 300, 300, 1_700])
    latency = rng.lognormal(size=2000)
    gates = Gates(
        pass_rate=PassRateGate(max_drop_points=2),
        p95_latency=RatioGate(max_ratio=1.5),
        cost_per_request=RatioGate(max_ratio=1.1),
    )
    data = GateData(
        old_pass=old_pass,
        new_pass=new_pass,
        old_latency=latency,
        new_latency=latency * 1.02,
        latency_paired=True,
    )
    results = evaluate(gates, data)
    assert [r.gate for r in results] == ["pass_rate", "p95_latency", "cost_per_request"]
    assert [r.verdict for r in results] == [Verdict.PASS, Verdict.PASS, Verdict.INCONCLUSIVE]
    assert "no request costs were recorded" in results[2].reason
    assert overall(results) is Verdict.INCONCLUSIVE
    assert evaluate(gates, data) == results  # seeded: the same data gives the same results


def test_default_gates_judge_only_the_pass_rate() -> None:
    results = evaluate(Gates(), GateData())
    assert [(r.gate, r.verdict) for r in results] == [("pass_rate", Verdict.INCONCLUSIVE)]
    assert results[0].more_cases_needed == 30
    costs = evaluate(Gates(pass_rate=None, cost_per_request=RatioGate(max_ratio=1.0)), GateData())
    assert costs[0].gate == "cost_per_request" and costs[0].more_cases_needed == 100
