"""Self-consistency: extra cheap samples; the share agreeing with the answer is the confidence."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelswap.routing.signal import Exchange, build_signal

ASK = {"model": "m", "messages": [{"role": "user", "content": "Label this"}], "stream": True, "logprobs": True}


def said(text: str) -> dict[str, Any]:
    return {"choices": [{"message": {"role": "assistant", "content": text}}]}


class Sampler:
    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.asked: list[dict[str, Any]] = []

    async def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        self.asked.append(body)
        got = self.answers[len(self.asked) - 1]
        if isinstance(got, Exception):
            raise got
        return dict(got)


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        ([said("Bug"), said(" bug ")], 1.0),
        ([said("bug"), said("billing")], 0.5),
        ([said("billing"), RuntimeError("timeout")], 0.0),
    ],
)
async def test_the_share_of_agreeing_samples(samples: list[Any], expected: float) -> None:
    sampler = Sampler(*samples)
    signal = build_signal({"type": "self_consistency", "samples": 2, "temperature": 0.7})
    assert await signal.confidence(Exchange(ASK, said("bug")), sampler) == expected
    assert len(sampler.asked) == 2
    for body in sampler.asked:
        assert body["temperature"] == 0.7 and "stream" not in body and "logprobs" not in body


async def test_json_answers_agree_whatever_their_layout() -> None:
    mine = json.dumps({"label": "bug", "urgent": True})
    other = '{ "urgent": true,\n "label": "bug" }'
    sampler = Sampler(said(other))
    signal = build_signal({"type": "self_consistency", "samples": 1, "compare": "json"})
    assert await signal.confidence(Exchange(ASK, said(mine)), sampler) == 1.0
    text = build_signal({"type": "self_consistency", "samples": 1, "compare": "text"})
    assert await text.confidence(Exchange(ASK, said(mine)), Sampler(said(other))) == 0.0


async def test_without_a_way_to_ask_it_says_so() -> None:
    with pytest.raises(ValueError, match="calls the cheap model again"):
        await build_signal({"type": "self_consistency"}).confidence(Exchange(ASK, said("bug")), None)


@pytest.mark.parametrize("bad", [{"samples": 0}, {"samples": 9}, {"temperature": 3.0}, {"compare": "meaning"}])
def test_bad_parameters_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build_signal({"type": "self_consistency", **bad})
