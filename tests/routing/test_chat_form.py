"""Whatever dialect the app speaks, a signal reads the exchange in Chat Completions form."""

from __future__ import annotations

import json
import math

from modelswap.providers.cascade import CheapAnswer
from modelswap.routing.chat_form import assemble_chunks, exchange_of

OPENAI_ASK = {"model": "m", "messages": [{"role": "user", "content": "Sort: refund"}]}
ANTHROPIC_ASK = {
    "model": "m",
    "max_tokens": 50,
    "system": "Sort tickets.",
    "messages": [{"role": "user", "content": "refund"}],
}


def chunk(delta: dict[str, object], finish: str | None = None, logprob: float | None = None) -> dict[str, object]:
    logprobs = None if logprob is None else {"content": [{"token": "x", "logprob": logprob}]}
    return {
        "id": "c1",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}],
    }


def test_openai_chunks_add_up_to_the_completion_with_tool_calls_usage_and_logprobs() -> None:
    chunks = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "bil"}, logprob=math.log(0.5)),
        chunk({"content": "ling"}, logprob=math.log(0.25)),
        chunk({"tool_calls": [{"index": 0, "id": "t1", "function": {"name": "tag", "arguments": '{"a":'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": " 1}"}}]}),
        chunk({}, "tool_calls"),
        {"id": "c1", "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 3}},
    ]
    whole = assemble_chunks(chunks)
    (choice,) = whole["choices"]
    assert choice["message"]["content"] == "billing"
    assert choice["message"]["tool_calls"] == [
        {"id": "t1", "type": "function", "function": {"name": "tag", "arguments": '{"a": 1}'}}
    ]
    assert choice["finish_reason"] == "tool_calls"
    assert [e["logprob"] for e in choice["logprobs"]["content"]] == [math.log(0.5), math.log(0.25)]
    assert whole["usage"] == {"prompt_tokens": 5, "completion_tokens": 3}


def test_an_anthropic_exchange_is_translated_whole_and_streamed() -> None:
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [{"type": "text", "text": '{"label": "billing"}'}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 9, "output_tokens": 4},
    }
    exchange = exchange_of(ANTHROPIC_ASK, CheapAnswer(body=message), "anthropic")
    assert exchange.request["messages"][0] == {"role": "system", "content": "Sort tickets."}
    assert exchange.answer is not None
    assert json.loads(exchange.answer["choices"][0]["message"]["content"]) == {"label": "billing"}

    events = [
        {
            "type": "message_start",
            "message": {**message, "content": [], "usage": {"input_tokens": 9, "output_tokens": 0}},
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": '{"label": '}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": '"billing"}'}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 4}},
        {"type": "message_stop"},
    ]
    streamed = exchange_of(ANTHROPIC_ASK, CheapAnswer(events=tuple(events)), "anthropic").answer
    assert streamed is not None
    assert streamed["choices"][0]["message"]["content"] == '{"label": "billing"}'
    assert streamed["choices"][0]["finish_reason"] == "stop"
    assert streamed["usage"]["completion_tokens"] == 4


def test_an_up_front_exchange_has_no_answer() -> None:
    exchange = exchange_of(OPENAI_ASK, None, "openai")
    assert exchange.request is OPENAI_ASK and exchange.answer is None


def test_a_responses_exchange_is_translated_whole_and_streamed() -> None:
    from modelswap.providers.translate.responses_response import chat_completion_to_response
    from modelswap.providers.translate.responses_stream import ChatStreamToResponses

    ask = {"model": "m", "instructions": "Sort tickets.", "input": "refund"}
    completion = {
        "id": "c1",
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "billing"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
    response = chat_completion_to_response(completion, ask, response_id="resp_1", created=1)
    exchange = exchange_of(ask, CheapAnswer(body=response), "responses")
    assert exchange.request["messages"][0] == {"role": "system", "content": "Sort tickets."}
    assert exchange.answer is not None and exchange.answer["choices"][0]["message"]["content"] == "billing"

    to_events = ChatStreamToResponses(ask, response_id="resp_1", created=1)
    chunks = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "bill"}),
        chunk({"content": "ing"}),
        chunk({}, "stop"),
    ]
    events = [e for c in chunks for e in to_events.feed(c)] + to_events.finish()
    streamed = exchange_of(ask, CheapAnswer(events=tuple(events)), "responses").answer
    assert streamed is not None and streamed["choices"][0]["message"]["content"] == "billing"
