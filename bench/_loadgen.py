"""Closed-loop load generator for the gateway benchmark, run as its own process.

It reads one JSON command per line on stdin and answers one JSON result per line on
stdout, so the orchestrator starts it once and drives every run through it:

    {"url": ..., "model": "gpt-4o", "stream": false, "concurrency": 16, "duration_s": 5,
     "warmup_s": 1, "cpu_pids": {"proxy": 1234}, "raw": false}

``concurrency`` workers each send a request, read the whole answer (every SSE chunk for a
stream) and send the next, on one pooled aiohttp session. After the warm-up, the CPU time
of each process tree in ``cpu_pids`` is read before and after the measured window, which
ends when the last request still in flight at the deadline completes.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
import orjson
import uvloop
from _cpu import MachineTimes, cpu_seconds, tree

SYSTEM = (
    "You are the support assistant of an online shop. Answer in two sentences, "
    "politely, and never invent order numbers."
)
QUESTION = "Hi, I ordered a pair of running shoes last week (order #4821). When will it arrive?"


def request_bodies(model: str, stream: bool, count: int = 256, api: str = "chat") -> list[bytes]:
    """Bodies like a real app's, each from a different end user (the sticky routing key);
    ``api="responses"``: the same request for ``POST /v1/responses`` (not stored)."""
    bodies = []
    for i in range(count):
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}],
            "max_tokens": 200,
            "temperature": 0.2,
            "user": f"bench-user-{i:04d}",
        }
        if api == "responses":
            body = {
                "model": model,
                "instructions": SYSTEM,
                "input": QUESTION,
                "max_output_tokens": 200,
                "temperature": 0.2,
                "user": body["user"],
                "store": False,
            }
            if stream:
                body["stream"] = True
        elif stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        bodies.append(orjson.dumps(body))
    return bodies


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in [0, 100])."""
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


class Run:
    """One closed-loop run against one URL."""

    def __init__(self, command: dict[str, Any]) -> None:
        self.url: str = command["url"]
        self.stream: bool = bool(command.get("stream"))
        self.concurrency: int = int(command["concurrency"])
        api = command.get("api", "chat")
        self.bodies = request_bodies(command.get("model", "gpt-4o"), self.stream, api=api)
        self.end = b"event: response.completed" if api == "responses" else b"[DONE]"
        self.headers = {"Authorization": f"Bearer {command.get('api_key', 'x')}", "Content-Type": "application/json"}
        self.latencies: list[float] = []
        self.ttfb: list[float] = []
        self.errors = 0
        self.error_sample: str | None = None
        self._next = 0

    async def _one(self, session: aiohttp.ClientSession, keep: bool) -> None:
        body = self.bodies[self._next % len(self.bodies)]
        self._next += 1
        start = time.perf_counter()
        first = None
        problem = None
        try:
            async with session.post(self.url, data=body, headers=self.headers) as response:
                if self.stream:
                    tail = b""
                    ended = False
                    async for chunk in response.content.iter_any():
                        if first is None:
                            first = time.perf_counter()
                        ended = ended or self.end in tail + chunk
                        tail = (tail + chunk)[-64:]
                    if not ended:
                        problem = f"stream without {self.end.decode()} (status {response.status})"
                else:
                    await response.read()
                if response.status != 200:
                    problem = f"HTTP {response.status}"
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        end = time.perf_counter()
        if not keep:
            return
        if problem is not None:
            self.errors += 1
            self.error_sample = self.error_sample or problem
        self.latencies.append(end - start)
        if first is not None:
            self.ttfb.append(first - start)

    async def _loop(self, session: aiohttp.ClientSession, deadline: float, keep: bool) -> None:
        while time.perf_counter() < deadline:
            await self._one(session, keep)

    async def _phase(self, session: aiohttp.ClientSession, seconds: float, keep: bool) -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(self._loop(session, deadline, keep) for _ in range(self.concurrency)))

    async def execute(self, command: dict[str, Any]) -> dict[str, Any]:
        connector = aiohttp.TCPConnector(limit=self.concurrency, keepalive_timeout=60)
        timeout = aiohttp.ClientTimeout(total=float(command.get("timeout_s", 60)))
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar()
        ) as session:
            await self._phase(session, float(command.get("warmup_s", 1.0)), keep=False)
            pids = {name: tree(int(pid)) for name, pid in (command.get("cpu_pids") or {}).items()}
            cpu_start = {name: cpu_seconds(p) for name, p in pids.items()}
            own_start = _own_cpu()
            machine_start = MachineTimes.now()
            started = time.perf_counter()
            await self._phase(session, float(command["duration_s"]), keep=True)
            elapsed = time.perf_counter() - started
            machine = MachineTimes.now().since(machine_start)
            own = _own_cpu() - own_start
            cpu = {name: cpu_seconds(p) - cpu_start[name] for name, p in pids.items()}
        return self._result(elapsed, cpu, own, machine, bool(command.get("raw")))

    def _result(
        self, elapsed: float, cpu: dict[str, float], own: float, machine: dict[str, float], raw: bool
    ) -> dict[str, Any]:
        measured = Measured(
            latencies_ms=[v * 1000 for v in self.latencies],
            ttfb_ms=[v * 1000 for v in self.ttfb],
            errors=self.errors,
            error_sample=self.error_sample,
            elapsed_s=elapsed,
            cpu_s=cpu,
            loadgen_cpu_s=own,
            machine_busy=machine["busy"],
            machine_steal=machine["steal"],
        )
        result = summarize(measured)
        if raw:
            result["raw"] = asdict(measured)
        return result


@dataclass
class Measured:
    """What one run measured, before it is summarised; a run done in slices pools these."""

    latencies_ms: list[float]
    ttfb_ms: list[float]
    errors: int
    error_sample: str | None
    elapsed_s: float
    cpu_s: dict[str, float]
    loadgen_cpu_s: float
    machine_busy: float
    machine_steal: float


def summarize(m: Measured) -> dict[str, Any]:
    """Requests/s, latency percentiles and CPU per request of one run (or of pooled slices)."""
    ordered = sorted(m.latencies_ms)
    n = len(ordered)
    return {
        "requests": n,
        "errors": m.errors,
        "error_sample": m.error_sample,
        "elapsed_s": round(m.elapsed_s, 4),
        "rps": n / m.elapsed_s if m.elapsed_s > 0 else 0.0,
        "p50_ms": percentile(ordered, 50),
        "p90_ms": percentile(ordered, 90),
        "p99_ms": percentile(ordered, 99),
        "p999_ms": percentile(ordered, 99.9),
        "max_ms": ordered[-1] if ordered else float("nan"),
        "ttfb_p50_ms": percentile(sorted(m.ttfb_ms), 50) if m.ttfb_ms else None,
        "cpu_s": m.cpu_s,
        "cpu_us_per_request": {name: (s * 1e6 / n if n else None) for name, s in m.cpu_s.items()},
        "loadgen_cpu_us_per_request": m.loadgen_cpu_s * 1e6 / n if n else None,
        "machine_busy": m.machine_busy,
        "machine_steal": m.machine_steal,
    }


def merge(raws: list[Measured]) -> Measured:
    """Pool the slices of one run: latencies together, times and CPU added up."""
    elapsed = sum(r.elapsed_s for r in raws)
    names = {name for r in raws for name in r.cpu_s}

    def weighted(field: str) -> float:
        return sum(getattr(r, field) * r.elapsed_s for r in raws) / elapsed if elapsed else 0.0

    return Measured(
        latencies_ms=[v for r in raws for v in r.latencies_ms],
        ttfb_ms=[v for r in raws for v in r.ttfb_ms],
        errors=sum(r.errors for r in raws),
        error_sample=next((r.error_sample for r in raws if r.error_sample), None),
        elapsed_s=elapsed,
        cpu_s={name: sum(r.cpu_s.get(name, 0.0) for r in raws) for name in names},
        loadgen_cpu_s=sum(r.loadgen_cpu_s for r in raws),
        machine_busy=weighted("machine_busy"),
        machine_steal=weighted("machine_steal"),
    )


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command = orjson.loads(line)
        try:
            result = await Run(command).execute(command)
        except Exception as exc:  # report, never die: the orchestrator decides what a failure means
            result = {"failed": f"{type(exc).__name__}: {exc}"}
        sys.stdout.buffer.write(orjson.dumps(result) + b"\n")
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    uvloop.run(serve())
