"""``modelswap sim``: run the vendor simulator, and replay traffic against any gateway."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from modelswap.cli.root import app, fail, out


@app.command()
def sim(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8600,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Take simulator settings from this migration file.")
    ] = None,
    time_scale: Annotated[float | None, typer.Option(help="Latency multiplier (0 = instant).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for answers, latency and faults.")] = None,
) -> None:
    """Serve simulated OpenAI (/v1/chat/completions) and Anthropic (/v1/messages) models."""
    from modelswap.config import load_migration
    from modelswap.config_errors import ConfigError
    from modelswap.sim import SimConfig, run_sim

    settings = SimConfig()
    if config is not None:
        try:
            settings = load_migration(config).simulator.sim_config()
        except ConfigError as exc:
            raise fail(str(exc)) from None
    changes = {k: v for k, v in {"time_scale": time_scale, "seed": seed}.items() if v is not None}
    settings = settings.model_copy(update=changes)
    out.print(f"simulator: OpenAI at http://{host}:{port}/v1, Anthropic at http://{host}:{port}  (Ctrl-C stops)")
    run_sim(settings, host=host, port=port)


@app.command()
def traffic(
    base_url: Annotated[str, typer.Argument(help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8787/v1.")],
    rate: Annotated[float, typer.Option(help="Requests per second (Poisson arrivals).")] = 10.0,
    count: Annotated[int, typer.Option(help="Requests to send.")] = 100,
    mix: Annotated[
        str, typer.Option(help="Workload weights, e.g. 'ticket-triage=0.5,extraction=0.3,order-tools=0.2'.")
    ] = "ticket-triage=0.5,extraction=0.3,order-tools=0.2",
    stream_fraction: Annotated[float, typer.Option(help="Share of requests sent with stream=true.")] = 0.2,
    users: Annotated[int, typer.Option(help="Distinct `user` ids (for sticky routing).")] = 200,
    model: Annotated[str, typer.Option(help="The `model` field requests carry.")] = "gpt-4o",
    api_key: Annotated[str, typer.Option(help="Bearer key to send.")] = "modelswap-demo",
) -> None:
    """Replay a workload mix at a given rate against a gateway (or the simulator)."""
    from pydantic import ValidationError

    from modelswap.sim import TrafficSpec, run_traffic

    try:
        weights = {k.strip(): float(v) for k, v in (p.split("=") for p in mix.split(",") if p.strip())}
    except ValueError:
        raise fail(f"--mix must look like 'a=0.5,b=0.5', got {mix!r}") from None
    try:
        spec = TrafficSpec(
            mix=weights,
            rate=rate,
            count=count,
            stream_fraction=stream_fraction,
            users=users,
            model=model,
            api_key=api_key,
        )
    except ValidationError as exc:
        raise fail("; ".join(f"--{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
    summary = asyncio.run(run_traffic(base_url, spec))
    out.print(summary)
