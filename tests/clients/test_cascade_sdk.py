"""A routed workload through the official SDKs over TCP: the cascade keeps the cheap model's answer
or escalates to the strong one; the app sees one coherent answer and the record says what happened."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from tests.gateway.conftest import (
    CLAUDE_NEW,
    CLAUDE_OLD,
    NEW,
    OLD,
    WORKLOAD,
    Gateway,
    StartGateway,
    anthropic_endpoint,
    migration_of,
    openai_endpoint,
)

from modelswap.rollout import flag
from modelswap.sim import RunningSim
from modelswap.store import RequestRow, Store

from .conftest import APP_KEY

QUESTION = [{"role": "user", "content": "How do I export my projects?"}]
KEEP = {"type": "verifier", "scorer": {"type": "regex", "pattern": "."}}
ESCALATE = {"type": "verifier", "scorer": {"type": "regex", "pattern": "^this never matches$"}}


@dataclass
class Routed:
    gw: Gateway
    sim: RunningSim
    cheap: str
    strong: str

    async def record(self) -> RequestRow:
        await self.gw.settle(requests=1)
        (row,) = self.gw.requests()
        return row


async def routed(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store, vendor: str, signal: Any, **routing: Any
) -> Routed:
    endpoint, strong, cheap = (
        (openai_endpoint, OLD, NEW) if vendor == "openai" else (anthropic_endpoint, CLAUDE_OLD, CLAUDE_NEW)
    )
    migration = migration_of(
        tmp_path,
        endpoint(sim, strong, max_retries=0),
        endpoint(sim, cheap, max_retries=0),
        workloads=[{"name": WORKLOAD, "routing": {"signal": signal, **routing}}],
    )
    flag.set_stage(store, WORKLOAD, "full", None, "test", "cutover")
    return Routed(await start_gateway(migration), sim, cheap, strong)


async def alone_openai(sim: RunningSim, model: str) -> str:
    async with openai.AsyncOpenAI(base_url=sim.base_url, api_key="sk-direct", max_retries=0) as direct:
        reply = await direct.chat.completions.create(model=model, messages=QUESTION)  # type: ignore[arg-type]
    return reply.choices[0].message.content or ""


def assert_record(row: RequestRow, r: Routed, escalated: bool, stream: bool) -> None:
    answered = r.strong if escalated else r.cheap
    assert (row.arm, row.model, row.endpoint, row.stream) == ("new", answered, "old" if escalated else "new", stream)
    assert (row.escalated, row.escalation) == (escalated, "low_confidence" if escalated else None)
    assert row.cost_usd is not None and row.cost_usd > 0
    if escalated:
        assert row.cheap_cost_usd is not None and 0 < row.cheap_cost_usd < row.cost_usd, "both calls are paid for"
    else:
        assert row.cheap_cost_usd is None


@pytest.mark.parametrize("escalated", [False, True], ids=["kept", "escalated"])
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
async def test_openai_sdk(
    escalated: bool, stream: bool, start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    r = await routed(start_gateway, tmp_path, sim, store, "openai", ESCALATE if escalated else KEEP)
    answered = r.strong if escalated else r.cheap
    async with openai.AsyncOpenAI(base_url=r.gw.openai_url, api_key=APP_KEY, max_retries=0) as client:
        if stream:
            chunks = [
                c
                async for c in await client.chat.completions.create(
                    model=OLD, messages=QUESTION, stream=True, stream_options={"include_usage": True}
                )  # type: ignore[arg-type]
            ]
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            models, usage = {c.model for c in chunks}, chunks[-1].usage
        else:
            reply = await client.chat.completions.create(model=OLD, messages=QUESTION)  # type: ignore[arg-type]
            text, models, usage = reply.choices[0].message.content or "", {reply.model}, reply.usage
    assert models == {answered}, "every chunk comes from the one model that answered"
    assert text == await alone_openai(sim, answered), "the whole answer, once, never parts of two"
    row = await r.record()
    assert_record(row, r, escalated, stream)
    assert usage is not None and (usage.prompt_tokens, usage.completion_tokens) == (
        row.prompt_tokens,
        row.completion_tokens,
    ), "the usage the app sees is the answering model's"


@pytest.mark.parametrize("escalated", [False, True], ids=["kept", "escalated"])
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
async def test_anthropic_sdk(
    escalated: bool, stream: bool, start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    r = await routed(start_gateway, tmp_path, sim, store, "anthropic", ESCALATE if escalated else KEEP)
    answered = r.strong if escalated else r.cheap
    async with anthropic.AsyncAnthropic(base_url=r.gw.base_url, api_key=APP_KEY, max_retries=0) as client:
        if stream:
            async with client.messages.stream(model=CLAUDE_OLD, max_tokens=1000, messages=QUESTION) as events:  # type: ignore[arg-type]
                text = "".join([piece async for piece in events.text_stream])
                message = await events.get_final_message()
        else:
            message = await client.messages.create(model=CLAUDE_OLD, max_tokens=1000, messages=QUESTION)  # type: ignore[arg-type]
            text = "".join(b.text for b in message.content if b.type == "text")
    async with anthropic.AsyncAnthropic(base_url=sim.anthropic_base_url, api_key="sk-direct", max_retries=0) as direct:
        alone = await direct.messages.create(model=answered, max_tokens=1000, messages=QUESTION)  # type: ignore[arg-type]
    assert message.model == answered
    assert text == "".join(b.text for b in alone.content if b.type == "text")
    row = await r.record()
    assert_record(row, r, escalated, stream)
    assert (message.usage.input_tokens, message.usage.output_tokens) == (row.prompt_tokens, row.completion_tokens)


@pytest.mark.parametrize(("threshold", "escalated"), [(0.01, False), (1.0, True)])
async def test_logprobs_are_asked_of_the_cheap_model_and_decide(
    threshold: float, escalated: bool, start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    r = await routed(start_gateway, tmp_path, sim, store, "openai", {"type": "logprobs"}, threshold=threshold)
    async with openai.AsyncOpenAI(base_url=r.gw.openai_url, api_key=APP_KEY, max_retries=0) as client:
        reply = await client.chat.completions.create(model=OLD, messages=QUESTION)  # type: ignore[arg-type]
    assert reply.model == (OLD if escalated else NEW)
    assert reply.choices[0].logprobs is None, "logprobs the app did not ask for are not passed on"
    assert_record(await r.record(), r, escalated, stream=False)


async def test_a_kept_stream_rated_on_logprobs_carries_none_unasked(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    r = await routed(start_gateway, tmp_path, sim, store, "openai", {"type": "logprobs"}, threshold=0.01)
    async with openai.AsyncOpenAI(base_url=r.gw.openai_url, api_key=APP_KEY, max_retries=0) as client:
        chunks = [c async for c in await client.chat.completions.create(model=OLD, messages=QUESTION, stream=True)]  # type: ignore[arg-type]
        asked = [
            c
            async for c in await client.chat.completions.create(
                model=OLD,
                messages=QUESTION,
                stream=True,
                logprobs=True,  # type: ignore[arg-type]
            )
        ]
    assert {c.model for c in chunks} == {NEW}
    assert all(c.choices[0].logprobs is None for c in chunks if c.choices)
    assert any(c.choices[0].logprobs is not None for c in asked if c.choices), "asked for: passed on"


async def test_classify_routes_a_stream_up_front(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    from modelswap.routing.classifier import save, train

    easy = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    hard = {"model": "m", "messages": [{"role": "user", "content": "export " * 50}], "tools": [{"type": "function"}]}
    save(train([(easy, True), (hard, False)] * 10, hash_buckets=8), tmp_path / "router.json")
    signal = {"type": "classifier", "path": str(tmp_path / "router.json")}
    r = await routed(start_gateway, tmp_path, sim, store, "openai", signal, streaming="classify")
    async with openai.AsyncOpenAI(base_url=r.gw.openai_url, api_key=APP_KEY, max_retries=0) as client:
        long_ask = [{"role": "user", "content": "export " * 50}]
        stream = await client.chat.completions.create(model=OLD, messages=long_ask, stream=True)  # type: ignore[arg-type]
        models = {c.model async for c in stream}
    assert models == {OLD}
    await r.gw.settle(requests=1)
    (row,) = r.gw.requests()
    assert (row.model, row.escalated, row.escalation, row.cheap_cost_usd) == (OLD, True, "up_front", None)
