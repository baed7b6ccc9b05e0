"""What modelswap's gateway costs on the serving path, next to a bare proxy and LiteLLM.

All on loopback, in one run, so every ratio compares numbers measured minutes apart on
the same noisy machine:

* a mock OpenAI upstream (its own process; 0 ms or 50 ms; JSON or a 9-event SSE stream);
* targets: the mock directly, a bare aiohttp pass-through proxy (the floor), modelswap
  routing only, with 100 % shadow, with a 10 % split, and LiteLLM's proxy (1 worker);
* a closed-loop aiohttp load generator (its own process) at concurrency 1, 16 and 64,
  measuring req/s, p50/p99 and the proxy's CPU µs per request from /proc;
* shadow isolation: the primary at 50 ms with a shadow 10× slower, or failing half its
  calls, against shadow off; rounds interleaved, p99 pooled.

    .venv/bin/python bench/gateway_overhead.py            # full run, ~6-8 minutes
    .venv/bin/python bench/gateway_overhead.py --quick    # ~2 minutes, same tables

Prints Rich tables for people and one ``BENCH_JSON {...}`` line for machines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _capacity
import _report
from _cpu import MachineTimes
from _loadgen import Measured, merge, percentile, summarize
from _report import MODES
from _servers import (
    LITELLM_KEY,
    LITELLM_VENV,
    PYTHON,
    Server,
    ServerFailed,
    base_url,
    ensure_litellm,
    floor_server,
    litellm_server,
    litellm_version,
    mock_server,
    modelswap_problem,
    modelswap_server,
)
from rich.console import Console

BENCH = Path(__file__).resolve().parent
ISOLATION_CONCURRENCY = 16
CAPACITY_TARGETS = ("floor", "modelswap-route", "modelswap-split10", "litellm")
ISOLATION_DELAY_MS = 50


@dataclass(frozen=True)
class Settings:
    """How long each part runs; ``--quick`` shortens everything but measures the same things."""

    duration_s: float
    """Seconds measured per target and cell, split into ``slices`` interleaved slices."""
    slices: int
    warmup_s: float
    """Seconds of unmeasured load before each slice (connections, caches)."""
    concurrencies: tuple[int, ...]
    isolation_rounds: int
    isolation_duration_s: float

    @classmethod
    def of(cls, args: argparse.Namespace) -> Settings:
        base = cls(1.0, 1, 0.3, (1, 16, 64), 1, 2.0) if args.quick else cls(4.0, 2, 0.5, (1, 16, 64), 10, 2.5)
        return cls(
            args.duration or base.duration_s,
            base.slices,
            base.warmup_s,
            base.concurrencies,
            args.isolation_rounds or base.isolation_rounds,
            base.isolation_duration_s,
        )


@dataclass(frozen=True)
class Target:
    """Something to send chat completions to, and the process whose CPU it costs."""

    name: str
    url: str
    delay_ms: int = 0
    model: str = "gpt-4o"
    api_key: str = "x"
    server: Server | None = None
    api: str = "chat"
    """``chat`` (``/v1/chat/completions`` bodies) or ``responses`` (``/v1/responses``)."""


class LoadGen:
    """The load generator process, driven one JSON line per run."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [PYTHON, str(BENCH / "_loadgen.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=BENCH
        )

    def run(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(command).encode() + b"\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"load generator exited with code {self._process.wait()}")
        result: dict[str, Any] = json.loads(line)
        return result

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()


class Bench:
    """One benchmark run: owns the servers it starts and stops them all at the end."""

    def __init__(self, settings: Settings, workdir: Path, console: Console) -> None:
        self.settings = settings
        self.workdir = workdir
        self.console = console
        self.servers: list[Server] = []
        self.runs: list[dict[str, Any]] = []
        self.unavailable: dict[str, str] = {}
        self.loadgen: LoadGen | None = None
        self.planned = 0
        self.done = 0
        self.waited_s = 0.0

    # ------------------------------------------------------------------ processes

    def start(self, servers: list[Server], timeout_s: float) -> list[Server]:
        """Start servers together, wait for each; those that fail are reported and left out."""
        for server in servers:
            self.servers.append(server.start())
        ready = []
        for server in servers:
            try:
                server.wait_ready(timeout_s)
                ready.append(server)
            except ServerFailed as exc:
                self.unavailable[server.name] = str(exc)
                self.log(f"[red]{server.name} did not start[/red]: {exc}")
                server.stop()
        return ready

    def stop(self, servers: list[Server]) -> None:
        for server in servers:
            server.stop()

    def modelswap(
        self, name: str, stage: list[str], old_url: str, new_url: str, record_bodies: str | None = "none"
    ) -> Server | None:
        try:
            return modelswap_server(name, stage, old_url, new_url, self.workdir, record_bodies)
        except (ServerFailed, OSError, subprocess.TimeoutExpired) as exc:
            self.unavailable[name] = str(exc)
            self.log(f"[red]{name} not set up[/red]: {exc}")
            return None

    def log(self, message: str) -> None:
        self.console.print(message, highlight=False)

    # ------------------------------------------------------------------ measuring

    def slice(self, target: Target, stream: bool, concurrency: int, duration_s: float) -> Measured | str:
        """One closed-loop slice against ``target``: its raw measurements, or why it failed."""
        assert self.loadgen is not None
        command = {
            "url": target.url,
            "model": target.model,
            "api_key": target.api_key,
            "stream": stream,
            "api": target.api,
            "concurrency": concurrency,
            "duration_s": duration_s,
            "warmup_s": self.settings.warmup_s,
            "cpu_pids": {"proxy": target.server.pid} if target.server is not None else {},
            "raw": True,
        }
        result = self.loadgen.run(command)
        if result.get("failed") or not result.get("requests"):
            return str(result.get("failed") or "no request completed")
        return Measured(**result["raw"])

    def record(
        self, target: Target, phase: str, stream: bool, concurrency: int, parts: list[Measured | str]
    ) -> dict[str, Any]:
        """Pool a target's slices into one run record, keep it, and say how it went."""
        record: dict[str, Any] = {
            "phase": phase,
            "target": target.name,
            "stream": stream,
            "concurrency": concurrency,
            "delay_ms": target.delay_ms,
            "slices": len(parts),
        }
        measured = [p for p in parts if isinstance(p, Measured)]
        failures = [p for p in parts if isinstance(p, str)]
        if failures:
            record["failed"] = failures[0]
        if measured:
            record.update(summarize(merge(measured)))
        record["cpu_us"] = (record.get("cpu_us_per_request") or {}).get("proxy")
        self.runs.append(record)
        self.done += 1
        where = f"  [{self.done}/{self.planned}] {phase} {target.delay_ms} ms {MODES[stream]:<6} c={concurrency:<2}"
        if not record.get("requests"):
            self.log(f"{where} {target.name:<17} [red]failed[/red]: {record.get('failed')}")
            return record
        cpu = f"{record['cpu_us']:,.0f} µs/req" if record["cpu_us"] is not None else "—"
        errors = f", [red]{record['errors']} errors ({record['error_sample']})[/red]" if record["errors"] else ""
        self.log(
            f"{where} {target.name:<17} {record['rps']:8,.0f} req/s  p50 {record['p50_ms']:6.2f}  "
            f"p99 {record['p99_ms']:7.2f} ms  CPU {cpu}{errors}"
        )
        return record

    def grid(self, targets: list[Target], phase: str, concurrencies: tuple[int, ...]) -> None:
        """Every target at every concurrency, JSON then streaming.

        Each cell's targets are measured in interleaved slices (A B C … A B C …) with the
        order rotating from cell to cell, so a burst of noise on the shared machine lands
        on several targets rather than on one, and the ratios stay fair.
        """
        slices = self.settings.slices
        cell = 0
        for stream in (False, True):
            for concurrency in concurrencies:
                parts: dict[str, list[Measured | str]] = {t.name: [] for t in targets}
                for _ in range(slices):
                    shift = cell % len(targets)
                    cell += 1
                    for target in targets[shift:] + targets[:shift]:
                        parts[target.name].append(
                            self.slice(target, stream, concurrency, self.settings.duration_s / slices)
                        )
                for target in targets:
                    self.record(target, phase, stream, concurrency, parts[target.name])

    def keep_capacity(self, target: Target, stream: bool, pooled: dict[str, Any]) -> None:
        """Keep a capacity run (``wrk``-driven) among the runs, and say how it went."""
        concurrency = _capacity.LITELLM_CONCURRENCY if target.name == "litellm" else _capacity.CONCURRENCY
        self.runs.append(
            {"phase": "capacity", "target": target.name, "stream": stream, "concurrency": concurrency}
            | {"delay_ms": 0, "slices": self.settings.slices}
            | pooled
        )
        cpu = f"{pooled['cpu_us']:,.0f} µs/req" if pooled["cpu_us"] is not None else "—"
        errors = f", [red]{pooled['errors']} errors[/red]" if pooled["errors"] else ""
        self.log(
            f"  capacity {MODES[stream]:<6} c={concurrency:<2} {target.name:<17} {pooled['rps']:8,.0f} req/s  "
            f"p50 {pooled['p50_ms']:7.2f}  p99 {pooled['p99_ms']:8.2f} ms  CPU {cpu}{errors}"
        )

    def isolation(self, targets: dict[str, Target]) -> dict[str, Any]:
        """The primary's latency with shadow off, slow and failing, in interleaved rounds."""
        parts: dict[str, list[Measured | str]] = {name: [] for name in targets}
        names = list(targets)
        for round_no in range(self.settings.isolation_rounds):
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                parts[name].append(
                    self.slice(targets[name], False, ISOLATION_CONCURRENCY, self.settings.isolation_duration_s)
                )
        summary: dict[str, Any] = {}
        for name, target in targets.items():
            record = self.record(target, "isolation", False, ISOLATION_CONCURRENCY, parts[name])
            record["p99_per_round_ms"] = [
                percentile(sorted(p.latencies_ms), 99) if isinstance(p, Measured) else None for p in parts[name]
            ]
            summary[name] = record
        return _report.isolation_summary(summary)


def _metrics_excerpt(server: Server, words: tuple[str, ...] = ("shadow",)) -> list[str]:
    """Lines of the gateway's /metrics that mention ``words`` (e.g. shadow drops), if it has any."""
    try:
        with urllib.request.urlopen(base_url(server) + "/metrics", timeout=2) as response:
            text = response.read().decode(errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if not line.startswith("#") and any(w in line for w in words)][:30]


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version(), "litellm": litellm_version()}
    for package in ("modelswap", "aiohttp", "uvloop", "uvicorn", "starlette", "orjson"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    return found


def machine() -> dict[str, Any]:
    model = None
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu_model": model, "kernel": platform.release()}


def wait_until_idle(limit_s: float, log: Console, busy_max: float = 0.2, window_s: float = 4.0) -> str | None:
    """On a shared machine, wait (up to ``limit_s``) for a quiet ``window_s``; a note if it never came."""
    deadline = time.monotonic() + limit_s
    while True:
        start = MachineTimes.now()
        time.sleep(window_s)
        busy = MachineTimes.now().since(start)["busy"]
        if busy <= busy_max:
            return None
        if time.monotonic() >= deadline:
            return f"the machine never went quiet before the run (last {window_s:g} s: {busy * 100:.0f} % busy)"
        log.print(f"machine {busy * 100:.0f} % busy; waiting for it to go quiet ...", highlight=False)


CHAT = "/v1/chat/completions"


def contenders(bench: Bench, args: argparse.Namespace, notes: list[str]) -> tuple[bool, bool]:
    """Whether LiteLLM (installed on first use) and ``modelswap serve`` can be measured."""
    litellm_problem = "skipped (--no-litellm)" if args.no_litellm else ensure_litellm(LITELLM_VENV / "install.log")
    gateway_problem = "skipped (--no-modelswap)" if args.no_modelswap else modelswap_problem()
    for name, problem in (("litellm", litellm_problem), ("modelswap", gateway_problem)):
        if problem:
            bench.unavailable[name] = problem
            notes.append(f"{name} not measured: {problem}")
    return not litellm_problem, not gateway_problem


def grid_targets(
    bench: Bench, args: argparse.Namespace, old: str, new: str, litellm: bool, modelswap: bool
) -> tuple[list[Target], list[Target]]:
    """Start the floor, LiteLLM and modelswap in three stages (+ one at 50 ms); the targets at 0 and 50 ms."""
    starting: list[Server] = [floor_server(old, bench.workdir)]
    if args.asgi_floor:
        starting.append(floor_server(old, bench.workdir, server="uvicorn"))
    if litellm:
        starting.append(litellm_server({"gpt-4o": f"{old}/v1", "gpt-4o-d50": f"{old}/d50/v1"}, bench.workdir))
    if modelswap:
        for name, stage, prefix in (
            ("modelswap-route", ["split", "--share", "0"], ""),
            ("modelswap-default", ["split", "--share", "0"], ""),
            ("modelswap-shadow", ["shadow"], ""),
            ("modelswap-split10", ["split", "--share", "10"], ""),
            ("modelswap-route-d50", ["split", "--share", "0"], "/d50"),
        ):
            bodies = None if name == "modelswap-default" else "none"  # the default records bodies, redacted
            server = bench.modelswap(name, stage, f"{old}{prefix}/v1", f"{new}{prefix}/v1", bodies)
            if server is not None:
                starting.append(server)
    ready = {server.name: server for server in bench.start(starting, 180)}

    targets = [Target("direct", old + CHAT)]
    slow = [Target("direct", f"{old}/d50{CHAT}", delay_ms=50)]
    for name in ("floor", "floor-asgi"):
        if name in ready:
            url = base_url(ready[name])
            targets.append(Target(name, url + CHAT, server=ready[name]))
            slow.append(Target(name, f"{url}/d50{CHAT}", 50, server=ready[name]))
    for name in ("modelswap-route", "modelswap-default", "modelswap-shadow", "modelswap-split10"):
        if name in ready:
            targets.append(Target(name, base_url(ready[name]) + CHAT, server=ready[name]))
    if "modelswap-route" in ready:  # the Responses API on the same gateway, translated to the chat upstream
        server = ready["modelswap-route"]
        targets.append(
            Target("modelswap-responses", base_url(server) + "/v1/responses", server=server, api="responses")
        )
    if "modelswap-route-d50" in ready:
        server = ready["modelswap-route-d50"]
        slow.append(Target("modelswap-route", base_url(server) + CHAT, 50, server=server))
    if "litellm" in ready:
        url = base_url(ready["litellm"]) + CHAT
        targets.append(Target("litellm", url, api_key=LITELLM_KEY, server=ready["litellm"]))
        slow.append(Target("litellm", url, 50, "gpt-4o-d50", LITELLM_KEY, ready["litellm"]))
    return targets, slow


def capacity_phase(bench: Bench, targets: list[Target], notes: list[str]) -> None:
    """Each target saturated by ``wrk`` at c=64, JSON then streaming, in interleaved slices."""
    problem = _capacity.wrk_problem()
    if problem:
        bench.unavailable["capacity"] = problem
        notes.append(f"capacity phase skipped: {problem}; throughput is judged on the Python load generator's req/s")
        return
    settings = bench.settings
    bench.log(
        f"[bold]capacity[/bold]: wrk, c={_capacity.CONCURRENCY} (LiteLLM c={_capacity.LITELLM_CONCURRENCY}), "
        "upstream 0 ms, one worker per proxy"
    )
    for stream in (False, True):
        slices: dict[str, list[dict[str, Any]]] = {t.name: [] for t in targets}
        for slice_no in range(settings.slices):
            shift = slice_no % len(targets)
            for target in targets[shift:] + targets[:shift]:
                slow = target.name == "litellm"
                try:
                    slices[target.name].append(
                        _capacity.measure(
                            target.url,
                            stream,
                            model=target.model,
                            api_key=target.api_key,
                            pid=target.server.pid if target.server is not None else None,
                            concurrency=_capacity.LITELLM_CONCURRENCY if slow else _capacity.CONCURRENCY,
                            duration_s=max(settings.duration_s * 3.75, 5.0) if slow else settings.duration_s,
                            warmup_s=max(settings.warmup_s, 2.0) if slow else settings.warmup_s,
                        )
                    )
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    bench.log(f"[red]capacity {target.name} failed[/red]: {exc}")
        for target in targets:
            if slices[target.name]:
                bench.keep_capacity(target, stream, _capacity.pool(slices[target.name]))


def isolation_phase(bench: Bench, old: str, new: str, notes: list[str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Fresh gateways, the primary at 50 ms, the shadow off, 10× slower or failing half its calls."""
    primary = f"{old}/d{ISOLATION_DELAY_MS}/v1"
    scenarios = {
        "shadow-off": (["split", "--share", "0"], f"{new}/d{ISOLATION_DELAY_MS}/v1"),
        "shadow-slow": (["shadow"], f"{new}/d{ISOLATION_DELAY_MS * 10}/v1"),
        "shadow-failing": (["shadow"], f"{new}/f50/v1"),
        "shadow-off-again": (["split", "--share", "0"], f"{new}/d{ISOLATION_DELAY_MS}/v1"),
    }
    made = [bench.modelswap(f"iso-{name}", stage, primary, shadow) for name, (stage, shadow) in scenarios.items()]
    started = {s.name.removeprefix("iso-"): s for s in bench.start([s for s in made if s], 120)}
    try:
        if not set(started) >= {"shadow-off", "shadow-slow", "shadow-failing"}:
            return {}, {}
        settings = bench.settings
        bench.log(
            f"[bold]shadow isolation[/bold]: primary {ISOLATION_DELAY_MS} ms, c={ISOLATION_CONCURRENCY}, "
            f"{settings.isolation_rounds} interleaved rounds of {settings.isolation_duration_s:g} s"
        )
        isolation = bench.isolation(
            {name: Target(name, base_url(s) + CHAT, ISOLATION_DELAY_MS, server=s) for name, s in started.items()}
        )
        metrics = {
            name: _metrics_excerpt(s) for name, s in started.items() if name in ("shadow-slow", "shadow-failing")
        }
        if "shadow-off-again" in isolation:
            notes.append(
                "shadow-off-again is a second gateway with shadow off: its p99 ÷ off is the A/A "
                "noise of this machine, the yardstick for the 5 % target"
            )
        return isolation, metrics
    finally:
        bench.stop(list(started.values()))


RECORDING_TARGETS = ("direct", "floor", "modelswap-route", "modelswap-default")


def recording_phase(bench: Bench, old: str, new: str, output: Console) -> dict[str, Any]:
    """The default configuration (bodies recorded, redacted) beside ``record_bodies: none`` and the floor.

    Its check: the default's added p99 at concurrency 1 (over direct) within 2× the bare proxy's.
    """
    starting: list[Server] = [floor_server(old, bench.workdir)]
    for name, bodies in (("modelswap-route", "none"), ("modelswap-default", None)):
        server = bench.modelswap(name, ["split", "--share", "0"], f"{old}/v1", f"{new}/v1", bodies)
        if server is not None:
            starting.append(server)
    ready = {server.name: server for server in bench.start(starting, 180)}
    targets = [Target("direct", old + CHAT)]
    targets += [Target(n, base_url(ready[n]) + CHAT, server=ready[n]) for n in RECORDING_TARGETS[1:] if n in ready]
    concurrencies = (1, 16)
    bench.planned = 2 * len(targets) * len(concurrencies)
    bench.log(f"[bold]recording[/bold]: {len(targets)} targets × c={concurrencies} × json/stream")
    bench.grid(targets, "recording", concurrencies)
    return _report.recording_summary(bench.runs, output)


RESPONSES_TARGETS = ("floor", "modelswap-route", "modelswap-responses")


def responses_only(
    bench: Bench, args: argparse.Namespace, old: str, new: str, modelswap: bool, output: Console, notes: list[str]
) -> dict[str, Any]:
    """The grid for ``/v1/responses`` (translated to the chat upstream) beside chat and the floor only."""
    args.asgi_floor = False
    targets, _ = grid_targets(bench, args, old, new, False, modelswap)
    targets = [t for t in targets if t.name in RESPONSES_TARGETS]
    concurrencies = bench.settings.concurrencies
    bench.planned = 2 * len(targets) * len(concurrencies)
    bench.log(f"[bold]responses[/bold]: {len(targets)} targets × c={concurrencies} × json/stream")
    bench.grid(targets, "grid", concurrencies)
    ratio = _report.ratios(bench.runs, list(concurrencies))
    _report.render(output, bench.runs, ratio, [], {}, notes)
    return {
        "bench": "gateway_overhead",
        "only": "responses",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "settings": bench.settings.__dict__,
        "machine": machine(),
        "runs": bench.runs,
        "ratios": ratio,
        "notes": notes,
    }


def run(bench: Bench, args: argparse.Namespace, output: Console) -> dict[str, Any]:
    settings = bench.settings
    notes: list[str] = []
    if args.wait_idle:
        waiting = time.monotonic()
        waited = wait_until_idle(args.wait_idle, bench.console)
        bench.waited_s = time.monotonic() - waiting
        if waited:
            notes.append(waited)
    if args.only_isolation or args.only_recording or args.only_responses:
        args.no_litellm = True
    litellm, modelswap = contenders(bench, args, notes)
    mock_old, mock_new = mock_server("mock-old", bench.workdir), mock_server("mock-new", bench.workdir)
    if len(bench.start([mock_old, mock_new], 30)) < 2:
        raise SystemExit("the mock upstream did not start; nothing can be measured")
    old, new = base_url(mock_old), base_url(mock_new)
    bench.loadgen = LoadGen()
    if args.only_recording:
        recording = recording_phase(bench, old, new, output) if modelswap else {}
        return {
            "bench": "gateway_overhead",
            "only": "recording",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "quick": args.quick,
            "settings": settings.__dict__,
            "machine": machine(),
            "runs": bench.runs,
            "recording": recording,
            "notes": notes,
        }
    if args.only_responses:
        return responses_only(bench, args, old, new, modelswap, output, notes)
    if not args.only_isolation:
        targets, slow_targets = grid_targets(bench, args, old, new, litellm, modelswap)
        bench.planned = 2 * (len(targets) * len(settings.concurrencies) + len(slow_targets)) + (4 if modelswap else 0)
        bench.log(
            f"[bold]grid[/bold]: upstream 0 ms, {len(targets)} targets × c={settings.concurrencies} × json/stream, "
            f"{settings.duration_s:g} s each in {settings.slices} interleaved slice(s), "
            f"{settings.warmup_s:g} s warm-up"
        )
        bench.grid(targets, "grid", settings.concurrencies)
        bench.log("[bold]upstream 50 ms[/bold] at c=64")
        bench.grid(slow_targets, "delay50", (64,))
        capacity_phase(bench, [t for t in targets if t.name in CAPACITY_TARGETS], notes)
        bench.stop([s for s in bench.servers if s not in (mock_old, mock_new)])
    else:
        bench.planned = 4
    isolation, metrics = isolation_phase(bench, old, new, notes) if modelswap else ({}, {})

    ratio = _report.ratios(bench.runs, list(settings.concurrencies)) if not args.only_isolation else {}
    found = _report.checks(ratio, isolation)
    measured_capacity = ratio and any(v is not None for v in ratio["json"]["capacity_vs_litellm"].values())
    floor_vs_litellm = ratio["json"]["floor_vs_litellm_peak"] if ratio and not measured_capacity else None
    if floor_vs_litellm is not None and floor_vs_litellm < _report.VS_LITELLM_MIN:
        notes.append(
            f"even the bare floor proxy reaches only {floor_vs_litellm:.0f}× LiteLLM's peak req/s here (the load "
            "generator and mock share the 2 cores with the proxy), so the ≥50× req/s target cannot be shown on "
            "this machine; 'LiteLLM CPU ÷ modelswap CPU' is the per-core capacity ratio it stands for"
        )
    notes += _report.machine_notes(bench.runs, os.cpu_count() or 1)
    _report.render(output, bench.runs, ratio, found, isolation, notes)
    return {
        "bench": "gateway_overhead",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "settings": settings.__dict__,
        "machine": machine(),
        "versions": versions(),
        "unavailable": bench.unavailable,
        "runs": bench.runs,
        "ratios": ratio,
        "isolation": isolation,
        "shadow_metrics": metrics,
        "checks": found,
        "notes": notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (~2 min), same tables")
    parser.add_argument("--duration", type=float, help="seconds per measured run (default 4, quick 1)")
    parser.add_argument("--isolation-rounds", type=int, help="interleaved rounds of the shadow check (default 10)")
    parser.add_argument("--no-litellm", action="store_true", help="do not install or measure LiteLLM")
    parser.add_argument(
        "--asgi-floor", action="store_true", help="also measure the floor on uvicorn, modelswap's server stack"
    )
    parser.add_argument("--no-modelswap", action="store_true", help="measure only the mock, floor and LiteLLM")
    parser.add_argument(
        "--wait-idle", type=float, default=0, metavar="S", help="first wait up to S seconds for an idle machine"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (configs, server logs)")
    parser.add_argument(
        "--only-isolation", action="store_true", help="only the shadow isolation check (no grid, no LiteLLM)"
    )
    parser.add_argument(
        "--only-recording",
        action="store_true",
        help="only the default configuration (bodies recorded, redacted) beside record_bodies: none and the floor",
    )
    parser.add_argument(
        "--only-responses",
        action="store_true",
        help="only /v1/responses (translated to the chat upstream) beside /v1/chat/completions and the floor",
    )
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        raise SystemExit("this benchmark reads CPU time from /proc: Linux only")
    console = Console(stderr=False, width=max(Console().width, 160))
    progress = Console(stderr=True, width=max(Console().width, 160))
    workdir = Path(tempfile.mkdtemp(prefix="modelswap-bench-"))
    bench = Bench(Settings.of(args), workdir, progress)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    try:
        result = run(bench, args, console)
    finally:
        if bench.loadgen is not None:
            bench.loadgen.close()
        bench.stop(bench.servers)
        if args.keep:
            progress.print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    result["waited_idle_s"] = round(bench.waited_s, 1)
    result["wall_s"] = round(time.monotonic() - started - bench.waited_s, 1)
    console.print(
        f"run time {result['wall_s']:.0f} s (+{bench.waited_s:.0f} s waiting for an idle machine); "
        f"LiteLLM venv: {LITELLM_VENV}",
        highlight=False,
    )
    print("BENCH_JSON " + json.dumps(result, separators=(",", ":"), default=str), flush=True)


if __name__ == "__main__":
    main()
