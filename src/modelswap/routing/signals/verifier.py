"""The verifier signal: an evals scorer that needs no expected answer checks the cheap answer.

``{type: verifier, scorer: {type: json_schema, schema: {...}}}`` keeps the cheap answer when it
passes (confidence 1.0) and escalates when it fails (0.0). ``tool_calls: true`` also requires every
tool call to name a tool the request offered, with arguments that are a JSON object valid against
that tool's ``parameters`` schema. A scorer that cannot decide (it wanted an expected answer) counts
as a failure: the cascade never keeps an answer nobody checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jsonschema

from modelswap.evals.case import Case
from modelswap.evals.output import Output
from modelswap.evals.scorers import Scorer, build_scorer
from modelswap.routing.signal_base import Ask, Exchange, Json, signal

__all__ = ["Verifier", "tool_calls_problem"]


@signal("verifier")
@dataclass(frozen=True, kw_only=True)
class Verifier:
    """Keep the cheap answer when a reference-free check passes (json_valid, json_schema, regex...)."""

    needs_answer: ClassVar[bool] = True
    scorer: dict[str, Any] | None = None
    """An evals scorer spec that judges the answer alone."""
    tool_calls: bool = False
    """Also require well-formed tool calls (an offered tool, arguments valid against its schema)."""
    _scorer: Scorer | None = field(init=False, default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.scorer is None and not self.tool_calls:
            raise ValueError("give a scorer (e.g. {type: json_valid}) or tool_calls: true")
        if self.scorer is not None:
            object.__setattr__(self, "_scorer", build_scorer(self.scorer))

    async def confidence(self, exchange: Exchange, ask: Ask | None) -> float:
        """1.0 when every check passes, else 0.0."""
        if exchange.answer is None:
            return 0.0
        output = Output.from_openai(exchange.answer)
        if self.tool_calls and tool_calls_problem(exchange.request, exchange.answer) is not None:
            return 0.0
        if self._scorer is None:
            return 1.0
        case = Case(id="served", workload="", messages=tuple(exchange.request.get("messages") or ()))
        score = await self._scorer.score(case, output)
        return 1.0 if score.passed else 0.0


def tool_calls_problem(request: Json, answer: Json) -> str | None:
    """Why the answer's tool calls are not well-formed for the request's tools (None: they are)."""
    offered = {
        fn.get("name"): fn.get("parameters") or {"type": "object"}
        for tool in request.get("tools") or ()
        if isinstance(tool, dict)
        for fn in [tool.get("function") or {}]
    }
    message = ((answer.get("choices") or [{}])[0] or {}).get("message") or {}
    for call in message.get("tool_calls") or ():
        fn = call.get("function") or {} if isinstance(call, dict) else {}
        name = fn.get("name")
        if name not in offered:
            return f"called {name!r}, which the request did not offer"
        try:
            arguments = json.loads(fn.get("arguments") or "{}")
        except (TypeError, ValueError):
            return f"{name}: arguments are not JSON"
        if not isinstance(arguments, dict):
            return f"{name}: arguments are not a JSON object"
        schema = offered[name]
        try:
            jsonschema.validate(arguments, schema)
        except jsonschema.ValidationError as exc:
            return f"{name}: {exc.message}"
        except jsonschema.SchemaError:
            return f"{name}: the tool's parameters are not a valid JSON schema"
    return None
