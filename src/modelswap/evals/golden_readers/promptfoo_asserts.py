"""promptfoo assertions → modelswap scorer specs.

Mapped: ``equals``, ``contains``/``icontains`` (+ ``-any``/``-all``), ``starts-with``, ``regex``,
``is-json``/``contains-json`` (with an optional schema), ``llm-rubric``, ``similar``, ``latency``,
``cost``, and any of them prefixed ``not-`` (pure ones only). A modelswap type (``json_field``,
``tool_call``…) may be used directly. Anything else — ``javascript``, ``python``, ``levenshtein``… —
is an error naming the type, never a silent skip. String values are ``{{var}}``-rendered with the
test's vars, as promptfoo does. ``weight`` and ``metric`` only affect promptfoo's own reports and
are dropped.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from modelswap.evals.case import Json
from modelswap.evals.scorers.registry import registered
from modelswap.evals.template import render_value

PASSIVE_KEYS = frozenset({"type", "value", "threshold", "weight", "metric", "description"})

UNSUPPORTED = frozenset(
    {
        "javascript",
        "python",
        "webhook",
        "levenshtein",
        "rouge-n",
        "bleu",
        "gleu",
        "meteor",
        "f-score",
        "factuality",
        "model-graded-closedqa",
        "model-graded-factuality",
        "answer-relevance",
        "context-faithfulness",
        "context-recall",
        "context-relevance",
        "conversation-relevance",
        "select-best",
        "max-score",
        "moderation",
        "perplexity",
        "perplexity-score",
        "classifier",
        "g-eval",
        "is-sql",
        "contains-sql",
        "is-xml",
        "contains-xml",
        "is-html",
        "contains-html",
        "is-valid-function-call",
        "is-valid-openai-function-call",
        "is-valid-openai-tools-call",
        "tool-call-f1",
        "assert-set",
        "finish-reason",
        "pi",
        "cost-per-token",
        "trace-span-count",
        "trace-span-duration",
        "trace-error-spans",
        "is-refusal",
        "guardrails",
        "word-count",
        "starts-with-any",
        "ends-with",
    }
)

_EXPECTED = re.compile(r"(not-)?([a-z][a-z0-9-]*)(?:\((\d+(?:\.\d+)?)\))?:(.*)", re.S)
_EXPECTED_ALIASES = {"fn": "javascript", "eval": "javascript", "grade": "llm-rubric"}
_NO_VALUE = frozenset({"is-json", "contains-json", "not-is-json", "not-contains-json"})


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [v.strip() for v in next(csv.reader(io.StringIO(value)), []) if v.strip()]
    raise ValueError("value must be a list of strings")


def _schema(value: Any) -> Json | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value.startswith("file://"):
            raise ValueError("a JSON schema given as file:// is not supported; inline it")
        value = json.loads(value)
    if not isinstance(value, dict):
        raise ValueError("the value of is-json / contains-json must be a JSON schema object")
    return value


def _json_check(extract: bool) -> Callable[[Mapping[str, Any]], Json]:
    def build(item: Mapping[str, Any]) -> Json:
        schema = _schema(item.get("value"))
        if schema is None:
            return {"type": "json_valid", "extract": extract}
        return {"type": "json_schema", "schema": schema, "extract": extract}

    return build


def _contains(ignore_case: bool, mode: str | None) -> Callable[[Mapping[str, Any]], Json]:
    def build(item: Mapping[str, Any]) -> Json:
        value = item.get("value")
        if mode is not None:
            return {"type": "contains", "value": _as_list(value), "ignore_case": ignore_case, "mode": mode}
        return {"type": "contains", "value": None if value is None else str(value), "ignore_case": ignore_case}

    return build


def _rubric(item: Mapping[str, Any]) -> Json:
    threshold = item.get("threshold")
    if threshold is None:
        return {"type": "llm_judge", "rubric": str(item.get("value", "")), "mode": "pass_fail"}
    rating = min(5, max(1, round(1 + 4 * float(threshold))))
    return {"type": "llm_judge", "rubric": str(item.get("value", "")), "mode": "score", "threshold": rating}


def _needs_threshold(kind: str, key: str) -> Callable[[Mapping[str, Any]], Json]:
    def build(item: Mapping[str, Any]) -> Json:
        if item.get("threshold") is None:
            raise ValueError(f"a promptfoo {kind} assertion needs a threshold")
        return {"type": kind, key: item["threshold"]}

    return build


MAPPERS: dict[str, Callable[[Mapping[str, Any]], Json]] = {
    "equals": lambda item: {"type": "equals", "value": item.get("value")},
    "contains": _contains(False, None),
    "icontains": _contains(True, None),
    "contains-any": _contains(False, "any"),
    "icontains-any": _contains(True, "any"),
    "contains-all": _contains(False, "all"),
    "icontains-all": _contains(True, "all"),
    "starts-with": lambda item: {"type": "regex", "pattern": "^" + re.escape(str(item.get("value", "")))},
    "regex": lambda item: {"type": "regex", "pattern": str(item.get("value", ""))},
    "is-json": _json_check(False),
    "contains-json": _json_check(True),
    "llm-rubric": _rubric,
    "similar": lambda item: {
        "type": "semantic_similarity",
        "value": item.get("value"),
        "threshold": item.get("threshold", 0.75),
    },
    "latency": _needs_threshold("latency", "max_ms"),
    "cost": _needs_threshold("cost", "max_usd"),
}


def _unsupported(kind: str) -> ValueError:
    hint = ""
    if kind in {"javascript", "python"}:
        hint = "; write it as a modelswap python scorer: {type: python, function: 'package.module:function'}"
    return ValueError(f"promptfoo assert type {kind!r} is not supported{hint} (supported: {', '.join(MAPPERS)})")


def map_assertion(item: Any, variables: Mapping[str, Any]) -> Json:
    """The modelswap scorer spec for one promptfoo assertion; ``ValueError`` when it has no equivalent."""
    if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
        raise ValueError("an assertion is a mapping with a string 'type'")
    kind = item["type"]
    negate = kind.startswith("not-")
    base = kind[4:] if negate else kind
    if base not in MAPPERS:
        if base in registered() and base not in UNSUPPORTED:
            return dict(item)
        raise _unsupported(base)
    extra = sorted(set(item) - PASSIVE_KEYS)
    if extra:
        raise ValueError(f"assert key(s) {', '.join(extra)} not supported (on a {kind} assertion)")
    spec = MAPPERS[base]({**item, "value": render_value(item.get("value"), variables)})
    return {"type": "not", "inner": spec} if negate else spec


def parse_expected(text: str) -> Json:
    """A promptfoo assertion from a CSV ``__expected`` cell: ``contains: x``, ``similar(0.8): x``, or plain equals."""
    stripped = text.strip()
    if stripped in _NO_VALUE:
        return {"type": stripped}
    match = _EXPECTED.fullmatch(stripped)
    if match:
        negate, name, threshold, value = match.groups()
        name = _EXPECTED_ALIASES.get(name, name)
        if name in MAPPERS or name in UNSUPPORTED:
            item: Json = {"type": f"{negate or ''}{name}", "value": value.strip()}
            if threshold is not None:
                item["threshold"] = float(threshold)
            return item
    return {"type": "equals", "value": text}
