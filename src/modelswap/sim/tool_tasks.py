"""Tool-use tasks: call the offered tool with the right argument, then answer from its result.

An order lookup (``lookup_order``-style tool + an order id such as ``ORD-48213`` in the
question) or a weather lookup (``get_weather``-style tool + a known city). After the tool
result comes back, the final answer states the result's status or weather condition.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

from modelswap.sim.conversation import Answer, Conversation, ToolCall, ToolSpec, Turn
from modelswap.sim.tasks import task_data

ORDER_ID = re.compile(r"\b[A-Z]{2,4}-\d{3,8}\b")
KIND = "tools"


@dataclass(frozen=True, slots=True)
class CallTool:
    """Call ``tool`` with ``{param: value}``; the wrong answer uses another plausible value."""

    tool: str
    param: str
    value: str
    alternatives: tuple[str, ...]
    kind: str = KIND
    more: tuple[str, ...] = ()
    """Further values the question names: called in parallel, one call each."""

    def right(self) -> Answer:
        return self._call(self.value)

    def wrong(self, rng: random.Random) -> Answer:
        if self.alternatives:
            return self._call(rng.choice([a for a in self.alternatives if a != self.value] or ["?"]))
        return self._call(_change_a_digit(self.value, rng))

    def _call(self, value: str) -> Answer:
        calls = tuple(ToolCall("", self.tool, {self.param: v}) for v in (value, *self.more))
        return Answer(text="", tool_calls=calls, kind=self.kind)


def _change_a_digit(value: str, rng: random.Random) -> str:
    positions = [i for i, ch in enumerate(value) if ch.isdigit()]
    if not positions:
        return value + "1"
    i = rng.choice(positions)
    digit = str((int(value[i]) + rng.randint(1, 9)) % 10)
    return value[:i] + digit + value[i + 1 :]


def _param(spec: ToolSpec, fallback: str) -> str:
    return spec.params[0] if spec.params else fallback


def _offered(conv: Conversation, names: frozenset[str]) -> ToolSpec | None:
    if conv.forced_tool is not None:
        forced = conv.tool(conv.forced_tool)
        return forced if forced is not None and forced.name in names else None
    return next((t for t in conv.tools if t.name in names), None)


def recognise_tool_call(conv: Conversation) -> CallTool | None:
    """An offered order/weather tool and a question naming an order id or a known city."""
    if not conv.tools or conv.tool_choice == "none":
        return None
    data, text = task_data(), conv.last_user_text()
    order_tool = _offered(conv, data.order_tools)
    order_ids = list(dict.fromkeys(ORDER_ID.findall(text)))
    if order_tool is not None and order_ids:
        param = _param(order_tool, data.order_param)
        return CallTool(order_tool.name, param, order_ids[0], (), more=tuple(order_ids[1:4]))
    weather_tool = _offered(conv, data.weather_tools)
    city = data.city_pattern.search(text)
    if weather_tool is not None and city is not None:
        canonical = next(c for c in data.cities if c.lower() == city[0].lower())
        return CallTool(weather_tool.name, _param(weather_tool, data.weather_param), canonical, data.cities)
    return None


@dataclass(frozen=True, slots=True)
class AnswerFromTools:
    """The final answer after tool results: state each result; the wrong one misstates it."""

    results: tuple[tuple[str, str], ...]  # (tool name, result text)
    kind: str = KIND

    def right(self) -> Answer:
        return Answer(text=" ".join(_state(name, result, None) for name, result in self.results), kind=KIND)

    def wrong(self, rng: random.Random) -> Answer:
        return Answer(text=" ".join(_state(name, result, rng) for name, result in self.results), kind=KIND)


def _state(tool: str, result: str, rng: random.Random | None) -> str:
    """One sentence about a tool result; with ``rng``, a plausibly wrong one."""
    data = task_data()
    obj = _json_object(result)
    if tool in data.order_tools and isinstance(obj.get("status"), str):
        status = obj["status"] if rng is None else _other(rng, data.statuses, obj["status"])
        subject = f"Order {obj['order_id']}" if obj.get("order_id") else "Your order"
        eta = f" Expected delivery: {obj['eta']}." if obj.get("eta") else ""
        return f"{subject} is {status}.{eta}"
    if tool in data.weather_tools and isinstance(obj.get("condition"), str):
        condition = obj["condition"] if rng is None else _other(rng, data.conditions, obj["condition"])
        where = f" in {obj['city']}" if obj.get("city") else ""
        temp = f", {obj['temp_c']}°C" if obj.get("temp_c") is not None else ""
        return f"It is currently {condition}{where}{temp}."
    if rng is not None:
        return "I'm sorry, I could not find that information."
    return f"Here is what I found: {result.strip()[:300]}"


def _other(rng: random.Random, options: tuple[str, ...], truth: str) -> str:
    others = [o for o in options if o != truth]
    return rng.choice(others) if others else truth


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def recognise_tool_results(conv: Conversation) -> AnswerFromTools | None:
    """The conversation ends with tool results: answer from them."""
    trailing: list[Turn] = []
    for turn in reversed(conv.turns):
        if turn.role != "tool":
            break
        trailing.append(turn)
    if not trailing:
        return None
    trailing.reverse()
    names = {c.id: c.name for t in conv.turns for c in t.tool_calls}
    previous = conv.turns[-len(trailing) - 1] if len(conv.turns) > len(trailing) else None
    by_position = [c.name for c in previous.tool_calls] if previous is not None else []
    results = tuple(
        (names.get(t.tool_call_id or "") or (by_position[i] if i < len(by_position) else ""), t.text)
        for i, t in enumerate(trailing)
    )
    return AnswerFromTools(results)
