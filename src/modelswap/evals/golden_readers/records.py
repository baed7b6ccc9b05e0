"""One case from one record (a JSONL line, a CSV row, a YAML test), with every problem it has.

All readers end here, so every format checks the same things: an id, a workload, messages, a
prompt that renders or a plain ``input`` string, tools, an expected answer, assertions that
build, tags. An ``expected`` answer without any ``assert`` is scored by an exact match after
normalising (``DEFAULT_FOR_EXPECTED``), as promptfoo users expect.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelswap.evals.case import Case, Json
from modelswap.evals.errors import ScorerSpecError
from modelswap.evals.scorers.registry import check_spec
from modelswap.evals.template import TemplateError, render, render_value

FIELDS = (
    "id",
    "workload",
    "messages",
    "prompt",
    "input",
    "vars",
    "tools",
    "expected",
    "assert",
    "tags",
    "description",
    "metadata",
)
DEFAULT_FOR_EXPECTED: Json = {"type": "equals", "normalize": True}
"""The scorer of a case that gives ``expected`` and no ``assert``: equal after trimming, folding
case and collapsing whitespace (a JSON object with several fields is compared as JSON instead)."""
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


class RecordError(ValueError):
    """A record cannot become a case; ``reasons`` lists all that is wrong with it."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


@dataclass
class Where:
    """Where a record was read and what to fall back on: the file, line, default workload, default id."""

    source: str
    line: int
    workload: str
    default_id: str | None = None
    problems: list[str] = field(default_factory=list)


def check_messages(value: Any) -> tuple[Json, ...]:
    """OpenAI-format messages, lightly checked: a non-empty list of objects with a known role."""
    if not isinstance(value, list) or not value:
        raise ValueError("messages must be a non-empty list of {role, content} objects")
    for i, message in enumerate(value):
        if not isinstance(message, dict):
            raise ValueError(f"messages[{i}] is not an object")
        if message.get("role") not in ROLES:
            raise ValueError(
                f"messages[{i}] has role {message.get('role')!r} (expected one of {', '.join(sorted(ROLES))})"
            )
        if "content" not in message and not message.get("tool_calls"):
            raise ValueError(f"messages[{i}] has no content")
    return tuple(value)


def check_tags(value: Any) -> tuple[str, ...]:
    """Tags from a list of strings or a comma-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return tuple(value)
    raise ValueError("tags must be a list of strings or a comma-separated string")


def check_assertions(value: Any, problems: list[str]) -> tuple[Json, ...]:
    """Assertion specs, each checked to build; a bad one is a problem naming its index."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append("assert must be a list of scorer specs")
        return ()
    for i, spec in enumerate(value):
        try:
            check_spec(spec)
        except ScorerSpecError as exc:
            problems.append(f"assert[{i}]: {exc}")
    return tuple(value)


def _conversation(record: Mapping[str, Any], variables: Json) -> tuple[tuple[Json, ...], str | None]:
    given = [k for k in ("messages", "prompt", "input") if record.get(k) is not None]
    if len(given) > 1:
        raise ValueError(f"give one of messages, prompt or input, not {' and '.join(given)}")
    messages = record.get("messages")
    for key in ("prompt", "input"):  # input: a plain prompt string, one user message, as other tools write it
        prompt = record.get(key)
        if prompt is not None:
            if not isinstance(prompt, str) or not prompt.strip():
                raise ValueError(f"{key} must be a non-empty string")
            return ({"role": "user", "content": render(prompt, variables)},), prompt
    if messages is None:
        raise ValueError("no messages, prompt or input: nothing to ask the model")
    checked = check_messages(messages)
    return (tuple(render_value(list(checked), variables)) if variables else checked), None


def _text_field(record: Mapping[str, Any], key: str, fallback: str | None) -> str | None:
    value = record.get(key, fallback)
    if value is None or value == "":
        value = fallback
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string, not {type(value).__name__}")
    return value


def _with_guess(key: Any) -> str:
    """``'expect' (did you mean 'expected'?)`` for a near miss, else the quoted key."""
    close = difflib.get_close_matches(str(key), [*FIELDS, "assertions"], n=1, cutoff=0.6)
    return f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key)


def _default_for(expected: Json) -> Json:
    if "value" not in expected and len(expected) > 1:
        return {"type": "equals", "value": dict(expected)}  # several fields: the answer is this JSON
    return dict(DEFAULT_FOR_EXPECTED)


def _attempt(where: Where, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except (ValueError, TemplateError) as exc:
        where.problems.append(str(exc))
        return None


def case_from_record(record: Mapping[str, Any], where: Where) -> Case:
    """The case a record describes; raises ``RecordError`` listing everything wrong with it."""
    problems = where.problems
    unknown = [k for k in record if k not in FIELDS and k != "assertions"]
    if unknown:
        problems.append(f"unknown field(s) {', '.join(map(_with_guess, unknown))} (known: {', '.join(FIELDS)})")
    case_id = _attempt(where, _text_field, record, "id", where.default_id)
    if case_id is None and not any(p.startswith("id ") for p in problems):
        problems.append("missing id")
    workload = _attempt(where, _text_field, record, "workload", where.workload)
    variables = record.get("vars") or {}
    if not isinstance(variables, dict):
        problems.append("vars must be an object")
        variables = {}
    conversation = _attempt(where, _conversation, record, variables)
    tools = record.get("tools")
    if tools is not None and not (isinstance(tools, list) and all(isinstance(t, dict) for t in tools)):
        problems.append("tools must be a list of tool objects")
    expected = record.get("expected")
    if expected is not None and not isinstance(expected, dict):
        expected = {"value": expected}
    assertions = check_assertions(record.get("assert", record.get("assertions")), problems)
    if expected and not assertions:
        assertions = (_default_for(expected),)
    tags = _attempt(where, check_tags, record.get("tags"))
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        problems.append("metadata must be an object")
    if problems:
        raise RecordError(problems)
    messages, prompt = conversation
    return Case(
        id=case_id,
        workload=workload,
        messages=messages,
        expected=expected or {},
        assertions=assertions,
        tools=tuple(tools) if tools is not None else None,
        tags=tags,
        prompt=prompt,
        vars=variables,
        description=record.get("description"),
        metadata=metadata,
        source=where.source,
        line=where.line,
    )
