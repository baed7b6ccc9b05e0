"""Peak throughput of one proxy worker, driven by ``wrk`` (C, epoll) instead of the Python load generator.

The Python load generator spends 200-400 µs of CPU per request, about as much as the
proxies it measures, so on a 2-core machine it caps every proxy's req/s well below what the
proxy could serve. ``wrk`` spends ~10-20 µs per request, leaving the proxy nearly a whole core:
the req/s it measures is the proxy's own capacity with one worker, which is what "throughput
with one worker each" compares. Latency under this saturating load is reported but not judged.

Needs ``wrk`` on the PATH (Debian: ``apt-get install wrk``); without it the phase is skipped
and the benchmark judges throughput on the Python load generator's numbers, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from _cpu import MachineTimes, cpu_seconds, tree

SCRIPT = Path(__file__).resolve().parent / "_wrk.lua"
CONCURRENCY = 64
LITELLM_CONCURRENCY = 32
"""LiteLLM is CPU-bound at tens of ms per request and does best with many requests in flight
(c=64 in the grid beats c=8), but at 64 its latency reaches seconds and a window that starts
cold would undercount it; 32 in 15 s windows keeps that under a few percent. The throughput
check still divides by LiteLLM's best req/s anywhere in the run, grid included."""


def wrk_problem() -> str | None:
    """Why the capacity phase cannot run, or ``None`` when ``wrk`` is there."""
    return None if shutil.which("wrk") else "wrk not found (Debian: apt-get install wrk)"


def _wrk(url: str, stream: bool, model: str, api_key: str, concurrency: int, duration_s: float) -> dict[str, Any]:
    env = {**os.environ, "WRK_STREAM": "1" if stream else "0", "WRK_MODEL": model, "WRK_KEY": api_key}
    argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(duration_s))}s", "--timeout", "60s"]
    done = subprocess.run([*argv, "-s", str(SCRIPT), url], env=env, capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("WRK_JSON ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk exited {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("WRK_JSON "))
    return result


def measure(
    url: str,
    stream: bool,
    *,
    model: str,
    api_key: str,
    pid: int | None,
    concurrency: int,
    duration_s: float,
    warmup_s: float,
) -> dict[str, Any]:
    """One saturating run against ``url``: req/s, p50/p99, errors and the proxy's CPU per request."""
    _wrk(url, stream, model, api_key, concurrency, warmup_s)
    pids = tree(pid) if pid is not None else []
    cpu0, machine0 = cpu_seconds(pids), MachineTimes.now()
    result = _wrk(url, stream, model, api_key, concurrency, duration_s)
    cpu1, machine = cpu_seconds(pids), MachineTimes.now().since(machine0)
    return {
        "requests": result["requests"],
        "seconds": result["duration_us"] / 1e6,
        "errors": result["errors"] + result["status_errors"],
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "cpu_s": cpu1 - cpu0 if pid is not None else None,
        "machine_busy": machine["busy"],
    }


def pool(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """Slices of one target as one run: req/s and CPU over all of them; p50/p99 the slices' worst."""
    requests = sum(s["requests"] for s in slices)
    seconds = sum(s["seconds"] for s in slices)
    cpu = [s["cpu_s"] for s in slices]
    return {
        "requests": requests,
        "errors": sum(s["errors"] for s in slices),
        "error_sample": None,
        "rps": requests / seconds if seconds else 0.0,
        "p50_ms": max(s["p50_ms"] for s in slices),
        "p99_ms": max(s["p99_ms"] for s in slices),
        "cpu_us": sum(c or 0.0 for c in cpu) / requests * 1e6 if requests and None not in cpu else None,
        "machine_busy": max(s["machine_busy"] for s in slices),
    }
