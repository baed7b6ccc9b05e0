"""``BaselineFigures``: the one shape of a baseline, its pass rate (a failed call is a failed case) and its JSON."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.evals.baseline_figures import BaselineFigures, pass_rate_part, sample_warnings
from modelswap.evals.results import run_figures
from modelswap.store import EvalResultRow

finite = st.floats(allow_nan=False, allow_infinity=False, width=32)
maybe_int = st.none() | st.integers(0, 10_000)
json_leaf = st.none() | st.booleans() | st.integers(-100, 100) | st.text(max_size=8)
figures = st.builds(
    BaselineFigures,
    arm=st.sampled_from(["old", "new"]),
    min_sample=st.integers(1, 500),
    model=st.none() | st.text(max_size=12),
    pass_rate=st.none() | st.floats(0, 1),
    pass_rate_ci=st.none() | st.lists(st.floats(0, 1), min_size=2, max_size=2),
    passed=maybe_int,
    cases=maybe_int,
    cost_per_request_usd=st.none() | finite,
    cost_source=st.none() | st.sampled_from(["traffic", "eval", "inventory"]),
    cost_sample=maybe_int,
    latency_p95_ms=st.none() | finite,
    latency_sample=maybe_int,
    eval=st.none() | st.dictionaries(st.text(max_size=6), json_leaf, max_size=4),
    warnings=st.lists(st.text(max_size=20), max_size=3),
)


@settings(max_examples=60)
@given(figures)
def test_figures_survive_the_store_s_json(f: BaselineFigures) -> None:
    stored = f.to_json()
    assert BaselineFigures.from_json(stored) == f
    assert all(
        v is not None for k, v in stored.items() if k not in {"arm", "min_sample", "eval", "traffic", "warnings"}
    )


@settings(max_examples=60)
@given(st.dictionaries(st.text(max_size=12), json_leaf, max_size=8))
def test_unknown_stored_keys_are_ignored(extra: dict[str, Any]) -> None:
    names = set(BaselineFigures.__dataclass_fields__)
    stored = {k: v for k, v in extra.items() if k not in names} | {"pass_rate": 0.5, "cases": 4}
    back = BaselineFigures.from_json(stored)
    assert (back.pass_rate, back.cases, back.arm) == (0.5, 4, "old")


def result(case: str, passed: bool | None, error: str | None = None) -> EvalResultRow:
    return EvalResultRow(run_id="r", case_id=case, arm="old", scorer="exact", passed=passed, error=error)


@settings(max_examples=60)
@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))
def test_a_failed_call_is_a_failed_case(passes: int, fails: int, errors: int) -> None:
    rows = [result(f"p{i}", True) for i in range(passes)] + [result(f"f{i}", False) for i in range(fails)]
    rows += [result(f"e{i}", None, error="HTTP 503 overloaded") for i in range(errors)]
    arm = run_figures(rows).get("old")
    if arm is None:
        return
    part = pass_rate_part(arm, 0.95)
    assert (part["passed"], part["cases"]) == (passes, passes + fails + errors)
    total = passes + fails + errors
    assert part["pass_rate"] == (passes / total if total else None)


def test_thin_figures_say_what_they_rest_on() -> None:
    f = BaselineFigures(cases=9, cost_sample=400, cost_source="traffic", latency_sample=3, latency_source="inventory")
    assert sample_warnings(f) == [
        "pass rate rests on 9 eval cases, fewer than the minimum of 50: not a reliable baseline",
        "latency percentiles rests on 3 inventory requests, fewer than the minimum of 50: not a reliable baseline",
    ]
