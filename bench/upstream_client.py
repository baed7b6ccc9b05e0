"""What each HTTP client costs a process that calls a model: modelswap's own h1 client, aiohttp, httpx, httpcore.

Also ``HttpPool`` (what the upstreams call: limits, timeouts, error mapping) over h1 and over aiohttp.

One mock OpenAI upstream (its own process, answering at once: a JSON completion or a 9-event SSE
stream); this process drives every client against it in turn, on uvloop, closed-loop at
concurrency 1 and 16, in interleaved rounds (the client order rotates each round), so the clients
are compared on the same machine minutes apart. Per client and shape it reports the CPU this
process spent per request (user + system, µs; the load-driving loop is the same for every
client, so differences are the client's), p50/p99 latency and req/s, and each figure as a ratio
to the h1 client's in the same run.

    .venv/bin/python bench/upstream_client.py            # ~2 minutes
    .venv/bin/python bench/upstream_client.py --quick    # ~30 s, same tables

Prints a Rich table for people and one ``BENCH_JSON {...}`` line for machines.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.metadata
import json
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import httpcore
import httpx
import uvloop
from _loadgen import percentile, request_bodies
from _servers import base_url, mock_server
from rich.console import Console
from rich.table import Table

from modelswap.providers.h1 import H1Client
from modelswap.providers.http import ClientKind, HttpPool

CHAT = "/v1/chat/completions"
HEADERS = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}
CONCURRENCY = (1, 16)
SHAPES = ("json", "stream")
TIMEOUT_S = 30.0


class Client(Protocol):
    """One way to call the upstream: the whole JSON body, or every byte of a stream."""

    async def json(self, url: str, body: bytes) -> int: ...
    async def stream(self, url: str, body: bytes) -> int: ...
    async def aclose(self) -> None: ...


class H1(Client):
    """modelswap's own client (``providers/h1``), as the gateway's serving path uses it."""

    def __init__(self) -> None:
        self._c = H1Client(limit=512)

    async def json(self, url: str, body: bytes) -> int:
        resp = await self._c.post(url, body, HEADERS, timeout_s=TIMEOUT_S, streaming=False)
        try:
            return len(await resp.read())
        finally:
            resp.release()

    async def stream(self, url: str, body: bytes) -> int:
        resp = await self._c.post(url, body, HEADERS, timeout_s=TIMEOUT_S, streaming=True)
        try:
            return sum([len(chunk) async for chunk in resp.iter_any()])
        finally:
            resp.release()

    async def aclose(self) -> None:
        await self._c.aclose()


class Aiohttp(Client):
    def __init__(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
        self._s = aiohttp.ClientSession(
            connector=connector, auto_decompress=False, timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)
        )

    async def json(self, url: str, body: bytes) -> int:
        async with self._s.post(url, data=body, headers=HEADERS) as resp:
            return len(await resp.read())

    async def stream(self, url: str, body: bytes) -> int:
        async with self._s.post(url, data=body, headers=HEADERS) as resp:
            return sum([len(chunk) async for chunk in resp.content.iter_any()])

    async def aclose(self) -> None:
        await self._s.close()


class Httpx(Client):
    def __init__(self) -> None:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=512, keepalive_expiry=60)
        self._c = httpx.AsyncClient(limits=limits, timeout=TIMEOUT_S)

    async def json(self, url: str, body: bytes) -> int:
        resp = await self._c.post(url, content=body, headers=HEADERS)
        return len(resp.content)

    async def stream(self, url: str, body: bytes) -> int:
        async with self._c.stream("POST", url, content=body, headers=HEADERS) as resp:
            return sum([len(chunk) async for chunk in resp.aiter_raw()])

    async def aclose(self) -> None:
        await self._c.aclose()


class Httpcore(Client):
    def __init__(self) -> None:
        self._p = httpcore.AsyncConnectionPool(max_connections=512, keepalive_expiry=60)
        self._headers = [(k.encode(), v.encode()) for k, v in HEADERS.items()]

    async def json(self, url: str, body: bytes) -> int:
        resp = await self._p.request("POST", url, headers=self._headers, content=body)
        return len(resp.content)

    async def stream(self, url: str, body: bytes) -> int:
        async with self._p.stream("POST", url, headers=self._headers, content=body) as resp:
            return sum([len(chunk) async for chunk in resp.aiter_stream()])

    async def aclose(self) -> None:
        await self._p.aclose()


class Pooled(Client):
    """``HttpPool`` as the upstreams use it (limits, timeouts, error mapping), over one client kind."""

    def __init__(self, kind: ClientKind) -> None:
        self._pool = HttpPool(limit=512, client=kind)
        self._bodies: dict[bytes, Any] = {}

    def _body(self, raw: bytes) -> Any:
        """The request as the upstreams hand it to the pool (a JSON object; the pool encodes it)."""
        body = self._bodies.get(raw)
        if body is None:
            body = self._bodies[raw] = json.loads(raw)
        return body

    async def json(self, url: str, body: bytes) -> int:
        exchange = self._pool.post(url, self._body(body), HEADERS, timeout_s=TIMEOUT_S, streaming=False, provider="b")
        async with exchange as resp:
            return len(await resp.read())

    async def stream(self, url: str, body: bytes) -> int:
        exchange = self._pool.post(url, self._body(body), HEADERS, timeout_s=TIMEOUT_S, streaming=True, provider="b")
        async with exchange as resp:
            return sum([len(chunk) async for chunk in resp.iter_any()])

    async def aclose(self) -> None:
        await self._pool.aclose()


CLIENTS: dict[str, Callable[[], Client]] = {
    "h1": H1,
    "aiohttp": Aiohttp,
    "httpx": Httpx,
    "httpcore": Httpcore,
    "pool h1": lambda: Pooled("h1"),
    "pool aiohttp": lambda: Pooled("aiohttp"),
}
"""The raw clients, and ``HttpPool`` over each of the two modelswap uses (serving path: h1; the rest: aiohttp)."""


@dataclass
class Tally:
    """One (client, shape, concurrency) cell, pooled over rounds."""

    requests: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        ordered = sorted(self.latencies_ms)
        return {
            "requests": self.requests,
            "cpu_us": self.cpu_s / self.requests * 1e6 if self.requests else float("nan"),
            "rps": self.requests / self.wall_s if self.wall_s else float("nan"),
            "p50_ms": percentile(ordered, 50),
            "p99_ms": percentile(ordered, 99),
        }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def drive(
    call: Callable[[str, bytes], Awaitable[int]],
    url: str,
    bodies: list[bytes],
    concurrency: int,
    duration_s: float,
    warmup_s: float,
    tally: Tally,
) -> None:
    """``concurrency`` workers call back to back; requests that start after the warm-up are counted."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from, deadline = start + warmup_s, start + warmup_s + duration_s
    counted: list[float] = []
    marks: dict[str, float] = {}

    async def worker(n: int) -> None:
        i = n
        while True:
            now = loop.time()
            if now >= deadline:
                return
            if now >= measure_from and "cpu" not in marks:
                marks["cpu"], marks["wall"] = _cpu(), time.perf_counter()
            t0 = time.perf_counter()  # the loop's clock ticks in whole milliseconds on uvloop
            size = await call(url, bodies[i % len(bodies)])
            assert size > 0, "an empty answer"
            if now >= measure_from:
                counted.append((time.perf_counter() - t0) * 1000)
            i += concurrency

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    if "cpu" in marks:
        tally.cpu_s += _cpu() - marks["cpu"]
        tally.wall_s += time.perf_counter() - marks["wall"]
        tally.requests += len(counted)
        tally.latencies_ms += counted


async def measure(upstream: str, rounds: int, duration_s: float, log: Console) -> dict[str, dict[str, Tally]]:
    """Every client, shape and concurrency, ``rounds`` times with the client order rotated."""
    url = upstream + CHAT
    bodies = {shape: request_bodies("gpt-4o", shape == "stream") for shape in SHAPES}
    cells: dict[str, dict[str, Tally]] = {name: {} for name in CLIENTS}
    names = list(CLIENTS)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        log.print(f"round {r + 1}/{rounds}: {', '.join(order)}", highlight=False)
        for name in order:
            client = CLIENTS[name]()
            try:
                for shape in SHAPES:
                    call = client.json if shape == "json" else client.stream
                    for c in CONCURRENCY:
                        tally = cells[name].setdefault(f"{shape} c={c}", Tally())
                        await drive(call, url, bodies[shape], c, duration_s, min(0.5, duration_s / 2), tally)
            finally:
                await client.aclose()
    return cells


def report(cells: dict[str, dict[str, Tally]], console: Console) -> dict[str, Any]:
    figures = {name: {cell: t.figures() for cell, t in by_cell.items()} for name, by_cell in cells.items()}
    base = figures["h1"]
    table = Table(title="upstream clients: this process's CPU per request and latency (ratio: ÷ h1, same run)")
    for col in ("client", "cell", "CPU µs/req", "÷ h1", "p50 ms", "p99 ms", "÷ h1 p99", "req/s"):
        table.add_column(col, justify="left" if col in ("client", "cell") else "right")
    ratios: dict[str, dict[str, dict[str, float]]] = {}
    for name, by_cell in figures.items():
        for cell, f in by_cell.items():
            cpu_ratio = f["cpu_us"] / base[cell]["cpu_us"]
            p99_ratio = f["p99_ms"] / base[cell]["p99_ms"]
            ratios.setdefault(name, {})[cell] = {"cpu": round(cpu_ratio, 3), "p99": round(p99_ratio, 3)}
            table.add_row(
                name, cell, f"{f['cpu_us']:.0f}", f"{cpu_ratio:.2f}", f"{f['p50_ms']:.2f}", f"{f['p99_ms']:.2f}",
                f"{p99_ratio:.2f}", f"{f['rps']:.0f}",
            )  # fmt: skip
        table.add_section()
    console.print(table)
    return {"figures": figures, "ratios_vs_h1": ratios}


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for package in ("aiohttp", "httpx", "httpcore", "uvloop", "httptools"):
        try:
            out[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            out[package] = "absent"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round of 1 s per cell (~30 s)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3, quick 1)")
    parser.add_argument("--duration", type=float, help="measured seconds per cell and round (default 2, quick 1)")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    duration_s = args.duration or (1.0 if args.quick else 2.0)
    console = Console(width=max(Console().width, 120))
    progress = Console(stderr=True)
    workdir = Path(tempfile.mkdtemp(prefix="modelswap-bench-client-"))
    mock = mock_server("mock", workdir).start()
    started = time.monotonic()
    try:
        mock.wait_ready(60)
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            cells = runner.run(measure(base_url(mock), rounds, duration_s, progress))
    finally:
        mock.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "bench": "upstream_client",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rounds": rounds,
        "duration_s": duration_s,
        "versions": versions(),
        **report(cells, console),
        "wall_s": round(time.monotonic() - started, 1),
    }
    print("BENCH_JSON " + json.dumps(result, separators=(",", ":"), default=str), flush=True)


if __name__ == "__main__":
    main()
