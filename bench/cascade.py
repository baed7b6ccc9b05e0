"""What the cascade's decision costs on the serving path, next to a plain upstream call.

Every request goes to an in-process fake upstream that answers at once with a prebuilt,
realistic answer (a whole ``chat.completion`` with usage and token logprobs, or the same as a
9-event stream), parsed from its bytes on each call as a real client does; so what is measured
beyond that parsing is modelswap's own work: the ``Cascade`` wrapper, putting
the exchange in Chat Completions form, and the signal. Baseline, in the same run and on the
same fake: the plain upstream call. CPU time of this thread per request, best of a few rounds.

Rows: the cascade keeping the cheap answer with each signal (verifier on JSON, regex, tool
calls; logprobs; classifier, decided up front; self-consistency with 2 samples, which makes 2
more calls to the fake), whole and streamed (buffered); an Anthropic-dialect request (the
answer translated for the signal); and an escalation (two upstream calls by design).

    .venv/bin/python bench/cascade.py            # ~30 s
    .venv/bin/python bench/cascade.py --quick    # fewer requests per round

Prints a Rich table for people and one ``BENCH_JSON {...}`` line for machines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from modelswap.config import Routing
from modelswap.providers.base import Dialect, Json
from modelswap.providers.cascade import Cascade
from modelswap.routing.classifier import save, train
from modelswap.routing.decide import build_decider

ASK: Json = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "You sort support tickets. Answer with JSON: {label, urgent}."},
        {"role": "user", "content": "My invoice for March was charged twice, please refund one of them."},
    ],
    "response_format": {"type": "json_object"},
}
ANSWER_TEXT = '{"label": "billing", "urgent": false}'
PIECES = ['{"label"', ': "billing"', ', "urgent"', ": false", "}"]
LOGPROBS = {"content": [{"token": p, "logprob": -0.05, "bytes": list(p.encode()), "top_logprobs": []} for p in PIECES]}
WHOLE: Json = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-5-mini",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": ANSWER_TEXT, "refusal": None},
            "logprobs": LOGPROBS,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 48, "completion_tokens": 12, "total_tokens": 60},
}
ANTHROPIC_ASK: Json = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 200,
    "system": ASK["messages"][0]["content"],
    "messages": [ASK["messages"][1]],
}
ANTHROPIC_WHOLE: Json = {
    "id": "msg_bench",
    "type": "message",
    "role": "assistant",
    "model": "claude-haiku-4-5",
    "content": [{"type": "text", "text": ANSWER_TEXT}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 48, "output_tokens": 12},
}


def _chunk(delta: Json, finish: str | None = None, logprobs: Json | None = None) -> Json:
    choice = {"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
    return {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [choice]}


EVENTS: list[Json] = [
    _chunk({"role": "assistant", "content": ""}),
    *(_chunk({"content": p}, logprobs={"content": [LOGPROBS["content"][i]]}) for i, p in enumerate(PIECES)),
    _chunk({}, "stop"),
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [],
        "usage": WHOLE["usage"],
    },
]


class Fake:
    """An upstream that answers at once from prebuilt answer bytes, parsed per call as a real client
    parses what it read (the body's JSON; each stream event's ``data:`` JSON)."""

    def __init__(self, name: str, dialect: Dialect = "openai") -> None:
        self.name, self.model, self.dialect = name, f"{name}-model", dialect
        self.whole = orjson.dumps(ANTHROPIC_WHOLE if dialect == "anthropic" else WHOLE)
        self.events = [orjson.dumps(e) for e in EVENTS]

    async def complete(self, body: Json) -> Json:
        answer: Json = orjson.loads(self.whole)
        return answer

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        for event in self.events:
            yield orjson.loads(event)

    async def aclose(self) -> None:
        pass


def signals(workdir: Path) -> dict[str, Json]:
    """The signal specs benchmarked (the classifier trained on a few synthetic cases first)."""
    short = {"messages": [{"role": "user", "content": "refund please"}]}
    long = {"messages": [{"role": "user", "content": "explain " * 60}], "tools": [{}]}
    path = workdir / "router.json"
    save(train([(short, True), (long, False)] * 20, hash_buckets=64), path)
    return {
        "verifier json_valid": {"type": "verifier", "scorer": {"type": "json_valid"}},
        "verifier regex": {"type": "verifier", "scorer": {"type": "regex", "pattern": "billing|bug|other"}},
        "verifier tool_calls": {"type": "verifier", "tool_calls": True},
        "logprobs": {"type": "logprobs"},
        "classifier (up front)": {"type": "classifier", "path": str(path)},
        "self_consistency n=2": {"type": "self_consistency", "samples": 2},
    }


def cascade(spec: Json, dialect: Dialect = "openai", threshold: float = 0.5) -> Cascade:
    routing = Routing(signal=spec, threshold=threshold)
    cheap = Fake("cheap", dialect)
    decider = build_decider(routing, dialect, ask=cheap.complete)
    return Cascade(
        cheap, Fake("strong", dialect), decider, up_front=decider.up_front, prepare=decider.prepare, tidy=decider.tidy
    )


async def _drain(events: AsyncIterator[Json]) -> None:
    async for _ in events:
        pass


def measure(call: Callable[[], Awaitable[Any]], n: int, rounds: int) -> float:
    """CPU µs of this thread per request: best of ``rounds`` rounds of ``n`` requests."""

    async def run() -> float:
        for _ in range(min(n, 200)):
            await call()  # warm-up
        best = float("inf")
        for _ in range(rounds):
            started = time.thread_time()
            for _ in range(n):
                await call()
            best = min(best, (time.thread_time() - started) / n)
        return best * 1e6

    return asyncio.run(run())


def rows(n: int, rounds: int, workdir: Path) -> list[Json]:
    """Each measured configuration: µs per request, and the ratio to the plain call in its mode."""
    plain = Fake("plain")
    base = {
        "whole": measure(lambda: plain.complete(ASK), n, rounds),
        "stream": measure(lambda: _drain(plain.stream(ASK)), n, rounds),
    }
    out: list[Json] = [{"name": "plain upstream call", "mode": m, "us": base[m], "ratio": 1.0} for m in base]
    cases: list[tuple[str, Cascade, Json]] = [(name, cascade(spec), ASK) for name, spec in signals(workdir).items()]
    cases.append(
        (
            "verifier json_valid, Anthropic dialect",
            cascade(signals(workdir)["verifier json_valid"], "anthropic"),
            ANTHROPIC_ASK,
        )
    )
    cases.append(
        (
            "escalated (verifier, 2 calls)",
            cascade({"type": "verifier", "scorer": {"type": "regex", "pattern": "^x$"}}),
            ASK,
        )
    )
    for name, wrapped, ask in cases:
        for mode in ("whole", "stream"):
            if mode == "stream" and ask is ANTHROPIC_ASK:
                continue  # the fake streams OpenAI chunks only
            call: Callable[[], Awaitable[Any]] = (
                (lambda w=wrapped, a=ask: w.complete(a))
                if mode == "whole"
                else (lambda w=wrapped, a=ask: _drain(w.stream(a)))
            )
            us = measure(call, n, rounds)
            out.append({"name": name, "mode": mode, "us": us, "ratio": us / base[mode], "added_us": us - base[mode]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests per round")
    args = parser.parse_args()
    n, rounds = (500, 3) if args.quick else (3000, 5)
    with tempfile.TemporaryDirectory() as tmp:
        measured = rows(n, rounds, Path(tmp))
    table = Table(title=f"Cascade decision overhead (CPU µs per request, best of {rounds} × {n})")
    for column in ("configuration", "mode", "µs / request", "× plain", "added µs"):
        table.add_column(column, justify="left" if column in ("configuration", "mode") else "right")
    for row in measured:
        added = row.get("added_us")
        table.add_row(
            row["name"], row["mode"], f"{row['us']:.1f}", f"{row['ratio']:.2f}", "" if added is None else f"{added:.1f}"
        )
    Console().print(table)
    payload = {
        "bench": "cascade",
        "python": platform.python_version(),
        "requests_per_round": n,
        "rounds": rounds,
        "rows": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()} for row in measured],
    }
    print("BENCH_JSON " + json.dumps(payload, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
