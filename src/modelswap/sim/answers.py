"""What a simulated model answers: the recognised task's right or wrong answer, or free chat.

``answer()`` is a pure function of (request digest, conversation, profile): the same
request to the same model always gets the same answer. A recognised task is answered
correctly when ``unit(digest, "quality") < quality[kind]``; otherwise wrongly.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson

from modelswap.sim.conversation import CHARS_PER_TOKEN, Answer, Conversation, ToolCall
from modelswap.sim.profiles import ModelProfile
from modelswap.sim.schema_values import example_value
from modelswap.sim.seeding import rng, unit
from modelswap.sim.tasks import Extraction, Task, recognise_arithmetic, recognise_extraction, recognise_triage
from modelswap.sim.tool_tasks import recognise_tool_call, recognise_tool_results

RECOGNISERS: tuple[Callable[[Conversation], Task | None], ...] = (
    recognise_tool_results,
    recognise_tool_call,
    recognise_triage,
    recognise_extraction,
    recognise_arithmetic,
)
"""Tried in order; the first that recognises the request decides the task."""

_ID_ALPHABET = string.ascii_letters + string.digits


def recognise(conv: Conversation) -> Task | None:
    """The task the simulator knows the truth for, if the request is one."""
    for recogniser in RECOGNISERS:
        task = recogniser(conv)
        if task is not None:
            return task
    return None


def answer(conv: Conversation, key: bytes, profile: ModelProfile, max_tokens: int | None = None) -> Answer:
    """The model's answer to ``conv``; ``key`` is the request digest (seed, model, request).

    Request fields are honoured as the real APIs do: a forced ``tool_choice`` always gets a
    tool call (arguments valid under the tool's schema), a JSON schema or JSON mode gets
    JSON text, ``parallel_tool_calls: false`` keeps one call, stop sequences end the text,
    thinking adds a thinking block first.
    """
    task = recognise(conv)
    if task is not None:
        correct = unit(key, "quality") < profile.quality_for(task.kind, hard=bool(getattr(task, "hard", False)))
        result = replace(task.right() if correct else _wrong(task, key, profile), correct=correct)
    else:
        result = Answer(text=free_chat(rng(key, "chat")), kind="default")
    result = _honour_request(conv, result, key)
    return _finish(result, key, max_tokens, conv.stop)


def _wrong(task: Task, key: bytes, profile: ModelProfile) -> Answer:
    """The task's wrong answer; a profile with ``wrong_answers: invalid`` breaks a JSON answer's shape."""
    if profile.wrong_answers == "invalid" and isinstance(task, Extraction):
        return task.invalid(rng(key, "wrong"))
    return task.wrong(rng(key, "wrong"))


def _honour_request(conv: Conversation, result: Answer, key: bytes) -> Answer:
    forced = conv.tool_choice == "required" or conv.forced_tool is not None
    if result.tool_calls and conv.forced_tool is not None:
        kept = tuple(c for c in result.tool_calls if c.name == conv.forced_tool)
        result = replace(result, tool_calls=kept)
    if forced and conv.tools and not result.tool_calls:
        name = conv.forced_tool or conv.tools[0].name
        spec = conv.tool(name)
        args = example_value(spec.schema if spec is not None else None, rng(key, "arguments"))
        call = ToolCall("", name, args if isinstance(args, dict) else {"value": args})
        result = Answer(text="", tool_calls=(call,), kind="tools")
    if not conv.parallel_tool_calls and len(result.tool_calls) > 1:
        result = replace(result, tool_calls=result.tool_calls[:1])
    if not result.tool_calls and conv.output_schema is not None:
        text = orjson.dumps(_structured(conv.output_schema, result.text, key)).decode()
        result = replace(result, text=text)
    elif not result.tool_calls and conv.json_mode:
        result = replace(result, text=_as_json_object(result.text))
    if conv.thinking:
        result = replace(result, thinking=_thinking(conv))
    return result


def _structured(schema: dict[str, Any], text: str, key: bytes) -> Any:
    """A value valid under ``schema`` that keeps what the task's answer says: a recognised task
    answered in JSON (an extraction's ``name``, ``email``, ``amount``) fills the schema's
    properties of the same names, as a real model fills its schema from what it found."""
    value = example_value(schema, rng(key, "structured"))
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError:
        return value
    if isinstance(value, dict) and isinstance(found, dict):
        properties = schema.get("properties")
        names = properties.keys() if isinstance(properties, dict) else value.keys()
        for name in names:
            if name in found and _fits(found[name], properties.get(name) if isinstance(properties, dict) else None):
                value[name] = found[name]
    return value


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
    "object": (dict,),
    "array": (list,),
}


def _fits(value: Any, schema: Any) -> bool:
    """Whether ``value`` has a type ``schema`` allows (``type``, or any of ``anyOf``'s; no schema: any)."""
    if not isinstance(schema, dict):
        return True
    options = schema.get("anyOf")
    if isinstance(options, list):
        return any(_fits(value, option) for option in options)
    kinds = schema.get("type")
    if kinds is None:
        return True
    allowed = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
    if isinstance(value, bool):
        return "boolean" in allowed
    return any(isinstance(value, _JSON_TYPES.get(k, ())) for k in allowed if isinstance(k, str))


def _as_json_object(text: str) -> str:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = None
    return text if isinstance(value, dict) else orjson.dumps({"answer": text}).decode()


def _thinking(conv: Conversation) -> str:
    question = conv.last_user_text().strip().splitlines()[0][:120] if conv.last_user_text().strip() else "this"
    return f"The user asks: {question}. I will answer directly and check the answer before replying."


def _cut_at_stop(result: Answer, stop: tuple[str, ...]) -> Answer:
    hits = [(result.text.find(s), s) for s in stop if s and s in result.text]
    if not hits or result.tool_calls:
        return result
    at, seq = min(hits)
    return replace(result, text=result.text[:at], stop_sequence=seq)


def _finish(result: Answer, key: bytes, max_tokens: int | None, stop: tuple[str, ...] = ()) -> Answer:
    """Give tool calls deterministic ids, end text at a stop sequence, cut text longer than ``max_tokens``."""
    if result.tool_calls:
        ids = rng(key, "ids")
        calls = tuple(replace(c, id="".join(ids.choices(_ID_ALPHABET, k=24))) for c in result.tool_calls)
        result = replace(result, tool_calls=calls)
    result = _cut_at_stop(result, stop)
    if max_tokens is not None and not result.tool_calls and result.completion_tokens() > max_tokens:
        room = max(0, max_tokens * CHARS_PER_TOKEN - len(result.thinking))
        result = replace(result, text=result.text[:room], truncated=True, stop_sequence=None)
    return result


_OPENERS = (
    "Thanks for reaching out.",
    "Happy to help with that.",
    "Good question.",
    "Thanks for the details.",
    "I can help with this.",
)
_BODIES = (
    "You can find this under Settings, then Account, in the web app or the mobile app.",
    "Most changes take effect right away, though some can take up to an hour to show everywhere.",
    "If the problem persists, clearing your browser cache and signing in again usually fixes it.",
    "Our plans can be changed at any time, and the difference is prorated on your next invoice.",
    "You will receive a confirmation email once the change has been processed.",
    "For security reasons, some actions require you to confirm your identity first.",
    "The export includes every record from the selected period as a CSV file.",
    "Team members you invite get the default role, which an admin can change later.",
    "Notifications can be tuned per project, so you only hear about what matters to you.",
    "Our support team is available around the clock if you need more help.",
    "The status page lists any ongoing incidents and their expected resolution time.",
    "Deleted items stay in the trash for 30 days before they are removed permanently.",
)
_CLOSERS = (
    "Let me know if there is anything else I can do.",
    "I hope this helps!",
    "Is there anything else you would like to know?",
    "Feel free to reply if you have more questions.",
)


def free_chat(r: random.Random) -> str:
    """Plausible support-style prose whose length (1-8 body sentences) depends on the hash."""
    n_body = 1 + int(r.random() ** 1.5 * 8)
    body = r.sample(_BODIES, k=min(n_body, len(_BODIES)))
    return " ".join([r.choice(_OPENERS), *body, r.choice(_CLOSERS)])
