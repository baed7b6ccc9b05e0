"""The logprobs signal: token probabilities → confidence; Anthropic said to have none."""

from __future__ import annotations

import math
from typing import Any

import pytest

from modelswap.routing.signal import Exchange, build_signal

ASK = {"model": "m", "messages": [{"role": "user", "content": "Label: printer on fire"}]}


def answer(*logprobs: float | None) -> dict[str, Any]:
    content = None if logprobs == (None,) else [{"token": f"t{i}", "logprob": v} for i, v in enumerate(logprobs)]
    return {"choices": [{"message": {"content": "bug"}, "logprobs": {"content": content}}]}


async def test_mean_is_the_geometric_mean_token_probability() -> None:
    signal = build_signal({"type": "logprobs"})
    got = await signal.confidence(Exchange(ASK, answer(math.log(0.9), math.log(0.4))), None)
    assert got == pytest.approx(math.sqrt(0.9 * 0.4))


async def test_min_is_the_least_sure_token() -> None:
    signal = build_signal({"type": "logprobs", "aggregate": "min"})
    assert await signal.confidence(Exchange(ASK, answer(math.log(0.9), math.log(0.4))), None) == pytest.approx(0.4)


async def test_more_sure_tokens_rate_higher() -> None:
    signal = build_signal({"type": "logprobs"})
    sure = await signal.confidence(Exchange(ASK, answer(-0.01, -0.02)), None)
    unsure = await signal.confidence(Exchange(ASK, answer(-1.5, -2.0)), None)
    assert 1 >= sure > unsure >= 0


@pytest.mark.parametrize("body", [answer(None), {"choices": [{"message": {"content": "bug"}}]}, {}])
async def test_an_answer_without_logprobs_rates_zero(body: dict[str, Any]) -> None:
    assert await build_signal({"type": "logprobs"}).confidence(Exchange(ASK, body), None) == 0.0


def test_it_asks_for_logprobs_on_chat_completions_only() -> None:
    signal: Any = build_signal({"type": "logprobs"})
    assert signal.prepare(ASK, "openai") == {**ASK, "logprobs": True}
    assert "logprobs" not in ASK, "the app's request is not changed"
    assert signal.prepare(ASK, "anthropic") is ASK


def test_anthropic_is_said_to_return_no_logprobs() -> None:
    signal: Any = build_signal({"type": "logprobs"})
    assert "returns no token logprobs" in signal.unsupported("anthropic")
    assert signal.unsupported("openai") is None


def test_a_bad_aggregate_is_refused() -> None:
    with pytest.raises(ValueError, match="aggregate"):
        build_signal({"type": "logprobs", "aggregate": "median"})


def test_logprobs_the_app_did_not_ask_for_are_taken_out_of_a_kept_answer() -> None:
    signal: Any = build_signal({"type": "logprobs"})
    body = answer(-0.1)
    tidied = signal.tidy(ASK, body, "openai")
    assert tidied["choices"][0]["logprobs"] is None and tidied["choices"][0]["message"] == body["choices"][0]["message"]
    assert body["choices"][0]["logprobs"] is not None, "the answer rated is not changed"
    assert signal.tidy({**ASK, "logprobs": True}, body, "openai") is None, "asked for: kept"
    assert signal.tidy(ASK, {"choices": [{"delta": {}, "logprobs": None}]}, "openai") is None
