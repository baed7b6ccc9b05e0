"""``modelswap sim``: run the vendor simulator, and replay traffic against any gateway."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.root import app, err, fail, out, port_free_or_exit
from modelswap.cli.tables import fit

if TYPE_CHECKING:
    from rich.table import Table

    from modelswap.sim import TrafficSummary


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
    port_free_or_exit(host, port)
    out.print(f"simulator: OpenAI at http://{host}:{port}/v1, Anthropic at http://{host}:{port}  (Ctrl-C stops)")
    try:
        run_sim(settings, host=host, port=port)
    except OSError as exc:  # the port was taken between the check and the bind
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def served_model(base_url: str, api_key: str | None, timeout_s: float = 10.0) -> str:
    """The first model the gateway at ``base_url`` lists on ``GET /models``: one it serves, whatever the scenario."""
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(base_url.rstrip("/") + "/models")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            models = [m["id"] for m in json.loads(answer.read())["data"]]
    except urllib.error.HTTPError as exc:
        raise fail(f"{base_url}/models answered {exc.code}; pass --model to choose the model yourself") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        reason = getattr(exc, "reason", exc)
        raise fail(f"cannot reach {base_url} ({reason}); is the gateway running? (`modelswap serve`)") from None
    if not models:
        raise fail(f"{base_url}/models lists no model; pass --model")
    return str(models[0])


def traffic_table(rows: list[tuple[str, TrafficSummary]], title: str = "Traffic through the gateway") -> Table:
    """One row per run: sent, ok, errors by kind, p50 and p95 latency."""
    from rich.table import Table

    table = Table("phase", "sent", "ok", "errors", "p50", "p95", title=title)
    for phase, s in rows:
        errors = ", ".join(f"{k}×{v:,}" for k, v in s.errors.items()) or "0"
        table.add_row(
            phase,
            f"{s.sent:,}",
            f"{s.ok:,}",
            f"[red]{errors}[/]" if s.errors else errors,
            f"{s.latency_p50_ms:,.0f} ms" if s.latency_p50_ms is not None else "–",
            f"{s.latency_p95_ms:,.0f} ms" if s.latency_p95_ms is not None else "–",
        )
    return table


@app.command()
def traffic(
    base_url: Annotated[
        str, typer.Argument(help="OpenAI-compatible base URL of the gateway (or the simulator).")
    ] = "http://127.0.0.1:8787/v1",
    rate: Annotated[float, typer.Option(help="Requests per second (Poisson arrivals).")] = 10.0,
    count: Annotated[int, typer.Option(help="Requests to send.")] = 100,
    mix: Annotated[
        str, typer.Option(help="Workload weights, e.g. 'ticket-triage=0.5,extraction=0.3,order-tools=0.2'.")
    ] = "ticket-triage=0.5,extraction=0.3,order-tools=0.2",
    stream_fraction: Annotated[float, typer.Option(help="Share of requests sent with stream=true.")] = 0.2,
    users: Annotated[int, typer.Option(help="Distinct `user` ids (for sticky routing).")] = 200,
    model: Annotated[
        str | None, typer.Option(help="The `model` field requests carry (default: the first model the gateway lists).")
    ] = None,
    api_key: Annotated[str, typer.Option(help="Bearer key to send.")] = "modelswap-demo",
) -> None:
    """Replay a workload mix at a given rate against a gateway (or the simulator).

    Exits 1 when most requests fail, printing what the first error of each kind said.
    """
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
            model=model or "-",
            api_key=api_key,
        )
    except ValidationError as exc:
        raise fail("; ".join(f"--{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
    if model is None:
        spec = spec.model_copy(update={"model": served_model(base_url, api_key)})
    out.print(f"sending {count:,} requests for model {spec.model} to {base_url} at {rate:g}/s", highlight=False)
    import asyncio

    summary = asyncio.run(run_traffic(base_url, spec))
    out.print(fit(traffic_table([("traffic", summary)], title=f"Traffic to {base_url}")))
    for kind, detail in summary.first_errors.items():
        err.print(f"[red]first {kind}:[/] {detail}", highlight=False, soft_wrap=True)
    if summary.sent and summary.ok * 2 < summary.sent:
        raise fail(f"{summary.sent - summary.ok:,} of {summary.sent:,} requests failed")
