"""A routed workload's new arm is a cascade: the cheap model's answer is kept or escalated, and the
record says which model answered, whether it escalated, and what both calls cost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelswap.catalog import Usage, cost
from modelswap.rollout import flag
from modelswap.sim import RunningSim
from modelswap.store import Store

from .conftest import NEW, OLD, WORKLOAD, Gateway, StartGateway, dead_url, migration_of, openai_endpoint, sample

QUESTION = [{"role": "user", "content": "How do I export my projects?"}]
KEEP_ALL = {"type": "verifier", "scorer": {"type": "regex", "pattern": "."}}
KEEP_NONE = {"type": "verifier", "scorer": {"type": "regex", "pattern": "^never this$"}}


async def routed(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store, signal: Any, stage: str = "full"
) -> Gateway:
    routing = {"signal": signal, "threshold": 0.5}
    migration = migration_of(
        tmp_path,
        openai_endpoint(sim, OLD, max_retries=0),
        openai_endpoint(sim, NEW, max_retries=0),
        workloads=[{"name": WORKLOAD, "routing": routing}],
    )
    flag.set_stage(store, WORKLOAD, stage, None, "test", "cutover")
    return await start_gateway(migration, wire=False)


async def ask(gw: Gateway, stream: bool) -> tuple[str, str, dict[str, str]]:
    body = {"model": OLD, "messages": QUESTION, "stream": stream}
    r = await gw.client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    if not stream:
        answer = r.json()
        return answer["model"], answer["choices"][0]["message"]["content"], dict(r.headers)
    parsed = [json.loads(line.removeprefix("data: ")) for line in r.text.splitlines() if line.startswith("data: {")]
    text = "".join((c["choices"][0]["delta"].get("content") or "") for c in parsed if c["choices"])
    return parsed[0]["model"], text, dict(r.headers)


def priced(model: str, prompt: int | None, completion: int | None) -> float:
    assert prompt is not None and completion is not None
    return cost(Usage(prompt_tokens=prompt, completion_tokens=completion), model)


@pytest.mark.parametrize("stream", [False, True])
async def test_a_kept_answer_comes_from_the_cheap_model_and_costs_one_call(
    stream: bool, start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    gw = await routed(start_gateway, tmp_path, sim, store, KEEP_ALL)
    model, text, headers = await ask(gw, stream)
    assert model == NEW and text
    assert (headers["x-modelswap-arm"], headers["x-modelswap-escalated"]) == ("new", "false")
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert (row.arm, row.endpoint, row.model, row.escalated, row.escalation) == ("new", "new", NEW, False, None)
    assert row.cheap_cost_usd is None
    assert row.cost_usd == pytest.approx(priced(NEW, row.prompt_tokens, row.completion_tokens))
    metrics = await gw.metrics()
    assert sample(metrics, "modelswap_cascade_kept_total", workload=WORKLOAD) == 1
    assert sample(metrics, "modelswap_cascade_escalations_total", workload=WORKLOAD) == 0


@pytest.mark.parametrize("stream", [False, True])
async def test_an_escalated_answer_comes_from_the_strong_model_and_costs_both_calls(
    stream: bool, start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    gw = await routed(start_gateway, tmp_path, sim, store, KEEP_NONE)
    model, text, headers = await ask(gw, stream)
    assert model == OLD and text
    assert (headers["x-modelswap-arm"], headers["x-modelswap-escalated"]) == ("new", "true")
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert (row.arm, row.endpoint, row.model, row.escalated) == ("new", "old", OLD, True)
    assert row.escalation == "low_confidence"
    assert row.cheap_cost_usd is not None and row.cheap_cost_usd > 0
    strong_cost = priced(OLD, row.prompt_tokens, row.completion_tokens)
    assert row.cost_usd == pytest.approx(strong_cost + row.cheap_cost_usd)
    metrics = await gw.metrics()
    assert sample(metrics, "modelswap_cascade_escalations_total", workload=WORKLOAD, reason="low_confidence") == 1
    assert sample(metrics, "modelswap_requests_total", workload=WORKLOAD, arm="new", status="200") == 1


async def test_the_old_arm_of_a_routed_workload_is_served_as_it_is_and_shadowed_by_the_cascade(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    gw = await routed(start_gateway, tmp_path, sim, store, KEEP_NONE, stage="shadow")
    model, _, headers = await ask(gw, stream=False)
    assert model == OLD and "x-modelswap-escalated" not in headers
    await gw.settle(requests=1, pairs=1)
    (row,) = gw.requests()
    assert (row.arm, row.endpoint, row.escalated, row.cheap_cost_usd) == ("old", "old", None, None)
    (pair,) = gw.pairs()
    assert (pair.arm, pair.status) == ("new", 200)
    assert pair.response_body is not None and pair.response_body["model"] == OLD, "the shadow copy escalated too"


async def test_self_consistency_samples_are_paid_for_on_the_record(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    gw = await routed(start_gateway, tmp_path, sim, store, {"type": "self_consistency", "samples": 2})
    model, _, headers = await ask(gw, stream=False)
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert row.cheap_cost_usd is not None and row.cheap_cost_usd > 0, "two extra cheap calls"
    answered = priced(row.model, row.prompt_tokens, row.completion_tokens)
    assert row.cost_usd == pytest.approx(answered + row.cheap_cost_usd)
    assert (model == NEW) is (headers["x-modelswap-escalated"] == "false") is (row.escalated is False)


async def test_a_failing_strong_model_is_what_the_app_hears_and_the_cheap_call_is_still_paid_for(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    migration = migration_of(
        tmp_path,
        openai_endpoint(dead_url() + "/v1", OLD, max_retries=0),
        openai_endpoint(sim, NEW, max_retries=0),
        workloads=[{"name": WORKLOAD, "routing": {"signal": KEEP_NONE}}],
    )
    flag.set_stage(store, WORKLOAD, "full", None, "test", "cutover")
    gw = await start_gateway(migration, wire=False)
    r = await gw.client.post("/v1/chat/completions", json={"model": OLD, "messages": QUESTION})
    assert r.status_code == 502 and OLD in r.json()["error"]["message"], "the error names the model that failed"
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert (row.arm, row.endpoint, row.model, row.escalated, row.error_kind) == ("new", "old", OLD, True, "connection")
    assert row.cheap_cost_usd is not None and row.cost_usd == pytest.approx(row.cheap_cost_usd)
