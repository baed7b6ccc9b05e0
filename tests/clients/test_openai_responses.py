"""The official ``openai`` SDK's Responses API through the gateway, over TCP.

Three stages answer the same app: a chat-completions model (translated), a Responses-only
model (``provider: openai-responses``, passed through) and a Claude model (translated through
chat completions to Messages). Each test asserts what the SDK hands the app.
"""

# ruff: noqa: F811  (the gateway fixtures are imported by name and then requested as arguments)
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from aiohttp import web
from pydantic import BaseModel
from tests.gateway.conftest import (  # noqa: F401 (fixtures)
    CLAUDE_NEW,
    NEW,
    OLD,
    OPENAI_KEY_ENV,
    WORKLOAD,
    Gateway,
    StartGateway,
    anthropic_endpoint,
    api_keys,
    migration_of,
    openai_endpoint,
    sim,
    start_gateway,
    store,
)

from modelswap.rollout import flag
from modelswap.sim import RunningSim
from modelswap.store import Store

QUESTION = "How do I export my projects?"
ORDER = "Where is my order ORD-48213?"
LOOKUP = {
    "type": "function",
    "name": "lookup_order",
    "description": "Look up an order by its id.",
    "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
    "strict": False,
}
EXTRACT = "Extract the contact. Text: Maria Lopez (maria.lopez@example.com) paid $120.50 for the upgrade."
STREAM_EVENTS = {
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
}
TOOL_EVENTS = {"response.function_call_arguments.delta", "response.function_call_arguments.done"}


class Contact(BaseModel):
    name: str | None = None
    email: str | None = None
    amount: float | None = None


def responses_endpoint(sim: RunningSim, model: str, **extra: Any) -> dict[str, Any]:
    return {
        "provider": "openai-responses",
        "model": model,
        "base_url": sim.base_url,
        "api_key_env": OPENAI_KEY_ENV,
        **extra,
    }


NewEndpoint = Callable[[RunningSim], dict[str, Any]]
STAGES: dict[str, NewEndpoint] = {
    "chat-model": lambda sim: openai_endpoint(sim, NEW, max_retries=0),
    "responses-model": lambda sim: responses_endpoint(sim, NEW, max_retries=0),
    "claude": lambda sim: anthropic_endpoint(sim, CLAUDE_NEW, max_retries=0),
}


async def _full(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store, new: dict[str, Any]
) -> Gateway:
    migration = migration_of(tmp_path, openai_endpoint(sim, OLD, max_retries=0), new)
    flag.set_stage(store, WORKLOAD, "full", None, "test", "cutover")
    return await start_gateway(migration)


@pytest.fixture(params=sorted(STAGES))
async def gateway(
    request: pytest.FixtureRequest, start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> Gateway:
    """The new model serves every request: a chat model, a Responses-only model or Claude."""
    return await _full(start_gateway, tmp_path, sim, store, STAGES[request.param](sim))


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[openai.AsyncOpenAI]:
    c = openai.AsyncOpenAI(base_url=gateway.openai_url, api_key="app-key", max_retries=0, timeout=10)
    yield c
    await c.close()


@pytest.fixture
async def direct(sim: RunningSim) -> AsyncIterator[openai.AsyncOpenAI]:
    c = openai.AsyncOpenAI(base_url=sim.base_url, api_key="sk-direct", max_retries=0, timeout=10)
    yield c
    await c.close()


def _model_of(gateway: Gateway) -> str:
    return gateway.app.migration.endpoints["new"].model


# -- whole responses -----------------------------------------------------------------------------


async def test_create_returns_the_serving_models_answer(client: openai.AsyncOpenAI, gateway: Gateway) -> None:
    raw = await client.responses.with_raw_response.create(model=OLD, input=QUESTION, instructions="Be helpful.")
    response = raw.parse()
    assert raw.headers["x-modelswap-arm"] == "new"
    assert response.object == "response" and response.status == "completed" and response.id.startswith("resp_")
    assert response.model == _model_of(gateway)
    assert response.instructions == "Be helpful."
    assert response.output_text and response.output[-1].type == "message"
    assert response.usage is not None and response.usage.output_tokens > 0 and response.usage.input_tokens > 0

    await gateway.settle(requests=1)
    (row,) = gateway.requests()
    assert (row.arm, row.model, row.status, row.stream) == ("new", _model_of(gateway), 200, False)
    assert (row.prompt_tokens, row.completion_tokens) == (response.usage.input_tokens, response.usage.output_tokens)
    assert row.cost_usd is not None and row.cost_usd > 0


async def test_same_answer_as_the_chat_model_gives_directly(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store, direct: openai.AsyncOpenAI
) -> None:
    gw = await _full(start_gateway, tmp_path, sim, store, STAGES["chat-model"](sim))
    client = openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key", max_retries=0, timeout=10)
    response = await client.responses.create(model=OLD, input=QUESTION)
    alone = await direct.chat.completions.create(model=NEW, messages=[{"role": "user", "content": QUESTION}])
    await client.close()
    assert response.output_text == alone.choices[0].message.content
    assert alone.usage is not None and response.usage is not None
    assert response.usage.output_tokens == alone.usage.completion_tokens


async def test_sync_client_creates_and_retrieves(gateway: Gateway) -> None:
    def app() -> tuple[Any, Any]:  # a blocking app: in a thread, so the gateway's loop keeps serving
        with openai.OpenAI(base_url=gateway.openai_url, api_key="app-key", max_retries=0, timeout=10) as client:
            response = client.responses.create(model=OLD, input=QUESTION)
            return response, client.responses.retrieve(response.id)

    response, again = await asyncio.to_thread(app)
    assert response.output_text
    assert again.id == response.id and again.output_text == response.output_text


# -- streaming -----------------------------------------------------------------------------------


async def test_stream_helper_gets_every_event_and_the_final_response(
    client: openai.AsyncOpenAI, gateway: Gateway
) -> None:
    deltas: list[str] = []
    seen: list[str] = []
    async with client.responses.stream(model=OLD, input=QUESTION) as stream:
        async for event in stream:
            seen.append(event.type)
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = await stream.get_final_response()
    assert set(seen) >= STREAM_EVENTS
    assert seen[:2] == ["response.created", "response.in_progress"] and seen[-1] == "response.completed"
    assert "".join(deltas) == final.output_text and final.output_text
    assert final.usage is not None and final.usage.output_tokens > 0

    await gateway.settle(requests=1)
    (row,) = gateway.requests()
    assert row.stream and row.status == 200 and row.ttft_ms is not None
    assert (row.prompt_tokens, row.completion_tokens) == (final.usage.input_tokens, final.usage.output_tokens)


async def test_sync_stream_helper(gateway: Gateway) -> None:
    def app() -> tuple[str, Any]:
        with (
            openai.OpenAI(base_url=gateway.openai_url, api_key="app-key", max_retries=0, timeout=10) as client,
            client.responses.stream(model=OLD, input=QUESTION) as stream,
        ):
            text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
            return text, stream.get_final_response()

    text, final = await asyncio.to_thread(app)
    assert text and text == final.output_text


async def test_raw_stream_numbers_its_events(client: openai.AsyncOpenAI) -> None:
    stream = await client.responses.create(model=OLD, input=QUESTION, stream=True)
    events = [e async for e in stream]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert len({e.response.id for e in events if e.type in ("response.created", "response.completed")}) == 1


# -- structured output and tools ----------------------------------------------------------------


async def test_parse_with_a_pydantic_model(client: openai.AsyncOpenAI) -> None:
    response = await client.responses.parse(model=OLD, input=EXTRACT, text_format=Contact)
    parsed = response.output_parsed
    assert isinstance(parsed, Contact)
    assert parsed.email == "maria.lopez@example.com" and parsed.amount == 120.5


async def test_tool_call_round_trip(client: openai.AsyncOpenAI) -> None:
    first = await client.responses.create(model=OLD, input=ORDER, tools=[LOOKUP])  # type: ignore[list-item]
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "lookup_order"
    assert json.loads(calls[0].arguments) == {"order_id": "ORD-48213"}

    follow_up: list[Any] = [
        {"role": "user", "content": ORDER},
        *[item.model_dump(exclude_none=True) for item in first.output],
        {"type": "function_call_output", "call_id": calls[0].call_id, "output": '{"status": "shipped"}'},
    ]
    second = await client.responses.create(model=OLD, input=follow_up, tools=[LOOKUP])  # type: ignore[list-item]
    assert second.status == "completed" and second.output_text
    assert not [item for item in second.output if item.type == "function_call"]


async def test_streamed_tool_call(client: openai.AsyncOpenAI) -> None:
    seen: set[str] = set()
    async with client.responses.stream(model=OLD, input=ORDER, tools=[LOOKUP]) as stream:  # type: ignore[list-item]
        async for event in stream:
            seen.add(event.type)
        final = await stream.get_final_response()
    assert seen >= TOOL_EVENTS
    (call,) = [item for item in final.output if item.type == "function_call"]
    assert json.loads(call.arguments) == {"order_id": "ORD-48213"}


# -- stored responses ----------------------------------------------------------------------------


async def test_previous_response_id_carries_the_conversation(client: openai.AsyncOpenAI, gateway: Gateway) -> None:
    first = await client.responses.create(model=OLD, input=ORDER, tools=[LOOKUP])  # type: ignore[list-item]
    (call,) = [item for item in first.output if item.type == "function_call"]
    second = await client.responses.create(
        model=OLD,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"status": "shipped"}'}],
        tools=[LOOKUP],  # type: ignore[list-item]
    )
    assert second.previous_response_id == first.id and second.output_text

    await gateway.settle(requests=2)
    sent = gateway.requests()[1].request_body
    assert sent is not None
    kinds = [item.get("type", "message") for item in sent["input"]]
    assert kinds == ["message", "function_call", "function_call_output"]

    kept = await client.responses.retrieve(second.id)
    assert kept.id == second.id and kept.output_text == second.output_text
    items = await client.responses.input_items.list(second.id, order="asc")
    assert [item.type for item in items.data] == ["message", "function_call", "function_call_output"]


async def test_store_false_is_not_kept(client: openai.AsyncOpenAI) -> None:
    response = await client.responses.create(model=OLD, input=QUESTION, store=False)
    assert response.store is False
    with pytest.raises(openai.NotFoundError) as caught:
        await client.responses.retrieve(response.id)
    assert response.id in caught.value.message
    with pytest.raises(openai.NotFoundError) as unknown:
        await client.responses.create(model=OLD, input="And then?", previous_response_id=response.id)
    assert unknown.value.code == "previous_response_not_found"


async def test_delete_forgets_a_response(client: openai.AsyncOpenAI) -> None:
    response = await client.responses.create(model=OLD, input=QUESTION)
    await client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        await client.responses.retrieve(response.id)


# -- refused requests ----------------------------------------------------------------------------


async def test_bad_request_in_openais_shape(client: openai.AsyncOpenAI, gateway: Gateway) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.responses.create(model=OLD, input=QUESTION, max_output_tokens=3)
    assert caught.value.param == "max_output_tokens" and caught.value.code == "integer_below_min_value"
    with pytest.raises(openai.NotFoundError) as unknown:
        await client.responses.create(model="gpt-unknown", input=QUESTION)
    assert unknown.value.code == "model_not_found"
    await gateway.settle(requests=2)
    assert [r.status for r in gateway.requests()] == [400, 404]


async def test_hosted_tools_are_refused_when_translated(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    gw = await _full(start_gateway, tmp_path, sim, store, STAGES["claude"](sim))
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key", max_retries=0, timeout=10) as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.responses.create(model=OLD, input=QUESTION, tools=[{"type": "web_search"}])
    assert "only function tools" in caught.value.message


# -- other apps answered by a Responses-only model ----------------------------------------------


@pytest.fixture
async def responses_only(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store) -> Gateway:
    return await _full(start_gateway, tmp_path, sim, store, STAGES["responses-model"](sim))


async def test_chat_app_answered_by_a_responses_model(responses_only: Gateway) -> None:
    async with openai.AsyncOpenAI(
        base_url=responses_only.openai_url, api_key="app-key", max_retries=0, timeout=10
    ) as client:
        reply = await client.chat.completions.create(
            model=OLD,
            messages=[{"role": "user", "content": ORDER}],
            tools=[{"type": "function", "function": {"name": "lookup_order", "parameters": LOOKUP["parameters"]}}],
        )
        stream = await client.chat.completions.create(
            model=OLD,
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [c async for c in stream]
    (call,) = reply.choices[0].message.tool_calls or []
    assert reply.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "lookup_order" and json.loads(call.function.arguments) == {"order_id": "ORD-48213"}
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    await responses_only.settle(requests=2)
    assert all(r.model == NEW and r.completion_tokens for r in responses_only.requests())


async def test_messages_app_answered_by_a_responses_model(responses_only: Gateway) -> None:
    async with anthropic.AsyncAnthropic(
        base_url=responses_only.base_url, api_key="app-key", max_retries=0, timeout=10
    ) as client:
        message = await client.messages.create(
            model=OLD, max_tokens=512, messages=[{"role": "user", "content": QUESTION}]
        )
        async with client.messages.stream(
            model=OLD, max_tokens=512, messages=[{"role": "user", "content": QUESTION}]
        ) as stream:
            streamed = await stream.get_final_message()
    assert message.type == "message" and message.stop_reason == "end_turn"
    assert message.content[0].type == "text" and message.content[0].text
    assert streamed.content[0].type == "text" and streamed.content[0].text == message.content[0].text
    assert streamed.usage.output_tokens == message.usage.output_tokens


async def test_shadow_mirrors_a_responses_request_to_claude(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store
) -> None:
    migration = migration_of(tmp_path, openai_endpoint(sim, OLD, max_retries=0), STAGES["claude"](sim))
    gw = await start_gateway(migration)  # no stage set: shadow, the old model serves
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key", max_retries=0, timeout=10) as client:
        raw = await client.responses.with_raw_response.create(model=OLD, input=QUESTION)
    assert raw.headers["x-modelswap-arm"] == "old" and raw.parse().model == OLD
    await gw.settle(requests=1, pairs=1)
    (pair,) = gw.pairs()
    assert (pair.arm, pair.model, pair.status) == ("new", CLAUDE_NEW, 200)
    assert pair.completion_tokens and pair.response_body is not None and pair.response_body["object"] == "response"


async def test_a_stream_failing_midway_ends_with_an_error_event(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, store: Store, serve_vendor: Any
) -> None:
    """A Responses-only vendor that starts answering, then fails: the app's stream helper gets
    the text so far and an ``error`` event in the Responses API's shape, and no final response."""
    created = {
        "type": "response.created",
        "sequence_number": 0,
        "response": {"id": "resp_v", "object": "response", "status": "in_progress", "output": [], "model": NEW},
    }
    failure = {"type": "error", "sequence_number": 1, "code": "server_error", "message": "The server had an error."}

    async def vendor(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for event in (created, failure):
            await response.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
        return response

    app = web.Application()
    app.router.add_post("/v1/responses", vendor)
    url = await serve_vendor(app)
    new = {
        "provider": "openai-responses",
        "model": NEW,
        "base_url": f"{url}/v1",
        "api_key_env": OPENAI_KEY_ENV,
        "max_retries": 0,
    }
    gw = await _full(start_gateway, tmp_path, sim, store, new)
    async with (
        openai.AsyncOpenAI(base_url=gw.openai_url, api_key="app-key", max_retries=0, timeout=10) as client,
        client.responses.stream(model=OLD, input=QUESTION) as stream,
    ):
        events = [event async for event in stream]
        with pytest.raises(RuntimeError, match=r"response\.completed"):
            await stream.get_final_response()
    assert [e.type for e in events] == ["response.created", "error"]
    error = events[-1]
    assert error.type == "error" and "server had an error" in error.message and error.code == "server_error"
    await gw.settle(requests=1)
    (row,) = gw.requests()
    assert row.status == 500 and row.error_kind == "server"  # the vendor's own status, as for the other APIs
