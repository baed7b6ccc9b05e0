"""How much CPU the incident commands cost before they do anything: ``rollback``, ``stage``, ``check``, ``--help``.

Each command runs as a fresh ``python -m modelswap ...`` process against a migration made by
``modelswap init --scenario gpt-5-to-sonnet`` (SQLite store) in a temporary directory; its CPU
(user + system, from ``getrusage(RUSAGE_CHILDREN)``) is measured, and so is ``python -c pass``
in the same rounds, as the interpreter's own floor. Commands run interleaved, ``--rounds`` times;
the table shows the median, the ratio to the floor, and the CPU above it.

    .venv/bin/python bench/cli_startup.py             # 7 rounds, ~1 minute
    .venv/bin/python bench/cli_startup.py --rounds 3

Prints a Rich table for people and one ``BENCH_JSON {...}`` line for machines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

SCENARIO = "gpt-5-to-sonnet"
TARGET_CPU_S = 0.5
"""What the incident commands may spend in all (issue 14): under half a second of CPU."""


def commands(config: str) -> dict[str, list[str]]:
    """Label → arguments after ``python``; ``python -c pass`` is the floor."""
    ms = ["-m", "modelswap"]
    return {
        "python -c pass": ["-c", "pass"],
        "--help": [*ms, "--help"],
        "rollback --help": [*ms, "rollback", "--help"],
        "stage --help": [*ms, "stage", "--help"],
        "check --help": [*ms, "check", "--help"],
        "rollback -c F --reason x": [*ms, "rollback", "-c", config, "--reason", "bench", "--by", "bench"],
        "rollback --undo": [*ms, "rollback", "-c", config, "--undo", "--reason", "bench", "--by", "bench"],
        "stage show": [*ms, "stage", "show", "-c", config],
        "check F": [*ms, "check", config],
    }


def cpu_of(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    """CPU seconds (user + system) one child process spent."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # check exits 1 on warnings-as-errors setups; anything else is a broken run
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(rounds: int, workdir: Path, env: dict[str, str], log: Console) -> dict[str, list[float]]:
    init = [sys.executable, "-m", "modelswap", "init", "--scenario", SCENARIO, str(workdir)]
    subprocess.run(init, env=env, check=True, capture_output=True)
    runs = commands(str(workdir / "migration.yaml"))
    samples: dict[str, list[float]] = {label: [] for label in runs}
    for r in range(rounds):
        log.print(f"round {r + 1}/{rounds}", highlight=False)
        for label, args in runs.items():
            samples[label].append(cpu_of(args, workdir, env))
    return samples


def report(samples: dict[str, list[float]], console: Console) -> dict[str, dict[str, float]]:
    floor = statistics.median(samples["python -c pass"])
    table = Table(title=f"CPU per command (median of {len(samples['python -c pass'])} runs; floor: python -c pass)")
    for col in ("command", "CPU s", "÷ floor", "above floor s", f"< {TARGET_CPU_S} s"):
        table.add_column(col, justify="left" if col == "command" else "right")
    figures: dict[str, dict[str, float]] = {}
    for label, values in samples.items():
        cpu = statistics.median(values)
        figures[label] = {
            "cpu_s": round(cpu, 3),
            "ratio": round(cpu / floor, 1) if floor else float("nan"),
            "above_floor_s": round(cpu - floor, 3),
            "min_s": round(min(values), 3),
            "max_s": round(max(values), 3),
        }
        ok = "" if label == "python -c pass" else ("yes" if cpu < TARGET_CPU_S else "[red]no[/]")
        f = figures[label]
        table.add_row(label, f"{cpu:.3f}", f"{f['ratio']:.1f}", f"{f['above_floor_s']:.3f}", ok)
    console.print(table)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    args = parser.parse_args()
    src = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "COLUMNS": "100"}
    console = Console(width=max(Console().width, 100))
    workdir = Path(tempfile.mkdtemp(prefix="modelswap-bench-cli-"))
    try:
        samples = measure(args.rounds, workdir, env, Console(stderr=True))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "bench": "cli_startup",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rounds": args.rounds,
        "python": sys.version.split()[0],
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "figures": report(samples, console),
    }
    print("BENCH_JSON " + json.dumps(result, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
