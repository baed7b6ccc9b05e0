"""Anthropic Messages wire format: request parsing, with Anthropic's error wording.

Errors read like Anthropic's (``max_tokens: Field required``,
``messages.0.role: Input should be 'user' or 'assistant'``): a dotted path to the field,
then what is wrong with it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from modelswap.sim.conversation import Conversation, ToolCall, ToolChoice, ToolSpec, Turn
from modelswap.sim.errors import SimError
from modelswap.sim.wire_common import tool_params, type_name

_CHOICES: dict[str, ToolChoice] = {"auto": "auto", "any": "required", "tool": "required", "none": "none"}


@dataclass(frozen=True, slots=True)
class MessagesRequest:
    """The parts of a Messages request the simulator acts on."""

    model: str
    conv: Conversation
    stream: bool
    max_tokens: int


_THINKING_FIRST = (
    "Expected `thinking` or `redacted_thinking`, but found `{found}`. When `thinking` is enabled, a final "
    "`assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and "
    "`tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this "
    "requirement, disable `thinking`. Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)


def thinking_signature(text: str) -> str:
    """The simulator's signature of a thinking block's text (checked when the block comes back)."""
    return base64.b64encode(hashlib.sha256(text.encode()).digest() * 2).decode()


def _check_thinking(messages: list[Any], thinking: bool) -> None:
    """Anthropic's checks of thinking blocks sent back: each one's signature must match its text,
    and with thinking on, the assistant turn whose tool calls the last message answers must open
    with its thinking block."""
    for i, msg in enumerate(messages):
        content = msg.get("content") if msg.get("role") == "assistant" else None
        for j, block in enumerate(content if isinstance(content, list) else ()):
            if block.get("type") == "thinking" and block.get("signature") != thinking_signature(
                str(block.get("thinking"))
            ):
                raise SimError.bad_request(
                    f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block", param=f"messages.{i}"
                )
    last = messages[-1].get("content")
    answers_tools = isinstance(last, list) and any(b.get("type") == "tool_result" for b in last)
    if not thinking or not answers_tools or len(messages) < 2:
        return
    content = messages[-2].get("content")
    first = content[0].get("type") if isinstance(content, list) and content else "text"
    if first not in ("thinking", "redacted_thinking"):
        path = f"messages.{len(messages) - 2}.content.0.type"
        raise SimError.bad_request(f"{path}: {_THINKING_FIRST.format(found=first)}", param=path)


def _bad(path: str, problem: str) -> SimError:
    return SimError.bad_request(f"{path}: {problem}", param=path)


def parse_request(body: Any) -> MessagesRequest:
    """Validate a Messages body as Anthropic does; errors name the offending field."""
    if not isinstance(body, dict):
        raise SimError.bad_request(f"Request body must be a JSON object, got {type_name(body)}")
    for name in ("model", "messages", "max_tokens"):
        if name not in body:
            raise _bad(name, "Field required")
    model, messages, max_tokens = body["model"], body["messages"], body["max_tokens"]
    if not isinstance(model, str) or not model:
        raise _bad("model", "Input should be a valid string")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
        raise _bad("max_tokens", "Input should be a valid integer")
    if max_tokens < 1:
        raise _bad("max_tokens", "Input should be greater than or equal to 1")
    if not isinstance(messages, list):
        raise _bad("messages", "Input should be a valid list")
    if not messages:
        raise _bad("messages", "at least one message is required")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise _bad("stream", "Input should be a valid boolean")
    tools = _parse_tools(body.get("tools"))
    choice, forced = _parse_tool_choice(body.get("tool_choice"), tools)
    thinking = _parse_thinking(body.get("thinking"), max_tokens)
    if thinking and choice == "required":
        raise SimError.bad_request("Thinking may not be enabled when tool_choice forces tool use.", param="tool_choice")
    raw_choice = body.get("tool_choice")
    turns = _parse_messages(messages)
    _check_thinking(messages, thinking)
    conv = Conversation(
        system=_system_text(body.get("system")),
        turns=turns,
        tools=tools,
        tool_choice=choice,
        forced_tool=forced,
        output_schema=_parse_output_format(body),
        stop=_parse_stop_sequences(body.get("stop_sequences")),
        parallel_tool_calls=not (isinstance(raw_choice, dict) and raw_choice.get("disable_parallel_tool_use")),
        thinking=thinking,
    )
    return MessagesRequest(model, conv, stream, max_tokens)


def _parse_thinking(value: Any, max_tokens: int) -> bool:
    """Whether extended thinking is on; Anthropic's errors for a bad ``thinking`` object."""
    if value is None:
        return False
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in ("enabled", "disabled", "adaptive"):
        raise _bad("thinking.type", "Input should be 'enabled', 'disabled' or 'adaptive'")
    if kind != "enabled":
        return bool(kind == "adaptive")
    budget = value.get("budget_tokens")
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise _bad("thinking.enabled.budget_tokens", "Field required")
    if budget < 1024:
        raise _bad("thinking.enabled.budget_tokens", "Input should be greater than or equal to 1024")
    if max_tokens <= budget:
        raise SimError.bad_request(
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
            "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
            param="max_tokens",
        )
    return True


def _parse_stop_sequences(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad("stop_sequences", "Input should be a valid list of strings")
    return tuple(value)


def _parse_output_format(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema of ``output_config.format`` (or the beta ``output_format``), if any."""
    config = body.get("output_config")
    if config is not None and not isinstance(config, dict):
        raise _bad("output_config", "Input should be a valid dictionary")
    fmt, path = (config or {}).get("format"), "output_config.format"
    if fmt is None and body.get("output_format") is not None:
        fmt, path = body["output_format"], "output_format"
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        raise _bad(f"{path}.type", "Input should be 'json_schema'")
    if not isinstance(fmt.get("schema"), dict):
        raise _bad(f"{path}.schema", "Field required")
    return dict(fmt["schema"])


def _system_text(value: Any) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    if not isinstance(value, list):
        raise _bad("system", "Input should be a valid string or a list of text blocks")
    return "\n".join(_block_text(b, f"system.{i}") for i, b in enumerate(value))


def _block_text(block: Any, path: str) -> str:
    if not isinstance(block, dict) or block.get("type") != "text":
        raise _bad(f"{path}.type", "Input should be 'text'")
    if not isinstance(block.get("text"), str):
        raise _bad(f"{path}.text", "Field required")
    return str(block["text"])


def _parse_messages(messages: list[Any]) -> tuple[Turn, ...]:
    """Turns in order; tool_result blocks become ``tool`` turns before the message's text."""
    turns: list[Turn] = []
    pending: list[str] = []
    for i, msg in enumerate(messages):
        path = f"messages.{i}"
        if not isinstance(msg, dict):
            raise _bad(path, "Input should be a valid dictionary")
        role = msg.get("role")
        if role not in ("user", "assistant"):
            raise _bad(f"{path}.role", "Input should be 'user' or 'assistant'")
        if "content" not in msg:
            raise _bad(f"{path}.content", "Field required")
        blocks = _blocks(msg["content"], f"{path}.content")
        results = [b for b in blocks if b.get("type") == "tool_result"]
        _check_results(pending, results, i)
        if role == "assistant":
            calls = _tool_uses(blocks, f"{path}.content")
            pending = [c.id for c in calls]
            turns.append(Turn("assistant", _texts(blocks, f"{path}.content"), calls))
            continue
        pending = []
        turns.extend(Turn("tool", _result_text(b), tool_call_id=b["tool_use_id"]) for b in results)
        text = _texts(blocks, f"{path}.content")
        if text or not results:
            turns.append(Turn("user", text))
    if pending:
        raise _missing_results(len(messages) - 1, pending)
    return tuple(turns)


def _blocks(content: Any, path: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise _bad(path, "Input should be a valid string or a list of content blocks")
    for j, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise _bad(f"{path}.{j}.type", "Field required")
    return content


def _texts(blocks: list[dict[str, Any]], path: str) -> str:
    return "\n".join(_block_text(b, f"{path}.{j}") for j, b in enumerate(blocks) if b["type"] == "text")


def _tool_uses(blocks: list[dict[str, Any]], path: str) -> tuple[ToolCall, ...]:
    calls = []
    for j, block in enumerate(blocks):
        if block["type"] != "tool_use":
            continue
        for name in ("id", "name", "input"):
            if name not in block:
                raise _bad(f"{path}.{j}.{name}", "Field required")
        args = block["input"] if isinstance(block["input"], dict) else {"_raw": block["input"]}
        calls.append(ToolCall(str(block["id"]), str(block["name"]), args))
    return tuple(calls)


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, list):
        texts = (b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
        return "\n".join(texts)
    if content is None or isinstance(content, str):
        return content or ""
    return orjson.dumps(content).decode()


def _check_results(pending: list[str], results: list[dict[str, Any]], index: int) -> None:
    """Every tool_use of the previous message is answered here, and nothing else is."""
    answered = [str(b.get("tool_use_id")) for b in results]
    unexpected = [a for a in answered if a not in pending]
    if unexpected:
        raise SimError.bad_request(
            f"messages.{index}.content: unexpected `tool_use_id` found in `tool_result` blocks: "
            f"{', '.join(unexpected)}. Each `tool_result` block must have a corresponding `tool_use` "
            "block in the previous message.",
            param=f"messages.{index}.content",
        )
    missing = [p for p in pending if p not in answered]
    if missing:
        raise _missing_results(index - 1, missing)


def _missing_results(index: int, ids: list[str]) -> SimError:
    return SimError.bad_request(
        f"messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately after: "
        f"{', '.join(ids)}. Each `tool_use` block must have a corresponding `tool_result` block in the "
        "next message.",
        param=f"messages.{index}",
    )


def _parse_tools(value: Any) -> tuple[ToolSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _bad("tools", "Input should be a valid list")
    specs = []
    for i, tool in enumerate(value):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise _bad(f"tools.{i}.name", "Field required")
        if "input_schema" not in tool:
            raise _bad(f"tools.{i}.input_schema", "Field required")
        schema = tool["input_schema"] if isinstance(tool["input_schema"], dict) else None
        specs.append(ToolSpec(tool["name"], tool_params(schema), len(orjson.dumps(tool)), schema))
    return tuple(specs)


def _parse_tool_choice(value: Any, tools: tuple[ToolSpec, ...]) -> tuple[ToolChoice, str | None]:
    if value is None:
        return "auto", None
    kind = value.get("type") if isinstance(value, dict) else None
    if not isinstance(value, dict) or kind not in _CHOICES:
        raise _bad("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'")
    if kind != "tool":
        return _CHOICES[kind], None
    name = value.get("name")
    if not isinstance(name, str):
        raise _bad("tool_choice.name", "Field required")
    if not any(t.name == name for t in tools):
        raise _bad("tool_choice.name", f"Tool '{name}' not found in provided tools")
    return "required", name
