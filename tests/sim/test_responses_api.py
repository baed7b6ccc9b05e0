"""The official openai SDK's Responses API works unchanged against the simulator's ``/v1/responses``."""

from __future__ import annotations

import json

import openai
import pytest

from .conftest import PERFECT

LOOKUP = {
    "type": "function",
    "name": "lookup_order",
    "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
    "strict": False,
}


async def test_the_same_answer_as_chat_completions(oai: openai.AsyncOpenAI) -> None:
    question = "What is 17 * 23?"
    response = await oai.responses.create(model=PERFECT, input=question, instructions="Answer with a number.")
    chat = await oai.chat.completions.create(
        model=PERFECT,
        messages=[{"role": "system", "content": "Answer with a number."}, {"role": "user", "content": question}],
    )
    assert response.object == "response" and response.status == "completed" and response.id.startswith("resp_")
    assert response.output_text == chat.choices[0].message.content == "391"
    assert response.usage is not None and chat.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (
        chat.usage.prompt_tokens,
        chat.usage.completion_tokens,
    )


async def test_stream_helper_and_tool_calls(oai: openai.AsyncOpenAI) -> None:
    async with oai.responses.stream(model=PERFECT, input="Where is my order ORD-48213?", tools=[LOOKUP]) as stream:  # type: ignore[list-item]
        kinds = [event.type async for event in stream]
        final = await stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.function_call_arguments.delta" in kinds
    (call,) = final.output
    assert call.type == "function_call" and json.loads(call.arguments) == {"order_id": "ORD-48213"}


async def test_errors_in_openais_shape(oai: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as stateful:
        await oai.responses.create(model=PERFECT, input="hi", previous_response_id="resp_unknown")
    assert stateful.value.code == "previous_response_not_found" and stateful.value.param == "previous_response_id"
    with pytest.raises(openai.NotFoundError):
        await oai.responses.create(model="gpt-unknown", input="hi")
    with pytest.raises(openai.BadRequestError) as hosted:
        await oai.responses.create(model=PERFECT, input="hi", tools=[{"type": "web_search"}])
    assert hosted.value.param == "tools[0].type"
