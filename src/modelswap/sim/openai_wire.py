"""OpenAI chat-completions wire format: request parsing (with OpenAI's error wording) and bodies.

Pure functions: a request body in, a ``ChatRequest`` out (or a 400 ``SimError`` naming the
field); a ``Plan`` in, a response body or stream chunks out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from modelswap.sim.conversation import Conversation, ToolCall, ToolChoice, ToolSpec, Turn
from modelswap.sim.errors import SimError
from modelswap.sim.wire_common import tool_params, type_name

ROLES = ("system", "assistant", "user", "function", "tool", "developer")


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """The parts of a chat-completions request the simulator acts on."""

    model: str
    conv: Conversation
    stream: bool
    include_usage: bool
    max_tokens: int | None
    n: int = 1
    logprobs: bool = False
    top_logprobs: int = 0


def parse_request(body: Any) -> ChatRequest:
    """Validate a chat-completions body as OpenAI does; errors name the offending field."""
    if not isinstance(body, dict):
        raise SimError.bad_request(f"Invalid body: expected a JSON object, but got {type_name(body)}.")
    model = body.get("model")
    if not model or not isinstance(model, str):
        raise SimError.bad_request("you must provide a model parameter", param="model")
    messages = _require_array(body, "messages")
    stream = body.get("stream") or False
    if not isinstance(stream, bool):
        raise _invalid_type("stream", "a boolean", stream)
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise _invalid_type("stream_options", "an object", options)
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    field = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    _check_max_tokens(max_tokens, field)
    tools = _parse_tools(body.get("tools"))
    choice, forced = _parse_tool_choice(body.get("tool_choice"), tools)
    system, turns = _parse_messages(messages)
    schema, json_mode = _parse_response_format(body.get("response_format"), messages)
    n = _bounded_int(body, "n", 1, 128, 1)
    logprobs = body.get("logprobs") or False
    if not isinstance(logprobs, bool):
        raise _invalid_type("logprobs", "a boolean", logprobs)
    top = _bounded_int(body, "top_logprobs", 0, 20, 0)
    if body.get("top_logprobs") is not None and not logprobs:
        raise SimError.bad_request(
            "Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.",
            param="top_logprobs",
        )
    parallel = body.get("parallel_tool_calls", True)
    if not isinstance(parallel, bool):
        raise _invalid_type("parallel_tool_calls", "a boolean", parallel)
    if "parallel_tool_calls" in body and not tools:
        raise SimError.bad_request(
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are "
            "specified.",
            param="parallel_tool_calls",
        )
    conv = Conversation(
        system=system,
        turns=turns,
        tools=tools,
        tool_choice=choice,
        forced_tool=forced,
        output_schema=schema,
        json_mode=json_mode,
        stop=_parse_stop(body.get("stop")),
        parallel_tool_calls=parallel,
        thinking=_reasoning(body.get("reasoning_effort")),
    )
    return ChatRequest(model, conv, stream, bool(options.get("include_usage")), max_tokens, n, logprobs, top)


_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


def _reasoning(effort: Any) -> bool:
    """Whether the model reasons before answering (hidden text, counted as ``reasoning_tokens``)."""
    if effort is None:
        return False
    if effort not in _EFFORTS:
        raise SimError.bad_request(
            f"Invalid value: '{effort}'. Supported values are: {', '.join(repr(e) for e in _EFFORTS)}.",
            param="reasoning_effort",
        )
    return bool(effort != "none")


def _bounded_int(body: dict[str, Any], name: str, low: int, high: int, default: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid_type(name, "an integer", value)
    if value < low:
        raise SimError.bad_request(
            f"Invalid '{name}': integer below minimum value. Expected a value >= {low}, but got {value} instead.",
            param=name,
            code="integer_below_min_value",
        )
    if value > high:
        raise SimError.bad_request(
            f"Invalid '{name}': integer above maximum value. Expected a value <= {high}, but got {value} instead.",
            param=name,
            code="integer_above_max_value",
        )
    return value


def _parse_stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid_type("stop", "one of a string or array of strings", value)
    if len(value) > 4:
        raise SimError.bad_request(
            "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with "
            f"length {len(value)} instead.",
            param="stop",
            code="array_above_max_length",
        )
    return tuple(value)


def _parse_response_format(value: Any, messages: list[Any]) -> tuple[dict[str, Any] | None, bool]:
    """(schema the answer must match, JSON-object mode) from ``response_format``."""
    if value is None:
        return None, False
    if not isinstance(value, dict):
        raise _invalid_type("response_format", "an object", value)
    kind = value.get("type")
    if kind == "text":
        return None, False
    if kind == "json_object":
        if "json" not in orjson.dumps(messages).decode().lower():
            raise SimError.bad_request(
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                param="messages",
            )
        return None, True
    if kind != "json_schema":
        raise SimError.bad_request(
            f"Invalid value: '{kind}'. Supported values are: 'json_object', 'json_schema', and 'text'.",
            param="response_format.type",
            code="invalid_value",
        )
    spec = value.get("json_schema")
    if not isinstance(spec, dict):
        raise _missing("response_format.json_schema")
    if not isinstance(spec.get("name"), str) or not spec["name"]:
        raise _missing("response_format.json_schema.name")
    schema = spec.get("schema")
    if schema is not None and not isinstance(schema, dict):
        raise _invalid_type("response_format.json_schema.schema", "an object", schema)
    return schema or {"type": "object"}, False


def _require_array(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if value is None:
        raise SimError.bad_request(
            f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
        )
    if not isinstance(value, list):
        raise _invalid_type(name, "an array", value)
    if not value:
        raise SimError.bad_request(
            f"Invalid '{name}': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            param=name,
            code="empty_array",
        )
    return value


def _check_max_tokens(value: Any, field: str) -> None:
    """Absent or a positive integer; 400 naming ``field`` otherwise."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise SimError.bad_request(
            f"Invalid type for '{field}': expected an integer, but got {type_name(value)} instead.",
            param=field,
            code="invalid_type",
        )
    if value < 1:
        raise SimError.bad_request(
            f"Invalid '{field}': integer below minimum value. Expected a value >= 1, but got {value} instead.",
            param=field,
            code="integer_below_min_value",
        )


def _invalid_type(param: str, expected: str, got: Any) -> SimError:
    return SimError.bad_request(
        f"Invalid type for '{param}': expected {expected}, but got {type_name(got)} instead.",
        param=param,
        code="invalid_type",
    )


def _missing(param: str) -> SimError:
    return SimError.bad_request(
        f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def _text(content: Any, param: str) -> str:
    """A message's text: a string, null, or an array of content parts (text parts joined)."""
    if content is None or isinstance(content, str):
        return content or ""
    if not isinstance(content, list):
        raise _invalid_type(param, "one of a string or array of objects", content)
    texts = []
    for i, part in enumerate(content):
        if not isinstance(part, dict) or "type" not in part:
            raise _missing(f"{param}[{i}].type")
        if part["type"] == "text":
            if not isinstance(part.get("text"), str):
                raise _missing(f"{param}[{i}].text")
            texts.append(part["text"])
    return "\n".join(texts)


def _parse_messages(messages: list[Any]) -> tuple[str, tuple[Turn, ...]]:
    """System text and turns; checks roles and that tool messages answer earlier tool calls."""
    system: list[str] = []
    turns: list[Turn] = []
    pending: set[str] = set()
    for i, msg in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(msg, dict):
            raise _invalid_type(where, "an object", msg)
        role = msg.get("role")
        if role is None:
            raise _missing(f"{where}.role")
        if role not in ROLES:
            supported = ", ".join(f"'{r}'" for r in ROLES[:-1]) + f", and '{ROLES[-1]}'"
            raise SimError.bad_request(
                f"Invalid value: '{role}'. Supported values are: {supported}.",
                param=f"{where}.role",
                code="invalid_value",
            )
        text = _text(msg.get("content"), f"{where}.content")
        if role in ("tool", "function"):
            turns.append(_tool_turn(msg, text, where, pending))
            continue
        _check_answered(pending, where)
        if role in ("system", "developer"):
            system.append(text)
        elif role == "user":
            turns.append(Turn("user", text))
        else:
            calls = _parse_tool_calls(msg.get("tool_calls"), f"{where}.tool_calls")
            pending = {c.id for c in calls}
            turns.append(Turn("assistant", text, calls))
    _check_answered(pending, "messages")
    return "\n".join(system), tuple(turns)


def _tool_turn(msg: dict[str, Any], text: str, where: str, pending: set[str]) -> Turn:
    call_id = msg.get("tool_call_id") if msg["role"] == "tool" else msg.get("name")
    if msg["role"] == "tool" and not isinstance(call_id, str):
        raise _missing(f"{where}.tool_call_id")
    if msg["role"] == "function" and not isinstance(call_id, str):  # OpenAI: a function message needs its name
        raise _missing(f"{where}.name") if call_id is None else _invalid_type(f"{where}.name", "a string", call_id)
    if msg["role"] == "tool" and call_id not in pending:
        raise SimError.bad_request(
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
            "message with 'tool_calls'.",
            param=f"{where}.role",
        )
    pending.discard(str(call_id))
    return Turn("tool", text, tool_call_id=call_id)


def _check_answered(pending: set[str], where: str) -> None:
    if pending:
        raise SimError.bad_request(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to "
            f"each 'tool_call_id'. The following tool_call_ids did not have response messages: "
            f"{', '.join(sorted(pending))}",
            param=where,
        )


def _parse_tool_calls(value: Any, param: str) -> tuple[ToolCall, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _invalid_type(param, "an array", value)
    calls = []
    for i, call in enumerate(value):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise _missing(f"{param}[{i}].function.name")
        if not isinstance(call.get("id"), str):
            raise _missing(f"{param}[{i}].id")
        calls.append(ToolCall(call["id"], fn["name"], _decode_arguments(fn.get("arguments"))))
    return tuple(calls)


def _decode_arguments(raw: Any) -> dict[str, Any]:
    """Tool-call arguments as an object; undecodable JSON is kept verbatim under ``_raw``."""
    if isinstance(raw, dict):
        return raw
    try:
        value = orjson.loads(raw or "{}")
    except orjson.JSONDecodeError:
        return {"_raw": str(raw)}
    return value if isinstance(value, dict) else {"_raw": raw}


def _parse_tools(value: Any) -> tuple[ToolSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _invalid_type("tools", "an array", value)
    specs = []
    for i, tool in enumerate(value):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict):
            raise _missing(f"tools[{i}].function")
        if not isinstance(fn.get("name"), str) or not fn["name"]:
            raise _missing(f"tools[{i}].function.name")
        schema = fn.get("parameters") or {}
        specs.append(ToolSpec(fn["name"], tool_params(schema), len(orjson.dumps(tool)), schema))
    return tuple(specs)


def _parse_tool_choice(value: Any, tools: tuple[ToolSpec, ...]) -> tuple[ToolChoice, str | None]:
    if value is None or value in ("auto", "none", "required"):
        choice: ToolChoice = value or "auto"
        if choice == "required" and not tools:
            raise SimError.bad_request(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                param="tool_choice",
            )
        return choice, None
    name = value.get("function", {}).get("name") if isinstance(value, dict) else None
    if not isinstance(name, str):
        raise SimError.bad_request(
            "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or "
            '{"type": "function", "function": {"name": ...}}.',
            param="tool_choice",
        )
    if not any(t.name == name for t in tools):
        raise SimError.bad_request(
            f"Invalid value for 'tool_choice': function '{name}' is not among 'tools'.", param="tool_choice"
        )
    return "required", name
