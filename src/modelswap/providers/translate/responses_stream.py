"""Streams both ways between OpenAI's Responses API events and chat completion chunks.

``ChatStreamToResponses`` turns chat chunks into the Responses event sequence the official
SDK's stream helper consumes: ``response.created``, ``response.in_progress``, per output item
``response.output_item.added`` / ``.done`` (a message's ``response.content_part.added`` /
``.done`` and ``response.output_text.delta`` / ``.done``; a function call's
``response.function_call_arguments.delta`` / ``.done``; a reasoning summary's
``response.reasoning_summary_*`` events), then ``response.completed`` (or
``response.incomplete`` when cut at the token limit) carrying the whole response with usage.
Every event has a ``sequence_number``. ``ResponsesStreamToChat`` is the reverse.
"""

from __future__ import annotations

from typing import Any

from modelswap.providers.base import Json
from modelswap.providers.translate.responses_response import (
    chat_usage,
    finish_status,
    function_call_item,
    incomplete_finish,
    message_item,
    new_item_id,
    reasoning_item,
    response_shell,
    responses_usage,
)

__all__ = ["ChatStreamToResponses", "ResponsesStreamToChat"]


class ChatStreamToResponses:
    """Feed chat chunks in order, then ``finish()``; each call returns the Responses events to send."""

    def __init__(self, request: Json, *, response_id: str, created: int) -> None:
        self.response = response_shell(request, response_id=response_id, created=created, model=None)
        self._seq = 0
        self._started = False
        self._open: Json | None = None  # the output item being streamed
        self._index = -1
        self._calls: dict[int, Json] = {}  # chat tool-call index → its function_call item
        self._finish: str | None = None
        self._usage: Json | None = None

    def _event(self, kind: str, **fields: Any) -> Json:
        event = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return event

    def _start(self, chunk: Json, out: list[Json]) -> None:
        self._started = True
        if chunk.get("model"):
            self.response["model"] = chunk["model"]
        out.append(self._event("response.created", response={**self.response, "output": []}))
        out.append(self._event("response.in_progress", response={**self.response, "output": []}))

    def feed(self, chunk: Json) -> list[Json]:
        """The Responses events for one chat chunk (the first one also opens the response)."""
        out: list[Json] = []
        if not self._started:
            self._start(chunk, out)
        usage = chunk.get("usage")
        if usage is not None and isinstance(usage, dict):
            self._usage = usage
        choices = chunk.get("choices")
        for choice in choices if type(choices) is list else ():
            delta = choice.get("delta") if type(choice) is dict else None
            if type(delta) is not dict:
                continue
            if "reasoning_content" in delta or "thinking_blocks" in delta:
                self._reasoning(delta, out)
            content = delta.get("content")
            if content and isinstance(content, str):
                self._text_delta(content, out)
            calls = delta.get("tool_calls")
            for call in calls if isinstance(calls, list) else ():
                if isinstance(call, dict):
                    self._call_delta(call, out)
            finish = choice.get("finish_reason")
            if finish:
                self._finish = finish
        return out

    def _reasoning(self, delta: Json, out: list[Json]) -> None:
        """A delta's thinking text, then the signature that ends its block."""
        thinking = delta.get("reasoning_content")
        if isinstance(thinking, str) and thinking:
            self._reasoning_delta(thinking, out)
        blocks = delta.get("thinking_blocks")
        for block in blocks if isinstance(blocks, list) else ():
            if isinstance(block, dict) and isinstance(block.get("signature"), str):
                self._signed(block["signature"], out)

    def _open_item(self, item: Json, out: list[Json]) -> None:
        self._close(out)
        self._index += 1
        self._open = item
        out.append(self._event("response.output_item.added", output_index=self._index, item=dict(item)))

    def _reasoning_delta(self, text: str, out: list[Json]) -> None:
        item = self._open
        if item is None or item["type"] != "reasoning":
            item = {**reasoning_item("", item_id=new_item_id("rs")), "summary": []}
            self._open_item(item, out)
            item["text"] = ""
            part = {"type": "summary_text", "text": ""}
            out.append(
                self._event("response.reasoning_summary_part.added", **self._where(), summary_index=0, part=part)
            )
        item["text"] += text
        out.append(self._event("response.reasoning_summary_text.delta", **self._where(), summary_index=0, delta=text))

    def _signed(self, signature: str, out: list[Json]) -> None:
        """Claude's signature ends its thinking block: the open reasoning item is done, with the
        signature as its ``encrypted_content``."""
        if self._open is not None and self._open["type"] == "reasoning":
            self._open["signature"] = signature
            self._close(out)

    def _text_delta(self, text: str, out: list[Json]) -> None:
        item = self._open
        if item is None or item["type"] != "message":
            item = self._open_message(out)
        item["text"] += text
        out.append(  # the hot path of every stream: the event built in one literal
            {
                "type": "response.output_text.delta",
                "sequence_number": self._seq,
                "item_id": item["id"],
                "output_index": self._index,
                "content_index": 0,
                "delta": text,
                "logprobs": [],
            }
        )
        self._seq += 1

    def _open_message(self, out: list[Json]) -> Json:
        item = {**message_item("", item_id=new_item_id("msg"), status="in_progress"), "content": []}
        self._open_item(item, out)
        item["text"] = ""
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        out.append(self._event("response.content_part.added", **self._where(), content_index=0, part=part))
        return item

    def _call_delta(self, call: Json, out: list[Json]) -> None:
        index = call.get("index", 0) if isinstance(call.get("index"), int) else 0
        fn: Json = call["function"] if isinstance(call.get("function"), dict) else {}
        item = self._calls.get(index)
        if item is None:
            item = function_call_item(
                str(call.get("id") or new_item_id("call")),
                str(fn.get("name") or ""),
                "",
                item_id=new_item_id("fc"),
                status="in_progress",
            )
            self._calls[index] = item
            self._open_item(item, out)
        elif isinstance(fn.get("name"), str):
            item["name"] += fn["name"]
        pieces = fn.get("arguments")
        if isinstance(pieces, str) and pieces and item is self._open:
            item["arguments"] += pieces
            out.append(self._event("response.function_call_arguments.delta", **self._where(), delta=pieces))

    def _where(self) -> Json:
        assert self._open is not None
        return {"item_id": self._open["id"], "output_index": self._index}

    def _close(self, out: list[Json]) -> None:
        """End the open output item with its ``.done`` events and add it to the response's output."""
        item, self._open = self._open, None
        if item is None:
            return
        where = {"item_id": item["id"], "output_index": self._index}
        if item["type"] == "message":
            text = item.pop("text")
            part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
            out.append(self._event("response.output_text.done", **where, content_index=0, text=text, logprobs=[]))
            out.append(self._event("response.content_part.done", **where, content_index=0, part=part))
            done = message_item(text, item_id=item["id"])
        elif item["type"] == "reasoning":
            text = item.pop("text")
            part = {"type": "summary_text", "text": text}
            out.append(self._event("response.reasoning_summary_text.done", **where, summary_index=0, text=text))
            out.append(self._event("response.reasoning_summary_part.done", **where, summary_index=0, part=part))
            done = reasoning_item(text, item_id=item["id"], signature=item.get("signature"))
        else:
            if not item["arguments"]:  # a call without arguments: OpenAI sends "{}", never ""
                item["arguments"] = "{}"
                out.append(self._event("response.function_call_arguments.delta", **where, delta="{}"))
            args = item["arguments"]
            out.append(self._event("response.function_call_arguments.done", **where, name=item["name"], arguments=args))
            done = {**item, "status": "completed"}
        out.append(self._event("response.output_item.done", output_index=self._index, item=done))
        self.response["output"].append(done)

    def finish(self) -> list[Json]:
        """The events that end the stream: open items closed, then the whole response with usage."""
        out: list[Json] = []
        if not self._started:
            self._start({}, out)
        if self._index < 0:  # nothing was said: the answer is one empty message, as OpenAI sends it
            self._open_message(out)
        self._close(out)
        finish_status(self.response, self._finish)
        self.response["usage"] = responses_usage(self._usage)
        kind = "response.completed" if self.response["status"] == "completed" else "response.incomplete"
        out.append(self._event(kind, response=self.response))
        return out


class ResponsesStreamToChat:
    """Feed Responses events in order; each call returns the chat chunks to send.

    Usage arrives with ``response.completed``; a usage chunk (``choices: []``) follows the
    finish chunk when ``include_usage`` was asked for, as OpenAI sends it."""

    def __init__(self, *, include_usage: bool) -> None:
        self.include_usage = include_usage
        self._base: Json = {"id": None, "object": "chat.completion.chunk", "created": 0, "model": None}
        self._calls: dict[str, int] = {}  # item id → tool-call index
        self._sent_args: set[str] = set()
        self._started = False

    def _chunk(self, delta: Json, finish: str | None = None) -> Json:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**self._base, "choices": [choice]}

    def feed(self, event: Json) -> list[Json]:
        kind = event.get("type")
        out: list[Json] = []
        if kind in ("response.created", "response.in_progress"):
            response = _obj(event.get("response"))
            self._base["id"] = response.get("id")
            self._base["created"] = response.get("created_at") or 0
            self._base["model"] = response.get("model")
            if not self._started:
                self._started = True
                out.append(self._chunk({"role": "assistant", "content": "", "refusal": None}))
        elif kind == "response.output_text.delta" and event.get("delta"):
            out.append(self._chunk({"content": event["delta"]}))
        elif kind == "response.output_item.added" and _obj(event.get("item")).get("type") == "function_call":
            item = event["item"]
            index = self._calls[str(item.get("id"))] = len(self._calls)
            head = {"index": index, "id": item.get("call_id"), "type": "function"}
            out.append(self._chunk({"tool_calls": [{**head, "function": {"name": item.get("name"), "arguments": ""}}]}))
        elif kind == "response.function_call_arguments.delta" and event.get("delta"):
            item_id = str(event.get("item_id"))
            self._sent_args.add(item_id)
            out.append(self._tool_args(item_id, event["delta"]))
        elif kind == "response.function_call_arguments.done":
            item_id = str(event.get("item_id"))
            if item_id not in self._sent_args:  # arguments sent whole, or none: "{}" as OpenAI does
                out.append(self._tool_args(item_id, event.get("arguments") or "{}"))
        elif kind in ("response.completed", "response.incomplete"):
            out.extend(self._end(_obj(event.get("response"))))
        return out

    def _tool_args(self, item_id: str, arguments: str) -> Json:
        index = self._calls.get(item_id, 0)
        return self._chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]})

    def _end(self, response: Json) -> list[Json]:
        finish = incomplete_finish(response) or ("tool_calls" if self._calls else "stop")
        out = [self._chunk({}, finish)]
        usage = chat_usage(response.get("usage"))
        if self.include_usage and usage is not None:
            out.append({**self._base, "choices": [], "usage": usage})
        return out


def _obj(value: Any) -> Json:
    """``value`` when it is a JSON object, else an empty one (a server's odd event is not a crash)."""
    return value if isinstance(value, dict) else {}
