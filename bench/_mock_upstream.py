"""A fast mock of OpenAI's chat completions API, for the gateway benchmark.

Run as its own process (``python bench/_mock_upstream.py --port N``) so its CPU never
counts against the proxy under test. The URL path picks the behaviour, so one process
serves every scenario and a proxy's ``base_url`` chooses:

    /v1/chat/completions               answer at once
    /d50/v1/chat/completions           wait 50 ms before answering
    /d50f50/v1/chat/completions        wait 50 ms, then fail 50 % of calls (at random) with a 500

``stream: true`` gets a 9-event SSE stream: role chunk, 5 content chunks, finish chunk,
usage chunk, ``[DONE]``. Bodies are built once at start-up: the mock must stay far faster
than anything it is used to measure.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import time

import orjson
import uvloop
from aiohttp import web

CONTENT = (
    "Your order #4821 shipped yesterday and should arrive on Thursday. "
    "You can follow it with the tracking link in your confirmation email."
)
CONTENT_PIECES = (
    "Your order #4821 shipped ",
    "yesterday and should arrive ",
    "on Thursday. You can ",
    "follow it with the tracking link ",
    "in your confirmation email.",
)
USAGE = {
    "prompt_tokens": 112,
    "completion_tokens": 28,
    "total_tokens": 140,
    "prompt_tokens_details": {"cached_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0},
}
MODE = re.compile(r"^/(?:d(\d+))?(?:f(\d+))?/?v1/chat/completions$")
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
ERROR_BODY = orjson.dumps(
    {
        "error": {
            "message": "mock upstream failure (benchmark)",
            "type": "server_error",
            "param": None,
            "code": "mock_failure",
        }
    }
)


def completion_body(model: str) -> bytes:
    """A realistic small non-streaming response, with usage."""
    return orjson.dumps(
        {
            "id": "chatcmpl-bench0000000000000000000001",
            "object": "chat.completion",
            "created": 1_760_000_000,
            "model": model,
            "system_fingerprint": "fp_bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": CONTENT, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": USAGE,
        }
    )


def stream_events(model: str) -> list[bytes]:
    """The 9 SSE events of one streamed answer, each a complete ``data: ...\\n\\n`` frame."""
    base = {
        "id": "chatcmpl-bench0000000000000000000001",
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": model,
        "system_fingerprint": "fp_bench",
    }

    def chunk(delta: dict, finish: str | None = None, usage: dict | None = None, choices: bool = True) -> dict:
        body = dict(base)
        body["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}] if choices else []
        if usage is not None:
            body["usage"] = usage
        return body

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in CONTENT_PIECES]
    chunks.append(chunk({}, finish="stop"))
    chunks.append(chunk({}, usage=USAGE, choices=False))
    return [b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]


class Mock:
    """Answers chat completions from bodies cached per model name."""

    def __init__(self) -> None:
        self._bodies: dict[str, bytes] = {}
        self._events: dict[str, list[bytes]] = {}
        self._chance = random.Random(7)  # seeded: every run fails the same calls
        self.served = 0

    async def chat(self, request: web.Request) -> web.StreamResponse:
        match = MODE.match(request.path)
        if match is None:
            raise web.HTTPNotFound()
        delay_ms, fail_pct = int(match[1] or 0), int(match[2] or 0)
        payload = orjson.loads(await request.read())
        model = str(payload.get("model", "gpt-4o"))
        self.served += 1
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if fail_pct and self._chance.random() * 100 < fail_pct:
            return web.Response(body=ERROR_BODY, status=500, content_type="application/json")
        if not payload.get("stream"):
            body = self._bodies.get(model) or self._bodies.setdefault(model, completion_body(model))
            return web.Response(body=body, content_type="application/json")
        events = self._events.get(model) or self._events.setdefault(model, stream_events(model))
        response = web.StreamResponse(headers=SSE_HEADERS)
        await response.prepare(request)
        for event in events:
            await response.write(event)
        await response.write_eof()
        return response

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response({"served": self.served, "time": time.time()})


def build_app() -> web.Application:
    mock = Mock()
    app = web.Application()
    app.router.add_post("/{tail:.*}", mock.chat)
    app.router.add_get("/stats", mock.stats)
    app.router.add_get("/{tail:.*}", mock.models)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(
        build_app(),
        host=args.host,
        port=args.port,
        print=None,
        access_log=None,
        backlog=1024,
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
