"""A routed eval arm answers as the cascade: what each answer cost, whether it escalated, and a model
label of its own (so the response cache never hands it the cheap model's raw answers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from modelswap.catalog import Price
from modelswap.config_routing import Routing
from modelswap.evals.endpoint import EvalEndpoint
from modelswap.evals.run_session import routed_part
from modelswap.routing.eval_arm import RoutedArm
from modelswap.routing.signal import build_signal

Json = dict[str, Any]
PRICES = {"cheap-m": Price(input=1.0, output=1.0), "strong-m": Price(input=10.0, output=10.0)}


class Fake:
    """An upstream answering ``text`` with 1,000 prompt and 1,000 completion tokens; counts its calls."""

    dialect = "openai"

    def __init__(self, model: str, text: str) -> None:
        self.name = self.model = model
        self.text = text
        self.calls = 0

    async def complete(self, body: Json) -> Json:
        self.calls += 1
        message = {"role": "assistant", "content": self.text}
        usage = {"prompt_tokens": 1000, "completion_tokens": 1000, "total_tokens": 2000}
        return {"id": "x", "object": "chat.completion", "model": self.model, "usage": usage,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}  # fmt: skip

    def stream(self, body: Json) -> AsyncIterator[Json]:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def _arm(cheap_text: str) -> tuple[RoutedArm, Fake, Fake]:
    cheap, strong = Fake("cheap-m", cheap_text), Fake("strong-m", '{"ok": true}')
    routing = Routing(signal={"type": "verifier", "scorer": {"type": "json_valid"}}, threshold=0.5)
    arm = RoutedArm(EvalEndpoint(cheap), EvalEndpoint(strong), build_signal(routing.signal), routing, PRICES)  # type: ignore[arg-type]
    return arm, cheap, strong


@pytest.mark.parametrize(
    ("cheap_text", "escalated", "cost", "strong_calls"),
    [('{"ok": true}', False, 0.002, 0), ("not json", True, 0.002 + 0.02, 1)],
)
async def test_kept_answers_cost_the_cheap_call_and_escalations_both(
    cheap_text: str, escalated: bool, cost: float, strong_calls: int
) -> None:
    arm, cheap, strong = _arm(cheap_text)
    body = await arm.complete({"model": "x", "messages": [{"role": "user", "content": "hi"}]})
    part = routed_part(body)
    assert part is not None and part["escalated"] is escalated
    assert part["cost_usd"] == pytest.approx(cost)
    assert part["answered_by"] == ("strong-m" if escalated else "cheap-m")
    assert (cheap.calls, strong.calls) == (1, strong_calls)
    assert arm.model.startswith("cascade:cheap-m>strong-m@0.5/") and arm.model != cheap.model


async def test_the_routed_arm_counts_the_calls_it_made() -> None:
    arm, _, _ = _arm("not json")
    body = await arm.complete({"model": "x", "messages": [{"role": "user", "content": "hi"}]})
    part = routed_part(body)
    assert part is not None and part["calls"] == 2 and part["latency_ms"] >= 0
