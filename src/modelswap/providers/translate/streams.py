"""Streams, both ways: Anthropic events ⇄ OpenAI ``chat.completion.chunk`` objects.

Each translator is a small state machine: ``feed`` one parsed event/chunk, get back the
list of objects to emit in the other dialect (possibly none). They do no I/O and keep
no clock: the caller passes ``created``.
"""

from __future__ import annotations

from collections.abc import Callable

from modelswap.providers.base import Json
from modelswap.providers.translate.common import (
    ANTHROPIC_STOP_TO_OPENAI,
    OPENAI_FINISH_TO_ANTHROPIC,
    anthropic_usage_to_openai,
    openai_usage_to_anthropic,
)

__all__ = ["AnthropicStreamToOpenAI", "OpenAIStreamToAnthropic"]


class AnthropicStreamToOpenAI:
    """Anthropic stream events → OpenAI chunks, as OpenAI itself would send them.

    A role chunk first, then content and ``tool_calls`` deltas, a chunk carrying the
    ``finish_reason``, and, only when ``include_usage``, a last chunk with empty
    ``choices`` and the usage (every other chunk then has ``"usage": null``, as OpenAI does).
    Thinking deltas become ``reasoning_content`` deltas and a thinking block's signature (or a
    redacted block) a ``thinking_blocks`` delta, as LiteLLM streams them; citation deltas and
    ``ping`` events produce nothing.
    """

    def __init__(self, *, created: int, include_usage: bool = False) -> None:
        self.created = created
        self.include_usage = include_usage
        self.id = ""
        self.model = ""
        self._usage: Json = {}
        self._tool_index: dict[int, int] = {}  # Anthropic block index → OpenAI tool_calls index
        self._argued: set[int] = set()  # OpenAI tool_calls indexes that received argument text
        self._handlers: dict[str, Callable[[Json], list[Json]]] = {
            "message_start": self._message_start,
            "content_block_start": self._block_start,
            "content_block_delta": self._block_delta,
            "content_block_stop": self._block_stop,
            "message_delta": self._message_delta,
            "message_stop": self._message_stop,
        }

    def feed(self, event: Json) -> list[Json]:
        """Translate one Anthropic event object into zero or more OpenAI chunks."""
        handler = self._handlers.get(str(event.get("type")))
        return handler(event) if handler is not None else []

    def _chunk(self, delta: Json, finish_reason: str | None = None) -> Json:
        chunk: Json = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if self.include_usage:
            chunk["usage"] = None
        return chunk

    def _message_start(self, event: Json) -> list[Json]:
        message = event.get("message") or {}
        self.id = str(message.get("id") or "")
        self.model = str(message.get("model") or "")
        self._usage = dict(message.get("usage") or {})
        return [self._chunk({"role": "assistant", "content": "", "refusal": None})]

    def _block_start(self, event: Json) -> list[Json]:
        block = event.get("content_block") or {}
        if block.get("type") == "text" and block.get("text"):
            return [self._chunk({"content": block["text"]})]
        if block.get("type") == "redacted_thinking":
            return [self._chunk({"thinking_blocks": [{"type": "redacted_thinking", "data": block.get("data")}]})]
        if block.get("type") != "tool_use":
            return []
        index = len(self._tool_index)
        self._tool_index[int(event.get("index", 0))] = index
        call = {
            "index": index,
            "id": block.get("id"),
            "type": "function",
            "function": {"name": block.get("name"), "arguments": ""},
        }
        return [self._chunk({"tool_calls": [call]})]

    def _block_delta(self, event: Json) -> list[Json]:
        delta = event.get("delta") or {}
        if delta.get("type") == "text_delta" and delta.get("text"):
            return [self._chunk({"content": delta["text"]})]
        if delta.get("type") == "input_json_delta" and delta.get("partial_json"):
            index = self._tool_index.get(int(event.get("index", 0)))
            if index is None:
                return []
            self._argued.add(index)
            call = {"index": index, "function": {"arguments": delta["partial_json"]}}
            return [self._chunk({"tool_calls": [call]})]
        if delta.get("type") == "thinking_delta" and delta.get("thinking"):
            return [self._chunk({"reasoning_content": delta["thinking"]})]
        if delta.get("type") == "signature_delta" and delta.get("signature"):
            block = {"type": "thinking", "thinking": "", "signature": delta["signature"]}
            return [self._chunk({"thinking_blocks": [block]})]
        return []

    def _block_stop(self, event: Json) -> list[Json]:
        """A tool call that got no argument text gets ``"{}"``, as OpenAI sends for no arguments."""
        index = self._tool_index.get(int(event.get("index", 0)))
        if index is None or index in self._argued:
            return []
        self._argued.add(index)
        return [self._chunk({"tool_calls": [{"index": index, "function": {"arguments": "{}"}}]})]

    def _message_delta(self, event: Json) -> list[Json]:
        usage = event.get("usage") or {}
        self._usage.update({k: v for k, v in usage.items() if v is not None})
        stop = (event.get("delta") or {}).get("stop_reason")
        if stop is None:
            return []
        return [self._chunk({}, ANTHROPIC_STOP_TO_OPENAI.get(stop, "stop"))]

    def _message_stop(self, event: Json) -> list[Json]:
        if not self.include_usage:
            return []
        return [
            {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [],
                "usage": anthropic_usage_to_openai(self._usage),
            }
        ]


class OpenAIStreamToAnthropic:
    """OpenAI chunks → Anthropic stream events, as the Messages API would send them.

    ``message_start`` on the first chunk; a text or ``tool_use`` content block opened
    (and the previous one closed) whenever the kind of output changes; ``finish`` emits
    ``message_delta`` (stop reason and usage) and ``message_stop``. OpenAI reports usage
    only at the end (ask for ``stream_options.include_usage``), so ``message_start``
    carries zero input tokens and the real counts arrive in ``message_delta``.
    """

    def __init__(self, *, model: str | None = None, message_id: str | None = None) -> None:
        self.model = model
        self.message_id = message_id
        self._started = False
        self._open: int | None = None  # Anthropic index of the open block
        self._open_is_text = False
        self._next_index = 0
        self._tool_blocks: dict[int, int] = {}  # OpenAI tool_calls index → Anthropic block index
        self._stop_reason: str | None = None
        self._refused = False
        self._usage: Json | None = None

    def feed(self, chunk: Json) -> list[Json]:
        """Translate one OpenAI chunk into zero or more Anthropic events."""
        out = self._start(chunk)
        if isinstance(chunk.get("usage"), dict):
            self._usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            self._refused = self._refused or bool(delta.get("refusal"))
            text = delta.get("content") or delta.get("refusal")
            if text:
                out.extend(self._text(str(text)))
            for call in delta.get("tool_calls") or ():
                out.extend(self._tool_call(call))
            finish = choice.get("finish_reason")
            if finish:
                self._stop_reason = "refusal" if self._refused else OPENAI_FINISH_TO_ANTHROPIC.get(finish)
                out.extend(self._close())
        return out

    def finish(self) -> list[Json]:
        """Events that end the message; call once after the OpenAI stream is exhausted."""
        out = self._start({})
        out.extend(self._close())
        usage = openai_usage_to_anthropic(self._usage)
        out.append(
            {
                "type": "message_delta",
                "delta": {"stop_reason": self._stop_reason or "end_turn", "stop_sequence": None},
                "usage": usage,
            }
        )
        out.append({"type": "message_stop"})
        return out

    def _start(self, chunk: Json) -> list[Json]:
        if self._started:
            return []
        self._started = True
        message: Json = {
            "id": self.message_id or chunk.get("id") or "msg_modelswap",
            "type": "message",
            "role": "assistant",
            "model": self.model or chunk.get("model") or "",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return [{"type": "message_start", "message": message}]

    def _open_block(self, block: Json, is_text: bool) -> list[Json]:
        out = self._close()
        self._open, self._open_is_text = self._next_index, is_text
        self._next_index += 1
        out.append({"type": "content_block_start", "index": self._open, "content_block": block})
        return out

    def _close(self) -> list[Json]:
        if self._open is None:
            return []
        index, self._open = self._open, None
        return [{"type": "content_block_stop", "index": index}]

    def _text(self, text: str) -> list[Json]:
        out = (
            []
            if self._open is not None and self._open_is_text
            else self._open_block({"type": "text", "text": ""}, True)
        )
        out.append(
            {
                "type": "content_block_delta",
                "index": self._open,
                "delta": {"type": "text_delta", "text": text},
            }
        )
        return out

    def _tool_call(self, call: Json) -> list[Json]:
        position = int(call.get("index", 0))
        fn = call.get("function") or {}
        out: list[Json] = []
        if position not in self._tool_blocks:
            block: Json = {
                "type": "tool_use",
                "id": call.get("id") or f"toolu_{position}",
                "name": fn.get("name") or "",
                "input": {},
            }
            out = self._open_block(block, False)
            self._tool_blocks[position] = self._next_index - 1
        if fn.get("arguments"):
            delta = {"type": "input_json_delta", "partial_json": fn["arguments"]}
            out.append({"type": "content_block_delta", "index": self._tool_blocks[position], "delta": delta})
        return out
