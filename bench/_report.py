"""Ratios, PASS/MISS checks and the tables of the gateway benchmark (pure, apart from printing)."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

GATEWAYS = ("modelswap-route", "modelswap-responses", "modelswap-default", "modelswap-split10", "modelswap-shadow")
JUDGED = ("modelswap-route", "modelswap-split10")
"""Variants held to the overhead targets. Shadow makes two upstream calls per request by
design, so its CPU and throughput are reported but not judged against a one-call floor."""
MODES = {False: "json", True: "stream"}
CPU_VS_FLOOR_MAX = 1.5
ADDED_P50_MAX_MS = 0.5
VS_LITELLM_MIN = 50.0
SHADOW_P99_MAX_RATIO = 1.05

DEFAULT_ADDED_P99_MAX = 2.0
"""The default configuration's added p99 at concurrency 1, at most this many times the floor's."""

Run = dict[str, Any]


def find(
    runs: list[Run], target: str, stream: bool, concurrency: int, delay_ms: int = 0, phase: str | None = None
) -> Run | None:
    """The run of ``target`` in a cell of the grid (``phase`` None: any but capacity) or of ``phase``."""
    for run in runs:
        if (phase is None and run["phase"] == "capacity") or (phase is not None and run["phase"] != phase):
            continue
        if (run["target"], run["stream"], run["concurrency"], run["delay_ms"]) == (
            target,
            stream,
            concurrency,
            delay_ms,
        ):
            return run if run.get("requests") else None
    return None


def _capacity_rps(runs: list[Run], target: str, stream: bool) -> float | None:
    found = [r["rps"] for r in runs if r["phase"] == "capacity" and (r["target"], r["stream"]) == (target, stream)]
    return found[0] if found and found[0] else None


def _litellm_peak(runs: list[Run], stream: bool, concurrencies: list[int]) -> float | None:
    """LiteLLM's best req/s anywhere in the run (capacity phase or grid): the conservative yardstick."""
    candidates = (_capacity_rps(runs, "litellm", stream), _peak_rps(runs, "litellm", stream, concurrencies))
    found = [v for v in candidates if v]
    return max(found) if found else None


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0 or math.isnan(a) or math.isnan(b):
        return None
    return a / b


def _peak_rps(runs: list[Run], target: str, stream: bool, concurrencies: list[int]) -> float | None:
    found = [r["rps"] for c in concurrencies if (r := find(runs, target, stream, c)) is not None]
    return max(found) if found else None


def ratios(runs: list[Run], concurrencies: list[int]) -> dict[str, Any]:
    """Every ratio of the run, per mode (``json`` and ``stream``), all from the same run's numbers."""
    out: dict[str, Any] = {}
    for stream, mode in MODES.items():
        floor = {c: find(runs, "floor", stream, c) for c in concurrencies}
        litellm = {c: find(runs, "litellm", stream, c) for c in concurrencies}
        direct_c1 = find(runs, "direct", stream, 1)
        litellm_peak = _peak_rps(runs, "litellm", stream, concurrencies)
        section: dict[str, Any] = {
            "cpu_vs_floor": {},
            "added_p50_ms_c1": {},
            "throughput_vs_litellm_peak": {},
            "throughput_vs_litellm": {},
            "cpu_capacity_vs_litellm": {},
            "ceiling_direct_vs_litellm": _div(_peak_rps(runs, "direct", stream, concurrencies), litellm_peak),
            "floor_vs_litellm_peak": _div(_peak_rps(runs, "floor", stream, concurrencies), litellm_peak),
            "capacity_vs_litellm": {},
            "floor_capacity_vs_litellm": _div(
                _capacity_rps(runs, "floor", stream), _litellm_peak(runs, stream, concurrencies)
            ),
        }
        for target in ("floor", *GATEWAYS):
            c1 = find(runs, target, stream, 1)
            if c1 is not None and direct_c1 is not None:
                section["added_p50_ms_c1"][target] = c1["p50_ms"] - direct_c1["p50_ms"]
        for gateway in GATEWAYS:
            mine = {c: find(runs, gateway, stream, c) for c in concurrencies}
            section["cpu_vs_floor"][gateway] = {c: _div(_cpu(mine[c]), _cpu(floor[c])) for c in concurrencies}
            section["throughput_vs_litellm"][gateway] = {
                c: _div(_get(mine[c], "rps"), _get(litellm[c], "rps")) for c in concurrencies
            }
            section["cpu_capacity_vs_litellm"][gateway] = {
                c: _div(_cpu(litellm[c]), _cpu(mine[c])) for c in concurrencies
            }
            section["throughput_vs_litellm_peak"][gateway] = _div(
                _peak_rps(runs, gateway, stream, concurrencies), litellm_peak
            )
            section["capacity_vs_litellm"][gateway] = _div(
                _capacity_rps(runs, gateway, stream), _litellm_peak(runs, stream, concurrencies)
            )
        out[mode] = section
    return out


def _get(run: Run | None, key: str) -> float | None:
    return None if run is None else run.get(key)


def _cpu(run: Run | None) -> float | None:
    return None if run is None else run.get("cpu_us")


def isolation_summary(records: dict[str, Run]) -> dict[str, Any]:
    """p50/p99 of the primary per shadow scenario, pooled over rounds, and p99 ÷ shadow-off."""
    off = records.get("shadow-off", {}).get("p99_ms")
    return {
        scenario: {
            "requests": run.get("requests", 0),
            "errors": run.get("errors", 0),
            "p50_ms": run.get("p50_ms"),
            "p99_ms": run.get("p99_ms"),
            "p999_ms": run.get("p999_ms"),
            "p99_vs_off": _div(run.get("p99_ms"), off),
            "p99_per_round_ms": run.get("p99_per_round_ms", []),
        }
        for scenario, run in records.items()
    }


def machine_notes(runs: list[Run], cpus: int) -> list[str]:
    """What the machine's load says about how far to trust req/s and latency."""
    notes = []
    solo = [r["machine_busy"] for r in runs if r.get("requests") and r["concurrency"] == 1]
    if solo and max(solo) > 0.75:
        notes.append(
            f"at concurrency 1 (where the benchmark needs about one core of {cpus}) the machine was up to "
            f"{max(solo) * 100:.0f} % busy: other work shared it, so latencies and req/s carry its noise"
        )
    busy = [r["machine_busy"] for r in runs if r.get("requests") and r["concurrency"] > 1]
    if busy and max(busy) > 0.9:
        notes.append(
            f"at c≥16 the machine was up to {max(busy) * 100:.0f} % busy: load generator, mock and proxy share "
            f"{cpus} cores, so req/s is a lower bound and CPU µs/request is the robust figure"
        )
    return notes


def _status(value: float | None, ok: bool) -> str:
    return "n/a" if value is None else ("PASS" if ok else "MISS")


def checks(ratio: dict[str, Any], isolation: dict[str, Any]) -> list[dict[str, Any]]:
    """The design's targets next to the measured values."""
    found: list[dict[str, Any]] = []

    def add(name: str, value: float | None, target: str, ok: bool, unit: str = "") -> None:
        found.append(
            {
                "check": name,
                "value": value,
                "target": target,
                "unit": unit,
                "status": _status(value, value is not None and ok),
            }
        )

    for mode, section in ratio.items():
        for gateway in JUDGED:
            by_c = {c: v for c, v in section["cpu_vs_floor"][gateway].items() if v is not None}
            worst = max(by_c.values()) if by_c else None
            add(
                f"{gateway} CPU/request ÷ floor, worst concurrency ({mode})",
                worst,
                f"≤ {CPU_VS_FLOOR_MAX}×",
                worst is not None and worst <= CPU_VS_FLOOR_MAX,
                "×",
            )
            added = section["added_p50_ms_c1"].get(gateway)
            floor_added = section["added_p50_ms_c1"].get("floor")
            add(
                f"{gateway} added p50 vs direct at c=1 ({mode})",
                added,
                f"< {ADDED_P50_MAX_MS} ms" + ("" if floor_added is None else f" (floor +{floor_added:.2f})"),
                added is not None and added < ADDED_P50_MAX_MS,
                "ms",
            )
            capacity = section["capacity_vs_litellm"].get(gateway)
            if capacity is not None:  # one worker each, saturated by wrk
                peak, how, floor_peak = capacity, "wrk", section.get("floor_capacity_vs_litellm")
            else:  # no wrk: the Python load generator's peak, which the 2 cores cap
                peak, how = section["throughput_vs_litellm_peak"][gateway], "Python load generator"
                floor_peak = section.get("floor_vs_litellm_peak")
            add(
                f"{gateway} peak throughput ÷ LiteLLM's, one worker each ({mode}; {how})",
                peak,
                f"≥ {VS_LITELLM_MIN:.0f}×" + ("" if floor_peak is None else f" (floor {floor_peak:.0f}×)"),
                peak is not None and peak >= VS_LITELLM_MIN,
                "×",
            )
    aa = isolation.get("shadow-off-again", {}).get("p99_vs_off")
    noisy = aa is not None and not (1 / SHADOW_P99_MAX_RATIO <= aa <= SHADOW_P99_MAX_RATIO)
    for scenario, label in (("shadow-slow", "shadow 10× slower"), ("shadow-failing", "shadow failing 50 %")):
        value = isolation.get(scenario, {}).get("p99_vs_off")
        add(
            f"primary p99 with {label} ÷ shadow off",
            value,
            f"≤ {SHADOW_P99_MAX_RATIO}",
            value is not None and value <= SHADOW_P99_MAX_RATIO,
            "×",
        )
        if noisy and value is not None:
            # Two identical shadow-off gateways differ by more than the tolerance: the
            # machine's noise is larger than the effect being judged, so no verdict.
            found[-1]["status"] = "NOISY"
            found[-1]["target"] += f" (A/A {aa:.2f})"
    return found


def _render_capacity(console: Console, runs: list[Run]) -> None:
    capacity = sorted(
        (r for r in runs if r["phase"] == "capacity"), key=lambda r: _display_order(r | {"concurrency": 0})
    )
    if not capacity:
        return
    litellm = {stream: _litellm_peak(runs, stream, sorted({r["concurrency"] for r in runs})) for stream in MODES}
    table = Table(
        title="Capacity: one worker per proxy, saturated by wrk (upstream 0 ms); "
        "× LiteLLM = ÷ its best req/s anywhere in the run"
    )
    for column in ("mode", "target", "conc", "req/s", "× LiteLLM", "p50 ms", "p99 ms", "CPU µs/req", "errors", "busy"):
        table.add_column(column, justify="left" if column in ("mode", "target") else "right")
    for run in capacity:
        vs = _div(run.get("rps"), litellm.get(run["stream"]))
        table.add_row(
            MODES[run["stream"]],
            run["target"],
            str(run["concurrency"]),
            f"{run['rps']:,.0f}",
            _fmt(vs, 1),
            _fmt(run.get("p50_ms")),
            _fmt(run.get("p99_ms")),
            _fmt(run.get("cpu_us"), 0),
            str(run.get("errors", 0)),
            f"{run['machine_busy'] * 100:.0f} %",
        )
    console.print(table)


TARGET_ORDER = ("direct", "floor", "floor-asgi", *GATEWAYS, "litellm")


def _display_order(run: Run) -> tuple[int, bool, int, int]:
    rank = TARGET_ORDER.index(run["target"]) if run["target"] in TARGET_ORDER else len(TARGET_ORDER)
    return (run["delay_ms"], run["stream"], run["concurrency"], rank)


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def render(
    console: Console,
    runs: list[Run],
    ratio: dict[str, Any],
    found: list[dict[str, Any]],
    isolation: dict[str, Any],
    notes: list[str],
) -> None:
    table = Table(title="Gateway overhead: closed loop on loopback (proxy CPU = its whole process tree)")
    for column in (
        "delay",
        "mode",
        "conc",
        "target",
        "req/s",
        "p50 ms",
        "p99 ms",
        "TTFB p50",
        "CPU µs/req",
        "× floor",
        "loadgen µs/req",
        "errors",
        "busy",
    ):
        table.add_column(
            column, justify="left" if column in ("mode", "target") else "right", no_wrap=column == "target"
        )
    previous = None
    for run in sorted((r for r in runs if r["phase"] not in ("isolation", "capacity")), key=_display_order):
        key = (run["delay_ms"], run["stream"], run["concurrency"])
        if previous is not None and key != previous:
            table.add_section()
        previous = key
        where = (f"{run['delay_ms']} ms", MODES[run["stream"]], str(run["concurrency"]), run["target"])
        if not run.get("requests"):
            table.add_row(*where, *(["—"] * 7), "[red]failed[/red]", "—")
            continue
        floor = find(runs, "floor", run["stream"], run["concurrency"], run["delay_ms"])
        vs_floor = _div(run.get("cpu_us"), _cpu(floor)) if run["target"] != "floor" else None
        table.add_row(
            *where,
            _fmt(run["rps"], 0),
            _fmt(run["p50_ms"]),
            _fmt(run["p99_ms"]),
            _fmt(run["ttfb_p50_ms"]) if run["stream"] else "",
            _fmt(run.get("cpu_us"), 0),
            _fmt(vs_floor),
            _fmt(run["loadgen_cpu_us_per_request"], 0),
            str(run["errors"]),
            f"{run['machine_busy'] * 100:.0f} %",
        )
    if table.row_count:
        console.print(table)
    _render_capacity(console, runs)

    detail = Table(title="Ratios by concurrency (modelswap ÷ floor CPU; modelswap ÷ LiteLLM)")
    for column in ("mode", "gateway", "conc", "CPU ÷ floor", "req/s ÷ LiteLLM", "LiteLLM CPU ÷ modelswap CPU"):
        detail.add_column(column, justify="left" if column in ("mode", "gateway") else "right")
    for mode, section in ratio.items():
        for gateway in GATEWAYS:
            for c, value in section["cpu_vs_floor"][gateway].items():
                detail.add_row(
                    mode,
                    gateway,
                    str(c),
                    _fmt(value),
                    _fmt(section["throughput_vs_litellm"][gateway][c], 1),
                    _fmt(section["cpu_capacity_vs_litellm"][gateway][c], 1),
                )
        detail.add_section()
    if detail.row_count:
        console.print(detail)

    if isolation:
        iso = Table(title="Shadow isolation: primary 50 ms, concurrency 16, rounds interleaved")
        for column in ("scenario", "requests", "errors", "p50 ms", "p99 ms", "p99.9 ms", "p99 ÷ off", "p99 per round"):
            iso.add_column(column, justify="left" if column == "scenario" else "right")
        for scenario, row in isolation.items():
            iso.add_row(
                scenario,
                str(row["requests"]),
                str(row["errors"]),
                _fmt(row["p50_ms"]),
                _fmt(row["p99_ms"]),
                _fmt(row["p999_ms"]),
                _fmt(row["p99_vs_off"], 3),
                " ".join("—" if v is None else f"{v:.1f}" for v in row["p99_per_round_ms"]),
            )
        console.print(iso)

    verdict = Table(title="Targets")
    for column in ("check", "measured", "target", "status"):
        verdict.add_column(column, justify="left" if column == "check" else "right")
    for row in found:
        value = "—" if row["value"] is None else f"{row['value']:.3g} {row['unit']}".strip()
        style = {"PASS": "green", "MISS": "red"}.get(row["status"], "yellow")
        verdict.add_row(row["check"], value, row["target"], f"[{style}]{row['status']}[/{style}]")
    console.print(verdict)
    for note in notes:
        console.print(f"[yellow]note:[/yellow] {note}")


def recording_summary(runs: list[Run], console: Console) -> dict[str, Any]:
    """Added p99/p50 at concurrency 1 and CPU per request: floor, ``record_bodies: none``, the default."""
    summary: dict[str, Any] = {}
    table = Table(title="recording bodies: the default configuration (redacted) beside none and the floor, c=1")
    for column in ("mode", "target", "p50 ms", "p99 ms", "added p50", "added p99", "CPU µs/req (c=1)", "(c=16)"):
        table.add_column(column, justify="left" if column in ("mode", "target") else "right")
    for stream in (False, True):
        direct = find(runs, "direct", stream, 1, phase="recording")
        mode: dict[str, Any] = {}
        for target in ("floor", "modelswap-route", "modelswap-default"):
            run = find(runs, target, stream, 1, phase="recording")
            wide = find(runs, target, stream, 16, phase="recording")
            added_p50 = _div_sub(run, direct, "p50_ms")
            added_p99 = _div_sub(run, direct, "p99_ms")
            mode[target] = {"added_p50_ms": added_p50, "added_p99_ms": added_p99, "cpu_us": _cpu(run)}
            table.add_row(
                MODES[stream],
                target + (" (none)" if target == "modelswap-route" else ""),
                _fmt(_get(run, "p50_ms")),
                _fmt(_get(run, "p99_ms")),
                _fmt(added_p50),
                _fmt(added_p99),
                _fmt(_cpu(run), 0),
                _fmt(_cpu(wide), 0),
            )
        floor, default = mode["floor"]["added_p99_ms"], mode["modelswap-default"]["added_p99_ms"]
        ratio = default / floor if default is not None and floor else None
        mode["default_added_p99_vs_floor"] = ratio
        mode["status"] = "—" if ratio is None else "PASS" if ratio <= DEFAULT_ADDED_P99_MAX else "MISS"
        summary[MODES[stream]] = mode
    console.print(table)
    for name, mode in summary.items():
        ratio = mode["default_added_p99_vs_floor"]
        console.print(
            f"{name}: default's added p99 ÷ floor's = {_fmt(ratio)} (target ≤ {DEFAULT_ADDED_P99_MAX:g}×) "
            f"{mode['status']}",
            highlight=False,
        )
    return summary


def _div_sub(run: Run | None, base: Run | None, key: str) -> float | None:
    value, zero = _get(run, key), _get(base, key)
    return None if value is None or zero is None else value - zero
