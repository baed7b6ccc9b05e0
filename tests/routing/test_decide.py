"""The decider: a signal's confidence against the threshold; a confidence out of range is a bug."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.config import Routing
from modelswap.providers.cascade import CheapAnswer
from modelswap.routing.decide import Decider, build_decider
from modelswap.routing.signal import Ask, Exchange

ASK = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
ANSWER = CheapAnswer(body={"choices": [{"message": {"content": "bug"}}]})


@dataclass(frozen=True)
class Fixed:
    needs_answer: ClassVar[bool] = True
    value: float

    async def confidence(self, exchange: Exchange, ask: Ask | None) -> float:
        return self.value


@given(value=st.floats(0, 1), threshold=st.floats(0, 1))
async def test_keep_exactly_when_the_confidence_reaches_the_threshold(value: float, threshold: float) -> None:
    heard: list[float] = []
    decider = Decider(Fixed(value), threshold, "openai", heard=heard.append)
    assert await decider(ASK, ANSWER) is (value >= threshold)
    assert heard == [value]


@pytest.mark.parametrize("bad", [float("nan"), -0.1, 1.5])
async def test_a_confidence_out_of_range_raises(bad: float) -> None:
    with pytest.raises(ValueError, match="a confidence is in"):
        await Decider(Fixed(bad), 0.5, "openai")(ASK, ANSWER)


async def test_built_from_a_routing_section() -> None:
    routing = Routing(signal={"type": "verifier", "scorer": {"type": "regex", "pattern": "^bug$"}}, threshold=1.0)
    decider = build_decider(routing, "openai")
    assert not decider.up_front
    assert await decider(ASK, ANSWER) is True
    assert await decider(ASK, CheapAnswer(body={"choices": [{"message": {"content": "maybe"}}]})) is False
    logprobs = build_decider(Routing(signal={"type": "logprobs"}), "openai")
    assert logprobs.prepare(ASK)["logprobs"] is True and decider.prepare(ASK) is ASK
