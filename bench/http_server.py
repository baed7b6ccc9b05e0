"""The gateway's HTTP server protocol: modelswap's own (``gateway/http_protocol.py``) against uvicorn's httptools one.

The same gateway (routing only, bodies not recorded, one mock OpenAI upstream answering at once)
is served twice by uvicorn with uvloop, identical settings but the ``http`` protocol: ``own`` is
what ``modelswap serve`` runs, ``uvicorn`` is uvicorn's maintained ``httptools`` protocol. The
closed-loop load generator of the gateway benchmark drives both in interleaved slices (order
rotated each round) at concurrency 1, 16 and 64, JSON and a 9-event stream, and reads each
server's CPU from /proc. Ratios are uvicorn ÷ own, from the same run.

    .venv/bin/python bench/http_server.py            # ~2 minutes
    .venv/bin/python bench/http_server.py --quick    # ~40 s, same table

Prints a Rich table for people and one ``BENCH_JSON {...}`` line for machines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from _loadgen import Measured, merge, summarize
from _servers import PYTHON, UPSTREAM_KEY_ENV, Server, base_url, free_port, mock_server
from gateway_overhead import LoadGen
from rich.console import Console
from rich.table import Table

VARIANTS = ("own", "uvicorn")
CONCURRENCY = (1, 16, 64)
CHAT = "/v1/chat/completions"


def serve(variant: str, config: Path, port: int) -> None:
    """Run the gateway of ``config`` on ``port`` with the ``variant`` protocol (as ``modelswap serve`` does)."""
    import uvicorn

    from modelswap.config import load_migration
    from modelswap.gateway.http_protocol import HttpProtocol
    from modelswap.gateway.server import limits_of
    from modelswap.serving import build_gateway

    migration = load_migration(config)
    g = migration.gateway
    http: Any = HttpProtocol.with_limits(limits_of(migration)) if variant == "own" else "httptools"
    settings = uvicorn.Config(
        build_gateway(migration),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http=http,
        ws="none",
        lifespan="on",
        access_log=False,
        proxy_headers=False,
        log_level="warning",
        timeout_keep_alive=g.keep_alive_s,
        server_header=False,
        date_header=False,
    )
    uvicorn.Server(settings).run()


def gateway(variant: str, upstream: str, workdir: Path) -> Server:
    home = workdir / variant
    home.mkdir(parents=True, exist_ok=True)
    config = home / "migration.yaml"
    config.write_text(
        "store: sqlite:///bench.db\n"
        "endpoints:\n"
        f'  old: {{provider: openai, model: gpt-4o, base_url: "{upstream}/v1", api_key_env: {UPSTREAM_KEY_ENV}}}\n'
        f'  new: {{provider: openai, model: gpt-5, base_url: "{upstream}/v1", api_key_env: {UPSTREAM_KEY_ENV}}}\n'
        "workloads:\n"
        "  - name: bench\n"
        "gateway: {host: 127.0.0.1, default_workload: bench, record_bodies: none}\n"
    )
    port = free_port()
    argv = [PYTHON, str(Path(__file__)), "--serve", variant, "--config", str(config), "--port", str(port)]
    env = {UPSTREAM_KEY_ENV: "bench-upstream-key"}
    return Server(variant, argv, f"http://127.0.0.1:{port}/healthz", home, env)


def measure(
    servers: dict[str, Server], loadgen: LoadGen, rounds: int, duration_s: float, log: Console
) -> dict[str, dict[str, Measured]]:
    cells: dict[str, dict[str, list[Measured]]] = {v: {} for v in servers}
    for r in range(rounds):
        log.print(f"round {r + 1}/{rounds}", highlight=False)
        for stream in (False, True):
            for c in CONCURRENCY:
                order = list(servers)[r % 2 :] + list(servers)[: r % 2]
                for variant in order:
                    server = servers[variant]
                    command = {
                        "url": base_url(server) + CHAT,
                        "model": "gpt-4o",
                        "api_key": "x",
                        "stream": stream,
                        "concurrency": c,
                        "duration_s": duration_s,
                        "warmup_s": 0.5,
                        "cpu_pids": {"server": server.pid},
                        "raw": True,
                    }
                    result = loadgen.run(command)
                    if result.get("failed") or not result.get("requests"):
                        raise RuntimeError(f"{variant}: {result.get('failed') or 'no request completed'}")
                    cell = f"{'stream' if stream else 'json'} c={c}"
                    cells[variant].setdefault(cell, []).append(Measured(**result["raw"]))
    return {v: {cell: merge(parts) for cell, parts in by.items()} for v, by in cells.items()}


def report(cells: dict[str, dict[str, Measured]], console: Console) -> dict[str, Any]:
    figures = {v: {cell: summarize(m) for cell, m in by.items()} for v, by in cells.items()}
    table = Table(title="gateway server protocol: server CPU per request, latency (÷ own, same run)")
    for col in ("cell", "own CPU µs", "uvicorn CPU µs", "CPU ÷", "own p50/p99 ms", "uvicorn p50/p99 ms", "req/s ÷"):
        table.add_column(col, justify="left" if col == "cell" else "right")
    ratios: dict[str, dict[str, float]] = {}
    for cell, own in figures["own"].items():
        uv = figures["uvicorn"][cell]
        own_cpu, uv_cpu = own["cpu_us_per_request"]["server"], uv["cpu_us_per_request"]["server"]
        ratios[cell] = {
            "cpu": round(uv_cpu / own_cpu, 3),
            "rps": round(uv["rps"] / own["rps"], 3),
            "p99": round(uv["p99_ms"] / own["p99_ms"], 3),
        }
        table.add_row(
            cell, f"{own_cpu:.0f}", f"{uv_cpu:.0f}", f"{ratios[cell]['cpu']:.2f}",
            f"{own['p50_ms']:.2f}/{own['p99_ms']:.2f}", f"{uv['p50_ms']:.2f}/{uv['p99_ms']:.2f}",
            f"{ratios[cell]['rps']:.2f}",
        )  # fmt: skip
    console.print(table)
    for v in figures:
        for f in figures[v].values():
            f.pop("cpu_s", None)
    return {"figures": figures, "ratios_uvicorn_vs_own": ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round of 1 s slices")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3, quick 1)")
    parser.add_argument("--duration", type=float, help="measured seconds per slice (default 2, quick 1)")
    parser.add_argument("--serve", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.config, args.port)
        return
    rounds = args.rounds or (1 if args.quick else 3)
    duration_s = args.duration or (1.0 if args.quick else 2.0)
    console = Console(width=max(Console().width, 130))
    progress = Console(stderr=True)
    workdir = Path(tempfile.mkdtemp(prefix="modelswap-bench-http-"))
    started = time.monotonic()
    servers: list[Server] = [mock_server("mock", workdir).start()]
    loadgen: LoadGen | None = None
    try:
        servers[0].wait_ready(60)
        gateways = {v: gateway(v, base_url(servers[0]), workdir).start() for v in VARIANTS}
        servers += gateways.values()
        for server in gateways.values():
            server.wait_ready(120)
        loadgen = LoadGen()
        cells = measure(gateways, loadgen, rounds, duration_s, progress)
    finally:
        if loadgen is not None:
            loadgen.close()
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "bench": "http_server",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rounds": rounds,
        "duration_s": duration_s,
        **report(cells, console),
        "wall_s": round(time.monotonic() - started, 1),
    }
    print("BENCH_JSON " + json.dumps(result, separators=(",", ":"), default=str), flush=True)


if __name__ == "__main__":
    main()
