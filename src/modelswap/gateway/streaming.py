"""Streams through the gateway: SSE encoding per dialect, usage and first-token detection,
and assembling streamed pieces into one response body for the record."""

from __future__ import annotations

from typing import Any

import orjson

from modelswap.providers.base import Dialect, Json
from modelswap.providers.safe_text import safe_error_text

DONE = b"data: [DONE]\n\n"
_RESPONSES_TOKENS = frozenset(
    {"response.output_text.delta", "response.function_call_arguments.delta", "response.reasoning_summary_text.delta"}
)
CHARS_PER_TOKEN = 4
"""The usual rule of thumb for English text and JSON; estimates are flagged as such wherever stored."""


_EVENT_HEADS: dict[Any, bytes] = {}
"""``event: <type>\ndata: `` per event type seen (bounded: a vendor could invent types)."""


def encode_event(event: Json, dialect: Dialect) -> bytes:
    """One SSE frame as the dialect's clients expect it."""
    if dialect == "openai":
        return b"data: " + orjson.dumps(event) + b"\n\n"
    kind = event.get("type", "message")
    head = _EVENT_HEADS.get(kind)
    if head is None:
        head = b"event: " + str(kind).encode() + b"\ndata: "
        if len(_EVENT_HEADS) < 256 and isinstance(kind, str):
            _EVENT_HEADS[kind] = head
    return b"".join((head, orjson.dumps(event), b"\n\n"))


def without_usage(raw: bytes | None, event: Json) -> bytes:
    """An OpenAI chunk's frame without the ``"usage": null`` that the gateway's own request for
    usage added (OpenAI omits the key when the app did not ask). The raw frame is cut where it
    can be (a JSON string cannot hold an unescaped ``"usage"`` key), else re-encoded."""
    if raw is not None:
        for key in (b',"usage":null', b', "usage": null'):
            cut = raw.replace(key, b"", 1)
            if len(cut) != len(raw):
                return cut
    return encode_event({k: v for k, v in event.items() if k != "usage"}, "openai")


def error_event(message: str, kind: str, dialect: Dialect, sequence_number: int = 0) -> bytes:
    """A mid-stream error frame (the HTTP status is already sent), in the dialect's error shape;
    a Responses error event carries ``sequence_number`` (one more than the last event sent).

    ``message`` goes through ``safe_error_text`` like every upstream error: no URL, address,
    credential or key reaches the app, whoever worded it."""
    message = safe_error_text(message)
    if dialect == "openai":
        return (
            b"data: "
            + orjson.dumps({"error": {"message": message, "type": kind, "param": None, "code": kind}})
            + b"\n\n"
        )
    if dialect == "responses":  # the Responses API's error event (``ResponseErrorEvent``)
        event = {"type": "error", "code": kind, "message": message, "param": None, "sequence_number": sequence_number}
        return encode_event(event, dialect)
    return encode_event({"type": "error", "error": {"type": "api_error", "message": message}}, dialect)


class StreamTally:
    """Watches a stream go by: first token, usage, and (optionally) the assembled answer."""

    __slots__ = (
        "assemble",
        "cached_tokens",
        "completion_tokens",
        "final",
        "finish",
        "first_token",
        "out_chars",
        "prompt_tokens",
        "reasoning_tokens",
        "sequence",
        "text",
        "tools",
    )

    def __init__(self, assemble: bool) -> None:
        self.assemble = assemble
        self.first_token = False
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.cached_tokens: int | None = None
        self.reasoning_tokens: int | None = None
        self.finish: str | None = None
        self.final: Json | None = None
        self.text: list[str] = []
        self.tools: dict[int, dict[str, Any]] = {}
        self.sequence = -1
        """The last Responses event's ``sequence_number`` (-1 before the first)."""
        self.out_chars = 0
        """Characters of output seen (text, tool arguments, thinking): the basis of an estimate."""

    def openai(self, chunk: Json) -> bool:
        """Take one OpenAI chunk; ``True`` when it carries the first token."""
        usage = chunk.get("usage")
        if usage:
            self.prompt_tokens = usage.get("prompt_tokens")
            self.completion_tokens = usage.get("completion_tokens")
            details = usage.get("prompt_tokens_details") or {}
            self.cached_tokens = details.get("cached_tokens")
            self.reasoning_tokens = reasoning_tokens_of(chunk, "openai")
        first = False
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            content = delta.get("content")
            calls = delta.get("tool_calls")
            thinking = delta.get("reasoning_content")  # a Claude model's thinking, translated
            if content:
                self.out_chars += len(content)
            if thinking:
                self.out_chars += len(thinking)
            for call in calls or ():
                self.out_chars += len((call.get("function") or {}).get("arguments") or "")
            if (content or calls or thinking) and not self.first_token:
                self.first_token = first = True
            if choice.get("index", 0) != 0:  # with n > 1 the record keeps the first choice
                continue
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
            if self.assemble:
                if content:
                    self.text.append(content)
                for call in calls or ():
                    self._tool_delta(call)
        return first

    def _tool_delta(self, call: Json) -> None:
        slot = self.tools.setdefault(call.get("index", 0), {"id": None, "name": "", "arguments": ""})
        fn = call.get("function") or {}
        slot["id"] = call.get("id") or slot["id"]
        slot["name"] += fn.get("name") or ""
        slot["arguments"] += fn.get("arguments") or ""

    def anthropic(self, event: Json) -> bool:
        """Take one Anthropic event; ``True`` when it carries the first token."""
        kind = event.get("type")
        if kind == "message_start":
            usage = (event.get("message") or {}).get("usage") or {}
            cached = usage.get("cache_read_input_tokens") or 0
            self.prompt_tokens = (
                (usage.get("input_tokens") or 0) + cached + (usage.get("cache_creation_input_tokens") or 0)
            )
            self.cached_tokens = cached
        elif kind == "message_delta":
            usage = event.get("usage") or {}
            self.completion_tokens = usage.get("output_tokens")
            if usage.get("input_tokens") is not None:  # the final count, when the stream gives one
                cached = usage.get("cache_read_input_tokens") or 0
                self.prompt_tokens = usage["input_tokens"] + cached + (usage.get("cache_creation_input_tokens") or 0)
                self.cached_tokens = cached
            self.finish = (event.get("delta") or {}).get("stop_reason") or self.finish
        elif kind == "content_block_start":
            block = event.get("content_block") or {}
            if block.get("type") == "tool_use":
                self.tools[event.get("index", 0)] = {
                    "id": block.get("id"),
                    "name": block.get("name", ""),
                    "arguments": "",
                }
        elif kind == "content_block_delta":
            delta = event.get("delta") or {}
            piece = delta.get("text") or delta.get("partial_json") or delta.get("thinking") or ""
            self.out_chars += len(piece) if isinstance(piece, str) else 0
            first = not self.first_token
            self.first_token = True
            if self.assemble:
                if delta.get("type") == "text_delta":
                    self.text.append(delta.get("text", ""))
                elif delta.get("type") == "input_json_delta" and event.get("index", 0) in self.tools:
                    self.tools[event.get("index", 0)]["arguments"] += delta.get("partial_json", "")
            return first
        return False

    def responses(self, event: Json) -> bool:
        """Take one Responses API event; ``True`` when it carries the first token."""
        kind = event.get("type")
        seq = event.get("sequence_number")
        if type(seq) is int:
            self.sequence = seq
        if kind in _RESPONSES_TOKENS:
            first = not self.first_token
            self.first_token = True
            return first
        if kind in ("response.completed", "response.incomplete"):
            response = event.get("response") or {}
            self.prompt_tokens, self.completion_tokens, self.cached_tokens = usage_of(response, "responses")
            self.reasoning_tokens = reasoning_tokens_of(response, "responses")
            self.finish = response.get("status")
            if self.assemble:
                self.final = response
        return False

    def estimate(self, request: Json) -> tuple[int, int]:
        """(prompt, completion) tokens of a stream that ended before the vendor reported usage.

        The prompt counts as the request body's length (the vendor read it all), the completion
        as what was streamed before the end; both at ``CHARS_PER_TOKEN`` characters a token. A
        prompt count the stream did report (a non-zero ``message_start``) is kept."""
        prompt = self.prompt_tokens or -(-len(orjson.dumps(request)) // CHARS_PER_TOKEN)
        return prompt, -(-self.out_chars // CHARS_PER_TOKEN)

    def response(self) -> Json:
        """The streamed answer as one compact object (what a record stores)."""
        if self.final is not None:
            return {**self.final, "streamed": True}
        return {
            "content": "".join(self.text),
            "tool_calls": [
                {"id": t["id"], "name": t["name"], "arguments": t["arguments"]} for _, t in sorted(self.tools.items())
            ],
            "finish_reason": self.finish,
            "streamed": True,
        }


def usage_of(body: Json, dialect: Dialect) -> tuple[int | None, int | None, int | None]:
    """(prompt, completion, cached) tokens of a complete response body."""
    usage = body.get("usage") or {}
    if dialect == "responses":
        cached = (usage.get("input_tokens_details") or {}).get("cached_tokens")
        return usage.get("input_tokens"), usage.get("output_tokens"), cached
    if dialect == "openai":
        details = usage.get("prompt_tokens_details") or {}
        return usage.get("prompt_tokens"), usage.get("completion_tokens"), details.get("cached_tokens")
    cached = usage.get("cache_read_input_tokens") or 0
    prompt = (usage.get("input_tokens") or 0) + cached + (usage.get("cache_creation_input_tokens") or 0)
    return (prompt if usage else None), usage.get("output_tokens"), cached


_REASONING_DETAILS = {"openai": "completion_tokens_details", "responses": "output_tokens_details"}


def reasoning_tokens_of(body: Json, dialect: Dialect) -> int | None:
    """The reasoning tokens a response body's usage reports (``completion_tokens_details`` or, for
    the Responses API, ``output_tokens_details``); None when it reports none (Anthropic never does)."""
    usage = body.get("usage")
    details = usage.get(_REASONING_DETAILS.get(dialect, "")) if isinstance(usage, dict) else None
    count = details.get("reasoning_tokens") if isinstance(details, dict) else None
    return count if type(count) is int else None
