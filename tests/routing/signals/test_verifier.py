"""The verifier signal keeps an answer that passes a reference-free check and escalates one that fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelswap.routing.signal import Exchange, build_signal

SCHEMA = {
    "type": "object",
    "properties": {"label": {"enum": ["bug", "billing", "other"]}},
    "required": ["label"],
}
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "parameters": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]},
        },
    }
]


def answer(content: str | None = None, calls: list[tuple[str, str]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": a}}
            for i, (n, a) in enumerate(calls)
        ]
    return {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def ask_for(text: str = "Sort this ticket") -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], "tools": TOOLS}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (json.dumps({"label": "bug"}), 1.0),
        (json.dumps({"label": "refund"}), 0.0),
        ("I think it is a bug", 0.0),
        ("", 0.0),
    ],
)
async def test_json_schema_verdicts(content: str, expected: float) -> None:
    verifier = build_signal({"type": "verifier", "scorer": {"type": "json_schema", "schema": SCHEMA}})
    assert await verifier.confidence(Exchange(ask_for(), answer(content)), None) == expected


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ([("lookup_order", '{"id": 42}')], 1.0),
        ([("lookup_order", '{"id": "forty-two"}')], 0.0),
        ([("lookup_order", "{id: 42")], 0.0),
        ([("lookup_order", "[42]")], 0.0),
        ([("refund_order", '{"id": 42}')], 0.0),
        ([("lookup_order", '{"id": 1}'), ("lookup_order", "{}")], 0.0),
    ],
)
async def test_tool_calls_must_be_well_formed(calls: list[tuple[str, str]], expected: float) -> None:
    verifier = build_signal({"type": "verifier", "tool_calls": True})
    assert await verifier.confidence(Exchange(ask_for(), answer(None, calls)), None) == expected


async def test_a_scorer_that_cannot_decide_escalates() -> None:
    verifier = build_signal({"type": "verifier", "scorer": {"type": "equals"}})  # no value, no expected answer
    assert await verifier.confidence(Exchange(ask_for(), answer("bug")), None) == 0.0


async def test_it_needs_the_answer() -> None:
    verifier = build_signal({"type": "verifier", "scorer": {"type": "regex", "pattern": "^bug$"}})
    assert verifier.needs_answer
    assert await verifier.confidence(Exchange(ask_for(), None), None) == 0.0
    assert await verifier.confidence(Exchange(ask_for(), answer("bug")), None) == 1.0
