"""Canary vs control: figures with intervals, and each kind of trigger on plain data."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.config_rollout import RollbackTrigger
from modelswap.rollout.analysis import ArmSample, analyse, figures_of

RNG = np.random.default_rng(0)


def arm(n: int, error_rate: float, latency_scale: float = 1.0, cost: float = 0.001) -> ArmSample:
    failed = RNG.random(n) < error_rate
    ok = int((~failed).sum())
    return ArmSample.of(
        failed=failed,
        latency_ms=RNG.lognormal(6.0, 0.4, ok) * latency_scale,
        cost_usd=RNG.normal(cost, cost / 10, ok),
    )


ERRORS = RollbackTrigger(metric="error_rate", max_increase_points=2)
P95 = RollbackTrigger(metric="p95_latency", max_ratio=1.5)
COST = RollbackTrigger(metric="cost_per_request", max_ratio=1.2)


def test_figures_carry_intervals() -> None:
    f = figures_of(arm(2000, 0.05))
    assert f.requests == 2000 and f.error_interval is not None and f.p95_interval is not None
    assert f.error_interval.lower < f.error_rate < f.error_interval.upper  # type: ignore[operator]
    assert f.p95_interval.lower <= f.p95_ms <= f.p95_interval.upper  # type: ignore[operator]


def test_a_healthy_canary_fires_nothing() -> None:
    a = analyse(arm(20_000, 0.01), arm(800, 0.01), [ERRORS, P95, COST])
    assert a.healthy, a.breaches
    assert [t.metric for t in a.triggers] == ["error_rate", "p95_latency", "cost_per_request"]
    assert all(t.alpha == 0.05 / 3 for t in a.triggers)
    assert a.latency_shift is not None and 0.4 < a.latency_shift.prob_new_greater < 0.6


def test_each_trigger_fires_on_a_clear_regression_with_its_figures() -> None:
    a = analyse(arm(20_000, 0.01), arm(1000, 0.08, latency_scale=2.5, cost=0.002), [ERRORS, P95, COST])
    fired = {t.metric: t for t in a.triggers if t.fired}
    assert set(fired) == {"error_rate", "p95_latency", "cost_per_request"}
    assert "tolerated +2" in fired["error_rate"].text and "always-valid p" in fired["error_rate"].text
    assert fired["p95_latency"].new > 2 * fired["p95_latency"].old  # type: ignore[operator]
    assert len(a.breaches) == 3


def test_no_trigger_fires_before_its_minimum_sample() -> None:
    a = analyse(arm(5000, 0.0), arm(150, 0.5), [ERRORS])
    assert not a.triggers[0].fired and not a.triggers[0].enough_data
    assert "waiting for 200 per arm" in a.triggers[0].text


def test_quality_and_feedback_are_rates_too() -> None:
    quality = RollbackTrigger(metric="pass_rate", max_increase_points=5, min_samples=50)
    feedback = RollbackTrigger(metric="feedback", max_increase_points=5, min_samples=50)
    control = ArmSample.of(
        failed=[False] * 500, quality_failed=[False] * 480 + [True] * 20, feedback_negative=[False] * 300
    )
    canary = ArmSample.of(
        failed=[False] * 500, quality_failed=[False] * 300 + [True] * 200, feedback_negative=[False] * 300
    )
    a = analyse(control, canary, [quality, feedback])
    assert [t.fired for t in a.triggers] == [True, False]


def test_empty_arms_are_no_data_not_errors() -> None:
    a = analyse(ArmSample.of(failed=[]), ArmSample.of(failed=[]), [ERRORS, P95, COST])
    assert a.healthy and all("no" in t.text for t in a.triggers)
    assert a.as_json()["canary"]["requests"] == 0


@settings(max_examples=60, deadline=None)
@given(
    n_old=st.integers(0, 400),
    n_new=st.integers(0, 400),
    errors=st.floats(0, 1),
    latencies=st.lists(st.floats(0, 1e6), max_size=50),
)
def test_any_window_gives_an_analysis(n_old: int, n_new: int, errors: float, latencies: list[float]) -> None:
    control = ArmSample.of(failed=np.arange(n_old) < errors * n_old, latency_ms=latencies, cost_usd=latencies)
    canary = ArmSample.of(failed=np.arange(n_new) < errors * n_new, latency_ms=latencies[::-1], cost_usd=latencies)
    a = analyse(control, canary, [ERRORS, P95, COST])
    assert all(0 <= t.p_value <= 1 for t in a.triggers)
    a.as_json()


def test_the_python_example_in_the_docs_runs_and_prints_what_it_says(capsys: object) -> None:
    import re
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "rollout.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    exec(compile(code, "docs/rollout.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()  # type: ignore[attr-defined]
    assert printed[0].startswith("error_rate: new 9.25 % vs old 0.98 %") and printed[0].endswith("→ fired")
    assert printed[1:] == ["rollback", "('31 h of 48 h held at 1 %',)"]
