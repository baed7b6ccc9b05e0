"""The eval runner: results in the store, the response cache, retries, costs and failed calls."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from modelswap.catalog import Price
from modelswap.evals import ScorerContext, load_golden_set
from modelswap.evals.cache import cache_key
from modelswap.evals.endpoint import EvalEndpoint
from modelswap.evals.ratelimit import Limiter
from modelswap.evals.results import outcomes, run_figures
from modelswap.evals.runner import EvalRunError, run_eval
from modelswap.evals.targets import limited
from modelswap.providers import HttpPool, RetryPolicy, UpstreamError, build_upstream
from modelswap.sim import SimConfig, start_sim
from modelswap.sim.server import RunningSim
from modelswap.store import Store, open_store

from .runner_fakes import FakeModel, arithmetic_cases, question, sim_total, write_golden


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'evals.db'}") as s:
        yield s


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    running = await start_sim(SimConfig(time_scale=0, error_scale=0, seed=7))
    yield running
    await running.stop()


@pytest.fixture
async def pool() -> AsyncIterator[HttpPool]:
    p = HttpPool()
    yield p
    await p.aclose()


def sim_golden(tmp_path: Path, n: int) -> Path:
    """The first ``n`` cases of the simulator's arithmetic golden set, as a file of their own."""
    text = resources.files("modelswap.sim").joinpath("data/arithmetic.jsonl").read_text(encoding="utf-8")
    path = tmp_path / "arithmetic.jsonl"
    path.write_text("".join(text.splitlines(keepends=True)[:n]), encoding="utf-8")
    return path


def sim_endpoints(sim: RunningSim, pool: HttpPool, concurrency: int = 8) -> dict[str, EvalEndpoint]:
    upstreams = {
        arm: build_upstream("openai", arm, model, sim.base_url, "test-key", pool, dialect="openai", max_retries=0)
        for arm, model in (("old", "gpt-4o"), ("new", "gpt-5"))
    }
    return limited(upstreams, concurrency=concurrency)


async def test_a_run_stores_one_row_per_case_arm_and_scorer(
    tmp_path: Path, store: Store, sim: RunningSim, pool: HttpPool
) -> None:
    golden = load_golden_set(sim_golden(tmp_path, 30))
    summary = await run_eval(store, "arithmetic", golden, sim_endpoints(sim, pool))

    assert (summary.status, summary.answered, summary.calls, summary.errors) == ("finished", 60, 60, 0)
    assert sim_total(sim) == 60
    run = store.evals.run(summary.run_id)
    assert run is not None and run.status == "finished" and run.finished_at is not None
    assert run.golden_set_sha256 == golden.sha256 and run.endpoints == ["old", "new"] and not run.nightly
    assert run.spec["scorers"] == ["equals"]
    assert {"type": "equals", "value": "378", "strip": True, "ignore_case": False, "normalize": False} in run.spec[
        "scorer_specs"
    ]
    assert len(run.spec["scorer_specs"]) == len({c.assertions[0]["value"] for c in golden.cases})
    assert run.spec["models"] == {"old": "gpt-4o", "new": "gpt-5"}
    rows = store.evals.results(summary.run_id)
    assert len(rows) == 60 and {(r.arm, r.model) for r in rows} == {("old", "gpt-4o"), ("new", "gpt-5")}
    for row in rows:
        assert row.scorer == "equals" and row.scorer_spec is not None and row.scorer_spec["type"] == "equals"
        assert row.passed is not None and row.latency_ms is not None and row.latency_ms >= 0
        assert row.cost_usd is not None and row.cost_usd > 0  # both models are in the catalog
        assert row.output["answer"]["text"] and row.output["reason"] and row.output["cached"] is False
    figures = run_figures(rows)
    assert figures["old"].cases == figures["new"].cases == 30


async def test_a_rerun_rescores_from_the_cache_without_calling(
    tmp_path: Path, store: Store, sim: RunningSim, pool: HttpPool
) -> None:
    golden = load_golden_set(sim_golden(tmp_path, 25))
    first = await run_eval(store, "arithmetic", golden, sim_endpoints(sim, pool))
    served = sim_total(sim)
    second = await run_eval(store, "arithmetic", golden, sim_endpoints(sim, pool))

    assert sim_total(sim) == served == 50
    assert (second.calls, second.cache_hits, second.status) == (0, 50, "finished")
    before, after = outcomes(store.evals.results(first.run_id)), outcomes(store.evals.results(second.run_id))
    for arm in ("old", "new"):
        for case_id, o in before[arm].items():
            again = after[arm][case_id]
            assert (again.passed, again.latency_ms, again.cost_usd) == (o.passed, o.latency_ms, o.cost_usd)
            assert again.cached and not o.cached


async def test_identical_requests_are_paid_once(tmp_path: Path, store: Store) -> None:
    cases = arithmetic_cases(6)
    for i, case in enumerate(cases[3:]):  # three more cases asking exactly what the first three ask
        case["messages"] = cases[i]["messages"]
        case["assert"] = cases[i]["assert"]
    golden = write_golden(tmp_path / "dupes.jsonl", cases)
    fake = FakeModel(delay=0.01)
    summary = await run_eval(store, "w", golden, limited({"old": fake}, concurrency=6))
    assert fake.total == 3 and set(fake.calls.values()) == {1}
    assert (summary.calls, summary.cache_hits, summary.answered) == (3, 3, 6)


async def test_cost_per_case_is_priced_from_the_reported_usage(tmp_path: Path, store: Store) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(4))
    fake = FakeModel("house-model")  # 30 prompt + 2 completion tokens per answer
    prices = {"house-model": Price(input=2.0, output=10.0)}
    summary = await run_eval(store, "w", golden, limited({"old": fake}), prices=prices)
    rows = store.evals.results(summary.run_id)
    assert [r.cost_usd for r in rows] == pytest.approx([(30 * 2.0 + 2 * 10.0) / 1e6] * 4)
    unpriced = await run_eval(store, "w", golden, limited({"old": FakeModel("no-such-model-anywhere")}))
    assert {r.cost_usd for r in store.evals.results(unpriced.run_id)} == {None}


async def test_a_call_that_keeps_failing_is_scored_failed_and_stored_when_the_run_ends(
    tmp_path: Path, store: Store
) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(5))

    def fail(body: dict[str, object], attempt: int) -> UpstreamError | None:
        if question(body) == "What is 2 + 7?":
            return UpstreamError("upstream: HTTP 503 overloaded", kind="overloaded", status=503, provider="fake")
        return None

    fake = FakeModel(fail=fail)
    endpoint = EvalEndpoint(fake, Limiter(), RetryPolicy(max_retries=2, base_delay_s=0.001))
    summary = await run_eval(store, "w", golden, {"old": endpoint})
    assert (summary.status, summary.errors, summary.answered) == ("finished", 1, 5)
    assert fake.calls["What is 2 + 7?"] == 3  # the first attempt and two retries
    failed = [r for r in store.evals.results(summary.run_id) if r.case_id == "case-002"]
    assert len(failed) == 1 and failed[0].passed is False and "overloaded" in (failed[0].error or "")
    assert failed[0].latency_ms is None and failed[0].cost_usd is None
    again = await run_eval(store, "w", golden, {"old": endpoint}, resume=summary.run_id)
    assert (again.answered, again.calls, again.skipped) == (0, 0, 5)


async def test_retry_after_pauses_the_whole_endpoint_and_the_retry_waits_for_it(tmp_path: Path, store: Store) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(12))
    refused_at: list[float] = []

    def fail(body: dict[str, object], attempt: int) -> UpstreamError | None:
        if question(body) == "What is 1 + 7?" and attempt == 0:
            refused_at.append(time.monotonic())
            return UpstreamError("rate limited", kind="rate_limited", status=429, provider="fake", retry_after=0.3)
        return None

    fake = FakeModel(delay=0.02, fail=fail)
    endpoints = limited({"old": fake}, concurrency=3)
    summary = await run_eval(store, "w", golden, endpoints)
    assert (summary.status, summary.errors, summary.attempts, summary.calls) == ("finished", 0, 13, 12)
    (refused,) = refused_at
    later = [t for t in fake.times if t > refused]
    assert later and min(later) >= refused + 0.3 - 0.01  # nothing was sent while the endpoint was paused


async def test_resume_refuses_what_it_cannot_continue(tmp_path: Path, store: Store) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(3))
    with pytest.raises(EvalRunError, match="no eval run 'nope'"):
        await run_eval(store, "w", golden, limited({"old": FakeModel()}), resume="nope")
    summary = await run_eval(store, "w", golden, limited({"old": FakeModel()}))
    with pytest.raises(EvalRunError, match="is of workload 'w', not 'other'"):
        await run_eval(store, "other", golden, limited({"old": FakeModel()}), resume=summary.run_id)
    changed = write_golden(tmp_path / "g.jsonl", arithmetic_cases(4))
    with pytest.raises(EvalRunError, match="changed since eval run"):
        await run_eval(store, "w", changed, limited({"old": FakeModel()}), resume=summary.run_id)
    with pytest.raises(EvalRunError, match="missing now"):
        await run_eval(store, "w", golden, limited({"new": FakeModel()}), resume=summary.run_id)


def test_cache_keys_follow_model_request_and_scope_not_key_order() -> None:
    a = {"model": "x", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}
    b = {"temperature": 0, "messages": [{"content": "hi", "role": "user"}], "model": "y"}
    assert cache_key("m", a) == cache_key("m", b)
    assert cache_key("m", a) != cache_key("other", a)
    assert cache_key("m", a) != cache_key("m", {**a, "temperature": 1})
    assert cache_key("m", a) != cache_key("m", a, scope="night-1")


async def test_a_judge_is_asked_once_per_output_however_often_the_run_is_scored(
    tmp_path: Path, store: Store, make_judge: Callable[..., Any]
) -> None:
    cases = arithmetic_cases(4)
    for case in cases:
        case["assert"] = [{"type": "llm_judge", "rubric": "The reply is the right integer.", "mode": "pass_fail"}]
    golden = write_golden(tmp_path / "judged.jsonl", cases)
    judge = make_judge(lambda prompt: '{"reason": "right", "pass": true}')
    context = ScorerContext(judge=judge)
    first = await run_eval(store, "w", golden, limited({"old": FakeModel()}), context=context)
    assert len(judge.bodies) == 4
    assert {r.passed for r in store.evals.results(first.run_id)} == {True}
    run = store.evals.run(first.run_id)
    assert run is not None and run.spec["judge"] == {"name": "judge", "model": "judge-1"}
    second = await run_eval(store, "w", golden, limited({"old": FakeModel()}), context=context)
    assert len(judge.bodies) == 4  # re-scoring asked the judge nothing new
    assert {r.passed for r in store.evals.results(second.run_id)} == {True}
