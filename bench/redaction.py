"""How fast the recorder's body redaction is, on realistic and adversarial text, next to floors.

Each input is built at three sizes (64 KB, 256 KB, 1 MB) and redacted with personal data
(the default ``redacted`` policy); the CPU time of this thread, best of a few runs, gives
MB/s, and the time ratio between 1 MB and 256 KB (4× the size) shows whether time grows
faster than size (1.0 is linear). Floors measured in the same run over the same text:
``str.lower()`` and ``orjson.dumps``. Then the per-record cost on the gateway benchmark's
own request and response bodies, next to an ``orjson`` round trip.

    .venv/bin/python bench/redaction.py            # ~1 minute (Linux: reads the child's CPU from /proc)
    .venv/bin/python bench/redaction.py --quick    # sizes 16 KB, 64 KB, 256 KB

Prints a Rich table for people and one ``BENCH_JSON {...}`` line for machines.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import os
import platform
import random
import time
from collections.abc import Callable
from typing import Any

import orjson
from _loadgen import request_bodies
from _mock_upstream import completion_body
from rich.console import Console
from rich.table import Table

from modelswap.gateway.recorder import Recorder
from modelswap.gateway.redact import keep, scrub
from modelswap.gateway.redact.worker import RedactionWorker
from modelswap.store import RequestRow

TARGET_MB_S = 50.0
KB = 1024

_WORDS = [
    "the",
    "order",
    "shipped",
    "yesterday",
    "and",
    "should",
    "arrive",
    "on",
    "Thursday",
    "you",
    "can",
    "follow",
    "it",
    "with",
    "the",
    "tracking",
    "link",
    "in",
    "your",
    "confirmation",
    "email",
    "please",
    "let",
    "me",
    "know",
    "if",
    "the",
    "size",
    "does",
    "not",
    "fit",
    "we",
    "will",
    "exchange",
    "it",
    "for",
    "free",
    "our",
    "support",
    "team",
    "answers",
    "within",
    "one",
    "business",
    "day",
    "thanks",
    "for",
    "your",
    "patience",
]


def _prose(n: int, rng: random.Random) -> str:
    """Support-chat English with the numbers such text has: order numbers, dates, prices, a few contacts."""
    parts: list[str] = []
    size = 0
    while size < n:
        roll = rng.random()
        if roll < 0.03:
            word = f"#{rng.randint(1000, 99999)}"
        elif roll < 0.04:
            word = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        elif roll < 0.05:
            word = f"${rng.randint(5, 500)}.{rng.randint(0, 99):02d}"
        elif roll < 0.052:
            word = f"jane.doe{rng.randint(1, 99)}@example.com"
        elif roll < 0.053:
            word = f"+1 (555) {rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
        else:
            word = rng.choice(_WORDS)
        parts.append(word + ("." if rng.random() < 0.08 else ""))
        size += len(parts[-1]) + 1
    return " ".join(parts)[:n]


def _code(n: int, rng: random.Random) -> str:
    lines = [
        "def handler(event: dict[str, Any]) -> Response:",
        '    """Validate the payload and forward it to the billing service."""',
        "    token = os.environ['BILLING_TOKEN']",
        "    for item in event.get('items', []):",
        "        if item['qty'] > 100 or item['price'] < 0:",
        "            raise ValueError(f\"bad item {item['sku']}: {item}\")",
        "    return client.post('/v2/invoices', json=event, timeout=3.5)",
    ]
    out = "\n".join(lines[i % len(lines)] for i in range(n // 40 + 1))
    return out[:n]


def _tool_arguments(n: int, rng: random.Random) -> str:
    """JSON-in-a-string, as tool calls carry their arguments."""
    record = {"customer_id": "cus_8f14e45f", "query": "status of order", "limit": 20, "fields": ["eta", "carrier"]}
    one = orjson.dumps(record).decode()
    return ("[" + ",".join([one] * (n // (len(one) + 1) + 1)))[: n - 1] + "]"


INPUTS: dict[str, tuple[str, Callable[[int, random.Random], str]]] = {
    "chat prose": ("realistic", _prose),
    "source code": ("realistic", _code),
    "tool-call JSON": ("realistic", _tool_arguments),
    "one character (a)": ("adversarial", lambda n, r: "a" * n),
    "a… then @": ("adversarial", lambda n, r: "a" * (n - 1) + "@"),
    "hex": ("adversarial", lambda n, r: r.randbytes(n // 2 + 1).hex()[:n]),
    "base64": ("adversarial", lambda n, r: base64.b64encode(r.randbytes(n)).decode()[:n]),
    "@ only": ("adversarial", lambda n, r: "@" * n),
    "a@ repeated": ("adversarial", lambda n, r: ("a@" * (n // 2 + 1))[:n]),
    "@ and dots": ("adversarial", lambda n, r: ("a@b.c@d." * (n // 8 + 1))[:n]),
    "sk- repeated": ("adversarial", lambda n, r: ("sk-" * (n // 3 + 1))[:n]),
    "token, api … no value": ("adversarial", lambda n, r: ("token api bearer " * (n // 17 + 1))[:n]),
    "digits": ("adversarial", lambda n, r: "1" * n),
    "digit groups": ("adversarial", lambda n, r: ("1234 " * (n // 5 + 1))[:n]),
    "dense e-mails": ("dense matches", lambda n, r: ("ab@cd.ef " * (n // 9 + 1))[:n]),
    "dense password=": ("dense matches", lambda n, r: ("password=x " * (n // 11 + 1))[:n]),
}


def cpu_seconds(work: Callable[[], object], repeat: int) -> float:
    """Best-of-``repeat`` CPU time of this thread (other processes' load counts less than with wall time)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.thread_time()
        work()
        best = min(best, time.thread_time() - start)
    return max(best, 1e-9)


def measure_inputs(sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    rows = []
    for name, (kind, make) in INPUTS.items():
        seconds: dict[int, float] = {}
        floors: dict[str, float] = {}
        for size in sizes:
            text = make(size, random.Random(size))
            seconds[size] = cpu_seconds(lambda text=text: scrub(text, pii=True), repeat)  # type: ignore[misc]
            if size == sizes[-1]:
                floors["lower"] = cpu_seconds(text.lower, repeat)
                floors["orjson"] = cpu_seconds(lambda text=text: orjson.dumps(text), repeat)  # type: ignore[misc]
        big, mid = sizes[-1], sizes[-2]
        rows.append(
            {
                "input": name,
                "kind": kind,
                "mb_s": {str(s): s / seconds[s] / 1e6 for s in sizes},
                "growth": (seconds[big] / seconds[mid]) / (big / mid),
                "floor_lower_mb_s": big / floors["lower"] / 1e6,
                "floor_orjson_mb_s": big / floors["orjson"] / 1e6,
            }
        )
    return rows


def measure_records(repeat: int) -> dict[str, float]:
    """µs of CPU per record (request + response body) as the recorder redacts them, and floors.

    ``redacted_us``: in the recorder's own thread (``keep``, with its GIL pacing). ``worker_*``: as the
    gateway does it, in batches of ``WORKER_BATCH`` through the child process: the CPU left in the
    recorder's thread (what competes with the event loop for the GIL) and the child's.
    """
    request = orjson.loads(request_bodies("gpt-4o", False, 1)[0])
    response = orjson.loads(completion_body("gpt-4o"))
    n = 20_000

    def loop(work: Callable[[], object]) -> float:
        return cpu_seconds(lambda: [work() for _ in range(n)], repeat) / n * 1e6

    return {
        "redacted_us": loop(lambda: (keep(request, "redacted"), keep(response, "redacted"))),
        "full_us": loop(lambda: (keep(request, "full"), keep(response, "full"))),
        "orjson_roundtrip_us": loop(
            lambda: (orjson.loads(orjson.dumps(request)), orjson.loads(orjson.dumps(response)))
        ),
        **measure_worker([request, response], n),
    }


WORKER_BATCH = 150  # about one flush (0.25 s) of the gateway benchmark at concurrency 1


def measure_worker(bodies: list[Any], n: int) -> dict[str, float]:
    worker = RedactionWorker()
    batch = [bodies] * WORKER_BATCH
    try:
        worker.keep_all(batch, pii=True)  # starts the child
        assert worker.pid is not None
        child_before = _process_cpu_s(worker.pid)
        start = time.thread_time()
        for _ in range(n // WORKER_BATCH):
            worker.keep_all(batch, pii=True)
        records = n // WORKER_BATCH * WORKER_BATCH
        return {
            "worker_thread_us": (time.thread_time() - start) / records * 1e6,
            "worker_child_us": (_process_cpu_s(worker.pid) - child_before) / records * 1e6,
        }
    finally:
        worker.close()


class _NullStore:
    def insert_records(self, requests: object, pairs: object) -> None:
        pass


LAG_RATE = 600  # records a second: the gateway benchmark's rate at concurrency 1
LAG_TICK_S = 0.0005


def measure_loop_lag(duration_s: float) -> dict[str, dict[str, float]]:
    """How late an event loop's 0.5 ms timers fire while a recorder redacts ``LAG_RATE`` records a second.

    What the serving path feels of redaction: the loop adds the records (as the gateway does) and
    measures its own timer lateness; the recorder flushes every 0.25 s, redacting in its writer thread
    or through the worker process. The same loop without a recorder is the floor.
    """
    request = orjson.loads(request_bodies("gpt-4o", False, 1)[0])
    response = orjson.loads(completion_body("gpt-4o"))

    def row() -> RequestRow:
        return RequestRow(
            ts=dt.datetime.now(dt.UTC), workload="w", arm="old", endpoint="old", model="gpt-4o", status=200,
            latency_ms=1.0, request_body=request, response_body=response,
        )  # fmt: skip

    async def run(recorder: Recorder | None) -> list[float]:
        lags: list[float] = []
        loop = asyncio.get_running_loop()
        start = next_row = loop.time()
        while (now := loop.time()) - start < duration_s:
            while recorder is not None and next_row <= now:
                recorder.add_request(row())
                next_row += 1 / LAG_RATE
            before = time.perf_counter()
            await asyncio.sleep(LAG_TICK_S)
            lags.append((time.perf_counter() - before - LAG_TICK_S) * 1000)
        return sorted(lags)

    results = {}
    for name, worker in (("no recorder", None), ("writer thread", False), ("worker process", True)):
        recorder = None if worker is None else Recorder(_NullStore(), "redacted", redact_in_worker=worker)
        if recorder is not None:
            recorder.start()
            time.sleep(0.5)  # the worker's start-up is not what is measured
        try:
            lags = asyncio.run(run(recorder))
        finally:
            if recorder is not None:
                recorder.close()
        results[name] = {"p50_ms": lags[len(lags) // 2], "p99_ms": lags[int(len(lags) * 0.99)], "max_ms": lags[-1]}
    return results


def _process_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def render(console: Console, rows: list[dict[str, Any]], sizes: list[int], records: dict[str, float]) -> None:
    table = Table(title=f"redaction (redacted policy), MB/s of CPU; target ≥ {TARGET_MB_S:g} MB/s, growth ≈ 1.0")
    table.add_column("input")
    table.add_column("kind")
    for size in sizes:
        table.add_column(f"{size // KB} KB", justify="right")
    table.add_column("growth ×4 size", justify="right")
    table.add_column("floor str.lower", justify="right")
    table.add_column("floor orjson", justify="right")
    for row in rows:
        worst = min(row["mb_s"].values())
        style = "" if worst >= TARGET_MB_S or row["kind"] == "dense matches" else "red"
        table.add_row(
            row["input"],
            row["kind"],
            *(
                f"[{style}]{row['mb_s'][str(s)]:,.0f}[/{style}]" if style else f"{row['mb_s'][str(s)]:,.0f}"
                for s in sizes
            ),
            f"{row['growth']:.2f}",
            f"{row['floor_lower_mb_s']:,.0f}",
            f"{row['floor_orjson_mb_s']:,.0f}",
        )
    console.print(table)
    console.print(
        f"per record (the gateway benchmark's request + response bodies): redacted {records['redacted_us']:.1f} µs, "
        f"full {records['full_us']:.1f} µs, orjson dumps+loads of both {records['orjson_roundtrip_us']:.1f} µs; "
        f"through the worker process (as the gateway does): {records['worker_thread_us']:.1f} µs in the recorder's "
        f"thread + {records['worker_child_us']:.1f} µs in the child",
        highlight=False,
    )


def render_lag(console: Console, lag: dict[str, dict[str, float]]) -> None:
    table = Table(title=f"event loop timer lateness while {LAG_RATE} records/s are redacted (ms)")
    for column in ("recorder", "p50", "p99", "max"):
        table.add_column(column, justify="left" if column == "recorder" else "right")
    for name, figures in lag.items():
        table.add_row(name, *(f"{figures[k]:.3f}" for k in ("p50_ms", "p99_ms", "max_ms")))
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args()
    sizes = [16 * KB, 64 * KB, 256 * KB] if args.quick else [64 * KB, 256 * KB, 1024 * KB]
    repeat = 3 if args.quick else 5
    load_before = os.getloadavg()[0]
    rows = measure_inputs(sizes, repeat)
    records = measure_records(repeat)
    lag = measure_loop_lag(2.0 if args.quick else 5.0)
    load = (load_before, os.getloadavg()[0])
    console = Console(width=160)
    render(console, rows, sizes, records)
    render_lag(console, lag)
    console.print(f"load average (1 min) {load[0]:.2f} at the start, {load[1]:.2f} at the end", highlight=False)
    checked = [r for r in rows if r["kind"] != "dense matches"]
    result = {
        "bench": "redaction",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "load_average": load,
        "sizes": sizes,
        "rows": rows,
        "records": records,
        "loop_lag": lag,
        "checks": {
            "min_mb_s": min(min(r["mb_s"].values()) for r in checked),
            "max_growth": max(r["growth"] for r in rows),
            "target_mb_s": TARGET_MB_S,
        },
    }
    print("BENCH_JSON " + json.dumps(result, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
