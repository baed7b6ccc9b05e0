"""Eval throughput: 1 000 golden cases × 2 models at concurrency 32, modelswap vs promptfoo.

Both tools run the same cases against the same simulator, a process of its own whose models
answer in a fixed 200 ms (lognormal with p50 = p95, so no spread) and never fail. The ideal
wall time is ``calls × 0.2 s / concurrency``; modelswap's eval is judged against it (target
≤ 1.10×) and against promptfoo measured in the same run (target ≥ 2.5× faster). CPU per
scored case is each tool's whole process tree (start-up included) divided by the cases scored.

    .venv/bin/python bench/eval_throughput.py            # prints a table and one BENCH_JSON line
    .venv/bin/python bench/eval_throughput.py --cases 200 --skip-promptfoo

promptfoo (npm) is installed on first use into ``bench/.promptfoo/`` with telemetry, update
checks, sharing and remote generation disabled; it exits 100 when any test fails, which is
expected here (the simulated models are not perfect).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from _servers import PYTHON, Server, free_port
from rich.console import Console
from rich.table import Table

BENCH = Path(__file__).resolve().parent
PROMPTFOO_DIR = BENCH / ".promptfoo"
PROMPTFOO_BIN = PROMPTFOO_DIR / "node_modules" / ".bin" / "promptfoo"
PROMPTFOO_ENV = {
    "PROMPTFOO_DISABLE_TELEMETRY": "1",
    "PROMPTFOO_DISABLE_UPDATE": "1",
    "PROMPTFOO_DISABLE_SHARING": "1",
    "PROMPTFOO_DISABLE_REMOTE_GENERATION": "1",
}
MODELS = ("gpt-4o", "gpt-5")
TARGET_VS_IDEAL = 1.10
TARGET_VS_PROMPTFOO = 2.5


@dataclass
class Measured:
    """One tool's run: wall time, CPU of its process tree, cases scored, and anything it reported."""

    tool: str
    ok: bool
    wall_s: float | None = None
    eval_s: float | None = None
    """The eval itself (run start to finish as the tool records it), start-up excluded."""
    cpu_s: float | None = None
    startup_wall_s: float | None = None
    startup_cpu_s: float | None = None
    """The same tool printing its version: what start-up alone costs, measured in this run."""
    scored: int = 0
    passed: int = 0
    errors: int = 0
    exit_code: int | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def golden_cases(n: int) -> list[dict[str, Any]]:
    """``n`` arithmetic cases the simulator knows the answers to, each question asked once."""
    from modelswap.sim.golden import generate

    seen: set[str] = set()
    out = []
    for case in generate("arithmetic", size=2 * n):
        question = case["messages"][-1]["content"]
        if question not in seen:
            seen.add(question)
            out.append(case)
        if len(out) == n:
            return out
    raise RuntimeError(f"the simulator's generator gave fewer than {n} distinct questions")


def write_modelswap(work: Path, cases: list[dict[str, Any]], sim_url: str, latency_ms: float) -> Path:
    (work / "golden.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    fixed = f"{{latency_p50_ms: {latency_ms}, latency_p95_ms: {latency_ms}}}"
    config = work / "migration.yaml"
    config.write_text(
        "name: eval-throughput\n"
        "store: sqlite:///bench.db\n"
        "endpoints:\n"
        f"  old: {{provider: sim, model: {MODELS[0]}, base_url: '{sim_url}/v1', max_retries: 0}}\n"
        f"  new: {{provider: sim, model: {MODELS[1]}, base_url: '{sim_url}/v1', max_retries: 0}}\n"
        "workloads:\n"
        "  - name: bench\n"
        "    golden_set: golden.jsonl\n"
        "simulator:\n"
        "  seed: 7\n"
        "  time_scale: 1\n"
        "  error_scale: 0\n"
        f"  models: {{{MODELS[0]}: {fixed}, {MODELS[1]}: {fixed}}}\n",
        encoding="utf-8",
    )
    return config


def write_promptfoo(work: Path, cases: list[dict[str, Any]], sim_url: str) -> Path:
    system = cases[0]["messages"][0]["content"]
    if any(c["messages"][0]["content"] != system or len(c["messages"]) != 2 for c in cases):
        raise RuntimeError("the cases must share one system prompt to become one promptfoo prompt")
    prompt = [{"role": "system", "content": system}, {"role": "user", "content": "{{question}}"}]
    (work / "prompt.json").write_text(json.dumps(prompt), encoding="utf-8")
    tests = [
        {"vars": {"question": c["messages"][1]["content"]}, "assert": [{"type": "equals", "value": a["value"]}]}
        for c in cases
        for a in c["assert"]
    ]
    (work / "tests.json").write_text(json.dumps(tests), encoding="utf-8")
    providers = [
        {"id": f"openai:chat:{m}", "config": {"apiBaseUrl": f"{sim_url}/v1", "apiKey": "bench-key"}} for m in MODELS
    ]
    config = work / "promptfooconfig.json"
    config.write_text(
        json.dumps(
            {
                "description": "modelswap eval throughput",
                "prompts": ["file://prompt.json"],
                "providers": providers,
                "tests": "file://tests.json",
            }
        ),
        encoding="utf-8",
    )
    return config


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, env: dict[str, str], log: Path, timeout_s: float) -> tuple[int, float, float]:
    """Run a command to completion: (exit code, wall s, CPU s of it and its reaped children)."""
    cpu0, start = children_cpu(), time.perf_counter()
    with open(log, "wb") as out:
        done = subprocess.run(argv, cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=timeout_s)  # fmt: skip
    return done.returncode, time.perf_counter() - start, children_cpu() - cpu0


def run_modelswap(work: Path, config: Path, concurrency: int, timeout_s: float) -> Measured:
    from modelswap.config import load_migration
    from modelswap.evals.results import run_figures
    from modelswap.store import open_store
    from modelswap.store.summaries import eval_runs

    _, startup_wall, startup_cpu = timed([PYTHON, "-m", "modelswap", "version"], work, {}, work / "version.log", 120)
    argv = [PYTHON, "-m", "modelswap", "eval", "-c", str(config), "--concurrency", str(concurrency)]
    code, wall, cpu = timed(argv, work, {"COLUMNS": "120"}, work / "modelswap.log", timeout_s)
    result = Measured("modelswap", code == 0, wall_s=wall, cpu_s=cpu, exit_code=code)
    result.startup_wall_s, result.startup_cpu_s = startup_wall, startup_cpu
    with open_store(load_migration(config).store) as store:
        runs = eval_runs(store, "bench")
        if not runs:
            result.note = f"no eval run stored; see {work / 'modelswap.log'}"
            return result
        run = runs[-1]
        if run.finished_at is not None:
            result.eval_s = (run.finished_at - run.started_at).total_seconds()
        figures = run_figures(store.evals.results(run.id))
    result.scored = sum(f.cases for f in figures.values())
    result.passed = sum(f.passed for f in figures.values())
    result.errors = sum(f.errors for f in figures.values())
    result.extra = {"run_id": run.id, "status": run.status}
    return result


def ensure_promptfoo() -> str | None:
    """Install promptfoo into ``bench/.promptfoo`` if needed; None when usable, else why not."""
    if PROMPTFOO_BIN.exists():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed (apt-get install nodejs npm)"
    PROMPTFOO_DIR.mkdir(exist_ok=True)
    if not (PROMPTFOO_DIR / "package.json").exists():
        (PROMPTFOO_DIR / "package.json").write_text('{"name": "modelswap-bench-promptfoo", "private": true}\n')
    print("installing promptfoo into bench/.promptfoo (first run only) ...", file=sys.stderr, flush=True)
    done = subprocess.run(
        [npm, "install", "promptfoo", "--no-audit", "--no-fund"],
        cwd=PROMPTFOO_DIR,
        env={**os.environ, **PROMPTFOO_ENV},
        capture_output=True,
        timeout=1800,
    )
    if done.returncode != 0 or not PROMPTFOO_BIN.exists():
        tail = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()[-3:]
        return f"`npm install promptfoo` failed ({done.returncode}): {' / '.join(tail)}"
    return None


def promptfoo_version() -> str:
    try:
        package = json.loads((PROMPTFOO_DIR / "node_modules" / "promptfoo" / "package.json").read_text())
        return str(package.get("version", "?"))
    except (OSError, ValueError):
        return "?"


def run_promptfoo(work: Path, config: Path, concurrency: int, timeout_s: float) -> Measured:
    problem = ensure_promptfoo()
    if problem is not None:
        return Measured("promptfoo", False, note=problem)
    output = work / "promptfoo-results.json"
    argv = [str(PROMPTFOO_BIN), "eval", "-c", str(config), "-j", str(concurrency), "--no-cache", "--no-table",
            "--no-progress-bar", "--no-write", "-o", str(output)]  # fmt: skip
    env = {**PROMPTFOO_ENV, "PROMPTFOO_CONFIG_DIR": str(work / "promptfoo-home"), "OPENAI_API_KEY": "bench-key"}
    _, startup_wall, startup_cpu = timed([str(PROMPTFOO_BIN), "--version"], work, env, work / "version.log", 120)
    code, wall, cpu = timed(argv, work, env, work / "promptfoo.log", timeout_s)
    result = Measured("promptfoo", code in (0, 100), wall_s=wall, cpu_s=cpu, exit_code=code)
    result.startup_wall_s, result.startup_cpu_s = startup_wall, startup_cpu
    result.extra = {"version": promptfoo_version()}
    try:
        stats = json.loads(output.read_text())["results"]["stats"]
    except (OSError, ValueError, KeyError, TypeError):
        result.ok = False
        result.note = f"no results written (exit {code}); see {work / 'promptfoo.log'}"
        return result
    duration = stats.get("evaluationDurationMs", stats.get("durationMs"))
    result.eval_s = float(duration) / 1000 if isinstance(duration, int | float) else None
    result.passed = int(stats.get("successes", 0))
    result.errors = int(stats.get("errors", 0))
    result.scored = result.passed + int(stats.get("failures", 0)) + result.errors
    if code == 100:
        result.note = "exit 100: some tests failed (expected: the models are not perfect)"
    return result


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def net(total: float | None, startup: float | None) -> float | None:
    return None if total is None or startup is None else max(total - startup, 0.0)


def per_case(cpu_s: float | None, scored: int) -> float | None:
    return None if cpu_s is None or not scored else 1000 * cpu_s / scored


def render(console: Console, runs: list[Measured], ideal_s: float, checks: list[dict[str, Any]], info: str) -> None:
    table = Table(title=f"Eval throughput ({info})")
    columns = ("tool", "wall s", "eval s", "eval × ideal", "start-up s", "scored", "passed", "errors", "CPU s",
               "CPU ms/case", "net of start-up", "exit")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "tool" else "right")
    for r in runs:
        table.add_row(
            r.tool,
            _f(r.wall_s),
            _f(r.eval_s),
            _f(ratio(r.eval_s, ideal_s), 3),
            _f(r.startup_wall_s),
            str(r.scored),
            str(r.passed),
            str(r.errors),
            _f(r.cpu_s),
            _f(per_case(r.cpu_s, r.scored), 3),
            _f(per_case(net(r.cpu_s, r.startup_cpu_s), r.scored), 3),
            "" if r.exit_code is None else str(r.exit_code),
        )
    table.add_row("ideal", _f(ideal_s), _f(ideal_s), "1.000", *[""] * 8)
    console.print(table)
    verdict = Table(title="Targets")
    for column in ("check", "measured", "target", "status"):
        verdict.add_column(column, justify="left" if column == "check" else "right")
    for c in checks:
        value = "—" if c["value"] is None else f"{c['value']:.3f}×"
        style = {"PASS": "green", "MISS": "red"}.get(c["status"], "yellow")
        verdict.add_row(c["check"], value, c["target"], f"[{style}]{c['status']}[/{style}]")
    console.print(verdict)
    for r in runs:
        if r.note:
            console.print(f"[yellow]note:[/yellow] {r.tool}: {r.note}")


def _f(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--skip-promptfoo", action="store_true")
    parser.add_argument("--keep", action="store_true", help="Keep the work directory (golden set, logs, stores).")
    args = parser.parse_args()
    console = Console() if sys.stdout.isatty() else Console(width=160)
    work = Path(tempfile.mkdtemp(prefix="modelswap-eval-bench-"))
    calls = 2 * args.cases
    ideal = calls * args.latency_ms / 1000 / args.concurrency
    cases = golden_cases(args.cases)
    port = free_port()
    sim_url = f"http://127.0.0.1:{port}"
    config = write_modelswap(work, cases, sim_url, args.latency_ms)
    sim = Server("sim", [PYTHON, "-m", "modelswap", "sim", "-c", str(config), "--port", str(port)],
                 f"{sim_url}/health", work)  # fmt: skip
    runs: list[Measured] = []
    try:
        sim.start().wait_ready(60)
        timeout = max(120.0, 20 * ideal)
        runs.append(run_modelswap(work, config, args.concurrency, timeout))
        if args.skip_promptfoo:
            runs.append(Measured("promptfoo", False, note="skipped (--skip-promptfoo)"))
        else:
            runs.append(run_promptfoo(work, write_promptfoo(work, cases, sim_url), args.concurrency, timeout))
    finally:
        sim.stop()
    mine, theirs = runs
    vs_ideal = ratio(mine.eval_s, ideal)
    vs_ideal_wall = ratio(mine.wall_s, ideal)
    vs_promptfoo = ratio(theirs.wall_s, mine.wall_s) if theirs.ok and mine.ok else None
    vs_promptfoo_eval = ratio(theirs.eval_s, mine.eval_s) if theirs.ok and mine.ok else None

    def status(value: float | None, ok: bool) -> str:
        return "n/a" if value is None else "PASS" if ok else "MISS"

    checks = [
        {"check": "modelswap eval wall ÷ ideal", "value": vs_ideal, "target": f"≤ {TARGET_VS_IDEAL}",
         "status": status(vs_ideal, vs_ideal is not None and vs_ideal <= TARGET_VS_IDEAL)},
        {"check": "modelswap command wall (start-up included) ÷ ideal", "value": vs_ideal_wall,
         "target": "(reported)", "status": "info"},
        {"check": "promptfoo wall ÷ modelswap wall (both whole commands)", "value": vs_promptfoo,
         "target": f"≥ {TARGET_VS_PROMPTFOO}",
         "status": status(vs_promptfoo, vs_promptfoo is not None and vs_promptfoo >= TARGET_VS_PROMPTFOO)},
        {"check": "promptfoo eval ÷ modelswap eval (each as the tool times it)", "value": vs_promptfoo_eval,
         "target": f"≥ {TARGET_VS_PROMPTFOO}",
         "status": status(vs_promptfoo_eval,
                          vs_promptfoo_eval is not None and vs_promptfoo_eval >= TARGET_VS_PROMPTFOO)},
        {"check": "promptfoo eval ÷ ideal (the most any tool can gain on it)",
         "value": ratio(theirs.eval_s, ideal), "target": "(reported)", "status": "info"},
    ]  # fmt: skip
    info = f"{args.cases} cases × 2 models, concurrency {args.concurrency}, {args.latency_ms:g} ms per call"
    render(console, runs, ideal, checks, info)
    payload = {
        "bench": "eval_throughput",
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cases": args.cases,
        "models": list(MODELS),
        "calls": calls,
        "concurrency": args.concurrency,
        "latency_ms": args.latency_ms,
        "ideal_s": ideal,
        "cpus": os.cpu_count(),
        "runs": [
            {
                "tool": r.tool,
                "ok": r.ok,
                "wall_s": r.wall_s,
                "eval_s": r.eval_s,
                "cpu_s": r.cpu_s,
                "startup_wall_s": r.startup_wall_s,
                "startup_cpu_s": r.startup_cpu_s,
                "cpu_ms_per_case": per_case(r.cpu_s, r.scored),
                "cpu_ms_per_case_net_of_startup": per_case(net(r.cpu_s, r.startup_cpu_s), r.scored),
                "scored": r.scored,
                "passed": r.passed,
                "errors": r.errors,
                "exit_code": r.exit_code,
                "note": r.note,
                **r.extra,
            }
            for r in runs
        ],
        "vs_ideal": vs_ideal,
        "vs_ideal_command": vs_ideal_wall,
        "promptfoo_over_modelswap": vs_promptfoo,
        "promptfoo_over_modelswap_eval": vs_promptfoo_eval,
        "checks": checks,
    }
    print("BENCH_JSON " + json.dumps(payload, separators=(",", ":")))
    if args.keep:
        console.print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if mine.ok else 1


if __name__ == "__main__":
    sys.exit(main())
