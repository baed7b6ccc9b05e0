"""A vendor-neutral view of a chat request, and the answer the simulator gives to it.

Both wire formats (OpenAI chat completions, Anthropic messages) are parsed into a
``Conversation``, so the same logical request gets the same answer whichever API it
came through (a cross-vendor translation can be tested end to end).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

Role = Literal["user", "assistant", "tool"]
ToolChoice = Literal["auto", "none", "required"]

CHARS_PER_TOKEN = 4
"""Token counts are approximated as ceil(characters / 4), used the same way everywhere."""


def count_tokens(text: str) -> int:
    """Approximate token count of ``text`` (at least 1 for non-empty text)."""
    return -(-len(text) // CHARS_PER_TOKEN)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call made by the assistant; ``arguments`` is the decoded JSON object."""

    id: str
    name: str
    arguments: dict[str, Any]

    @property
    def arguments_json(self) -> str:
        """The arguments as the compact JSON string OpenAI puts on the wire."""
        return orjson.dumps(self.arguments).decode()


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the model: its name and the names of its parameters (required first)."""

    name: str
    params: tuple[str, ...] = ()
    schema_chars: int = 0
    schema: dict[str, Any] | None = field(default=None, compare=False)
    """The tool's JSON schema (forced calls fill it with valid arguments)."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One message after the system prompt. A ``tool`` turn carries a tool's result as text."""

    role: Role
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """The parts of a request that decide the answer."""

    system: str
    turns: tuple[Turn, ...]
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice = "auto"
    forced_tool: str | None = None
    output_schema: dict[str, Any] | None = field(default=None, compare=False)
    """A JSON schema the answer text must match (``response_format`` json_schema, ``output_config.format``)."""
    json_mode: bool = False
    """The answer text must be a JSON object (``response_format: json_object``)."""
    stop: tuple[str, ...] = ()
    """Stop sequences: the answer ends before the first one it would contain."""
    parallel_tool_calls: bool = True
    """Whether several tool calls may come in one answer."""
    thinking: bool = False
    """Extended thinking (Anthropic: a thinking block comes before the answer) or reasoning
    (OpenAI's ``reasoning_effort``: hidden, counted in ``completion_tokens_details.reasoning_tokens``)."""

    def canonical(self) -> list[Any]:
        """JSON-able form used for hashing; ignores ids, which differ between vendors and runs."""
        turns = [[t.role, t.text, [[c.name, c.arguments] for c in t.tool_calls]] for t in self.turns]
        return [self.system, turns, sorted(t.name for t in self.tools)]

    def prompt_tokens(self) -> int:
        """Approximate input tokens: text, tool calls, tool schemas, plus a few per message."""
        chars = len(self.system) + sum(t.schema_chars for t in self.tools)
        for turn in self.turns:
            chars += len(turn.text) + sum(len(c.name) + len(c.arguments_json) for c in turn.tool_calls)
        return -(-chars // CHARS_PER_TOKEN) + 3 * (len(self.turns) + 1)

    def last_user_text(self) -> str:
        """Text of the most recent user turn ('' if none)."""
        for turn in reversed(self.turns):
            if turn.role == "user":
                return turn.text
        return ""

    def tool(self, name: str) -> ToolSpec | None:
        """The offered tool called ``name``, if any."""
        return next((t for t in self.tools if t.name == name), None)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the simulated model says: text and/or tool calls, and whether it is right."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    kind: str = "default"
    correct: bool | None = None
    truncated: bool = False
    stop_sequence: str | None = None
    """The stop sequence that ended the text, if one did."""
    thinking: str = ""

    def completion_tokens(self) -> int:
        """Approximate output tokens (at least 1)."""
        chars = len(self.text) + sum(len(c.name) + len(c.arguments_json) for c in self.tool_calls)
        return max(1, -(-chars // CHARS_PER_TOKEN)) + count_tokens(self.thinking)  # reasoning counted apart
