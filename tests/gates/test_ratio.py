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
    assert "BCa bootstrap, 2000 resamples" in r.method


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
    # 71 latencies cannot bound a p95 at 95 % without assumptions: not even a clear win passes.
    assert min_cases_for("p95", 0.95) == 72
    r = decide_ratio(np.full(71, 10.0), np.full(71, 1.0), RatioGate(max_ratio=1.2))
    assert r.verdict is Verdict.INCONCLUSIVE and r.more_cases_needed == 1
    assert min_cases_for("mean", 0.95) == 100


def test_zero_baseline_is_inconclusive() -> None:
    r = decide_ratio(np.zeros(100), np.ones(100), RatioGate(max_ratio=1.2), "mean")
    assert r.verdict is Verdict.INCONCLUSIVE and "positive baseline" in r.reason


def test_false_pass_rate_when_truly_at_the_limit() -> None:
    # 400 decisions with the true p95 ratio exactly at max_ratio (lognormal arms, n = 800 each):
    # the gate needs the whole 95 % interval at or below the limit, so it should pass about
    # 2.5 % of the time. MC SE 0.008; allow up to 0.025 + 0.025 (3 SE plus bootstrap slack).
    draw = rng(7)
    gate = RatioGate(max_ratio=1.2)
    passes = 0
    for i in range(400):
        old = draw.lognormal(0.0, 0.6, 800)
        new = draw.lognormal(np.log(1.2), 0.6, 800)
        passes += decide_ratio(old, new, gate, resamples=1000, seed=i).verdict is Verdict.PASS
    assert passes / 400 <= 0.05


def test_more_cases_needed_reads_the_half_of_a_lopsided_interval_that_faces_the_limit() -> None:
    from types import SimpleNamespace

    from modelswap.gates.ratio import _more_needed

    # estimate well below the limit, but a long upper tail straddles it: not "one more case"
    lopsided = SimpleNamespace(lower=0.792, estimate=0.838, upper=1.219)
    assert _more_needed(lopsided, 1.2, 120, 0.95, 0.8) > 60  # type: ignore[arg-type]
