"""Ratio gates (p95 latency, cost per request): constructed cases and the false-pass rate."""

import numpy as np
import pytest

from modelswap.config import RatioGate
from modelswap.gates import Verdict, decide_ratio, min_cases_for

OLD = np.random.default_rng(21).lognormal(0.0, 0.5, 3000)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_clearly_within_the_limit_passes() -> None:
    new = rng(1).lognormal(0.0, 0.5, 3000)
    r = decide_ratio(OLD, new, RatioGate(max_ratio=1.2))
    assert r.verdict is Verdict.PASS
    assert r.interval is not None and r.interval[1] <= 1.2
    assert r.gate == "p95_latency" and r.metric == "p95 latency ratio new / old"
    assert "the whole interval must lie at or below 1.2 to pass; it does." in r.reason
    assert "order-statistic bounds" in r.method
    assert " ms vs old " in r.reason and "e-0" not in r.reason


def test_clearly_above_the_limit_fails() -> None:
    new = rng(2).lognormal(0.4, 0.5, 3000)  # p95 about 1.5 times higher
    r = decide_ratio(OLD, new, RatioGate(max_ratio=1.2))
    assert r.verdict is Verdict.FAIL
    assert r.interval is not None and r.interval[0] > 1.2


def test_near_the_limit_is_inconclusive_with_cases_needed() -> None:
    old = rng(3).lognormal(0.0, 0.5, 400)
    new = rng(4).lognormal(np.log(1.2), 0.5, 400) * 0.99
    r = decide_ratio(old, new, RatioGate(max_ratio=1.2))
    assert r.verdict is Verdict.INCONCLUSIVE
    assert r.more_cases_needed is None or r.more_cases_needed >= 1
    assert "straddles 1.2" in r.reason


def test_mean_cost_gate_and_paired_resampling() -> None:
    cost_old = rng(5).gamma(2.0, 0.001, 2000)
    cost_new = cost_old * rng(6).normal(0.7, 0.05, 2000)  # same requests, about 30 % cheaper
    r = decide_ratio(cost_old, cost_new, RatioGate(max_ratio=1.0), "mean", paired=True)
    assert r.verdict is Verdict.PASS and r.gate == "cost_per_request"
    assert r.estimate == pytest.approx(cost_new.mean() / cost_old.mean())
    assert "cases resampled in pairs" in r.method
    assert "on 2,000 paired cases" in r.reason


def test_never_judged_on_too_few_values() -> None:
    # 71 latencies cannot bound a p95 from above at 97.5 % without assumptions: not even a clear win passes.
    assert min_cases_for("p95", 0.95) == 72
    r = decide_ratio(np.full(71, 10.0), np.full(71, 1.0), RatioGate(max_ratio=1.2))
    assert r.verdict is Verdict.INCONCLUSIVE and r.more_cases_needed == 1
    assert min_cases_for("mean", 0.95) == 100


def test_zero_baseline_is_inconclusive() -> None:
    r = decide_ratio(np.zeros(100), np.ones(100), RatioGate(max_ratio=1.2), "mean")
    assert r.verdict is Verdict.INCONCLUSIVE and "positive baseline" in r.reason


@pytest.mark.parametrize("n", [72, 100, 150, 400])
@pytest.mark.parametrize(("sigma_new", "paired"), [(0.6, False), (0.25, False), (1.1, False), (0.6, True)])
def test_false_pass_rate_when_truly_at_the_limit(n: int, sigma_new: float, paired: bool) -> None:
    # The new p95 exactly 1.2 × the old one; the gate passes when the whole 95 % interval lies at
    # or below 1.2, so at most 2.5 % of the time. The BCa bootstrap it replaced passed 3.4–3.7 %
    # of the time at n = 72 and 2.9 % at n = 100. 1 500 decisions: SE at 2.5 % is 0.4 %, so the
    # check is 2.5 % plus 2 SE (the interval's true rate lies well below; see the stats test).
    draw = rng(n + int(sigma_new * 100))
    gate = RatioGate(max_ratio=1.2)
    z95 = 1.6448536269514722
    mu_new = np.log(1.2) + z95 * 0.6 - z95 * sigma_new  # p95(new) = 1.2 p95(old)
    old = draw.lognormal(0.0, 0.6, (1500, n))
    new = draw.lognormal(mu_new, sigma_new, (1500, n))
    if paired:  # the same cases: a shared per-case factor (same shape, so the ratio stays 1.2)
        shared = draw.lognormal(0.0, 0.3, (1500, n))
        old, new = old * shared, new * shared
    verdicts = [decide_ratio(old[i], new[i], gate, paired=paired).verdict for i in range(1500)]
    assert np.mean([v is Verdict.PASS for v in verdicts]) <= 0.025 + 2 * 0.004


def test_more_cases_needed_reads_the_half_of_a_lopsided_interval_that_faces_the_limit() -> None:
    from types import SimpleNamespace

    from modelswap.gates.ratio import _more_needed

    # estimate well below the limit, but a long upper tail straddles it: not "one more case"
    lopsided = SimpleNamespace(lower=0.792, estimate=0.838, upper=1.219)
    assert _more_needed(lopsided, 1.2, 120, 0.95, 0.8) > 60  # type: ignore[arg-type]


def test_costs_read_as_dollars_per_thousand_requests() -> None:
    # Costs used to print as 9.676e-05.
    old = rng(8).gamma(4.0, 2.5e-5, 400)
    r = decide_ratio(old, old * 0.9, RatioGate(max_ratio=1.0), "mean", paired=True)
    assert "new mean cost $0.09" in r.reason and " per 1k requests vs old $0.1" in r.reason
    assert "e-0" not in r.reason
