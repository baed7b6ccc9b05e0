"""How fast the inventory reads a big request log, next to a straightforward pandas implementation.

In one run, on this machine:

1. generate a 10-million-line OpenAI-style request log (JSONL, ~1 kB a line: the request with
   its system prompt and user message, the full chat.completion response with usage, time,
   latency, TTFT for streamed calls); five workloads over 14 days: three tagged (two by a
   ``metadata`` field, one by a ``user`` prefix), two untagged (their system prompts differ per
   request only by a date or a number, so they must be clustered), 1 % failures and 5 % of
   the traffic on another model (counted apart). It is cached in the temp directory;
2. ``modelswap.inventory.take_inventory`` on it, in a fresh process (wall time, peak RSS);
3. the same numbers with pandas (``read_json(lines=True, chunksize=...)``, ``.str.get`` on the
   nested fields, ``groupby``), in a fresh process;
4. compare every figure: counts, token sums, cost, error counts exactly; percentiles to 1e-12
   relative (both are linear interpolation between order statistics, numpy's default).

    .venv/bin/python bench/inventory_scale.py                  # 10 M lines (generation ~2 min the first time)
    .venv/bin/python bench/inventory_scale.py --lines 1000000  # a quicker look

Targets: inventory ≤ 30 s wall, ≥ 3× faster than pandas, ≤ 2 GB peak RSS, identical numbers.
Prints a Rich table for people and one ``BENCH_JSON {...}`` line for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

WALL_MAX_S = 30.0
VS_PANDAS_MIN = 3.0
PEAK_MAX_MB = 2048.0
REL_TOL = 1e-12
DAYS = 14
GENERATOR_VERSION = 3

MIGRATION = """\
version: 1
name: inventory-bench
store: sqlite:///modelswap.db
endpoints:
  old: {provider: sim, model: gpt-4o}
  new: {provider: sim, model: gpt-5}
  cheap: {provider: sim, model: gpt-4o-mini}
workloads:
  - name: support-chat
    match: [{metadata: {workload: support-chat}}]
  - name: ticket-triage
    match: [{user_prefix: "triage-"}]
  - name: extraction
    match: [{metadata: {workload: extraction}}]
"""

SUPPORT = (
    "You are the customer support assistant for Northwind Outfitters, an online retailer of outdoor gear. "
    "Answer questions about orders, shipping, returns and product care. Be concise, warm and accurate; never "
    "invent order details: when you need an order, ask for its number and look it up with the tools provided. "
    "Refunds above 200 EUR, chargebacks and legal complaints go to a human agent: say so and stop. Reply in "
    "the customer's language. Do not discuss competitors, pricing strategy or internal processes."
)
TRIAGE = (
    "Classify the support ticket below into exactly one category: billing, shipping, returns, product, "
    "account, other. Also rate urgency from 1 (can wait) to 3 (customer blocked). Reply with JSON only: "
    '{"category": "...", "urgency": 1}. No prose, no markdown.'
)
EXTRACTION = (
    "Extract the invoice fields from the document text: invoice_number, issue_date (ISO 8601), due_date, "
    "supplier_name, supplier_vat_id, currency, net_total, vat_total, gross_total and line_items (description, "
    "quantity, unit_price). Use null for anything absent. Reply with one JSON object that matches the schema."
)
SUMMARY = (
    "You summarise recorded sales calls for account managers. Today is 2025-03-{day}. Write five bullet points: "
    "the customer's goal, objections raised, products discussed, agreed next steps with owners and dates, and "
    "risks to the deal. Quote the customer where it matters. Keep it under 120 words."
)
REVIEW = (
    "You review pull requests for the payments service (ticket PAY-{n}). Point out bugs, missing tests, unsafe "
    "handling of money amounts (floats, rounding), missing idempotency keys and logging of personal data. Be "
    "specific: cite file and line. Approve only when nothing blocks the merge."
)


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def generate(path: Path, lines: int) -> None:
    """Write the benchmark log with DuckDB (parallel; about a minute per 5 M lines here)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    u = "((hash(i, {k}) % 1000000) / 1000000.0)"
    bucket = "(hash(i, 1) % 100)"
    normal = f"(sqrt(-2 * ln({u.format(k=2)} + 1e-9)) * cos(2 * pi() * {u.format(k=3)}))"
    latency_mu = (
        f"CASE WHEN {bucket} < 40 THEN 7.2 WHEN {bucket} < 65 THEN 6.0 WHEN {bucket} < 80 THEN 7.6 ELSE 8.0 END"
    )
    system = (
        f"CASE WHEN {bucket} < 40 OR {bucket} >= 95 THEN {_sql_text(SUPPORT)} "
        f"WHEN {bucket} < 65 THEN {_sql_text(TRIAGE)} WHEN {bucket} < 80 THEN {_sql_text(EXTRACTION)} "
        f"WHEN {bucket} < 90 THEN replace({_sql_text(SUMMARY)}, '{{day}}', lpad((1 + i % 14)::VARCHAR, 2, '0')) "
        f"ELSE replace({_sql_text(REVIEW)}, '{{n}}', (hash(i, 9) % 9000 + 1000)::VARCHAR) END"
    )
    user_msg = (
        f"CASE WHEN {bucket} < 40 OR {bucket} >= 95 THEN 'Hi, my order NW-' || (hash(i, 4) % 900000 + 100000) || "
        "' was supposed to arrive on Friday but tracking has not moved for three days. Can you check what is going "
        "on and whether I can still get it before my trip next week?' "
        f"WHEN {bucket} < 65 THEN 'Ticket #' || (hash(i, 4) % 90000 + 10000) || ': I was charged twice for my "
        "last order and the second charge is still pending on my card. Please refund it.' "
        f"WHEN {bucket} < 80 THEN 'INVOICE No. INV-' || (hash(i, 4) % 90000) || ' Date: 2025-02-11 Supplier: "
        "Alpine Textiles GmbH VAT DE812345678 Items: 40 x Merino base layer 32.50 EUR ... Net 1300.00 VAT 247.00' "
        "ELSE 'Transcript excerpt: ... we would need SSO before the pilot, and the budget is approved for Q3 ...' END"
    )
    prompt_tokens = (
        f"CASE WHEN {bucket} < 40 OR {bucket} >= 95 THEN 900 + hash(i, 5) % 2400 WHEN {bucket} < 65 "
        f"THEN 180 + hash(i, 5) % 120 WHEN {bucket} < 80 THEN 1200 + hash(i, 5) % 3000 "
        "ELSE 2500 + hash(i, 5) % 6000 END"
    )
    completion_tokens = (
        f"CASE WHEN {bucket} < 40 OR {bucket} >= 95 THEN 40 + hash(i, 6) % 400 WHEN {bucket} < 65 "
        f"THEN 8 + hash(i, 6) % 10 WHEN {bucket} < 80 THEN 150 + hash(i, 6) % 350 ELSE 120 + hash(i, 6) % 200 END"
    )
    failed = f"({u.format(k=7)} < 0.01)"
    streamed = f"({bucket} < 40 OR {bucket} >= 95)"
    query = f"""
    COPY (
      SELECT
        strftime(TIMESTAMP '2025-03-01' + to_microseconds((i * ({DAYS} * 86400000000 // {lines}))::BIGINT),
                 '%Y-%m-%dT%H:%M:%S.%fZ') AS timestamp,
        round(exp({latency_mu} + 0.45 * {normal}), 1) AS latency_ms,
        CASE WHEN {streamed} AND NOT {failed} THEN round(120 + 400 * {u.format(k=8)}, 1) END AS ttft_ms,
        CASE WHEN {failed} THEN 500 ELSE 200 END AS status,
        struct_pack(
          model := CASE WHEN {bucket} >= 95 THEN 'gpt-4o-mini' ELSE 'gpt-4o' END,
          messages := [struct_pack(role := 'system', content := {system}),
                       struct_pack(role := 'user', content := {user_msg})],
          temperature := 0.2,
          stream := {streamed},
          "user" := CASE WHEN {bucket} >= 40 AND {bucket} < 65 THEN 'triage-' || (hash(i, 10) % 20)
                         ELSE 'cust-' || (hash(i, 10) % 200000) END,
          metadata := CASE WHEN {bucket} < 40 OR {bucket} >= 95 THEN MAP {{'workload': 'support-chat', 'app': 'web'}}
                           WHEN {bucket} >= 65 AND {bucket} < 80 THEN MAP {{'workload': 'extraction', 'app': 'ap'}}
                           ELSE MAP {{'app': 'internal'}} END
        ) AS request,
        CASE WHEN NOT {failed} THEN struct_pack(
          id := 'chatcmpl-' || md5(i::VARCHAR)[:24],
          object := 'chat.completion',
          created := 1740787200 + (i * ({DAYS} * 86400 // {lines}))::BIGINT,
          model := CASE WHEN {bucket} >= 95 THEN 'gpt-4o-mini-2024-07-18' ELSE 'gpt-4o-2024-08-06' END,
          choices := [struct_pack(index := 0, message := struct_pack(role := 'assistant',
            content := 'Thanks for waiting. I checked order NW-' || (hash(i, 4) % 900000 + 100000) ||
                       ': it left our warehouse on Tuesday and is with the carrier. It should arrive by Thursday.'),
            finish_reason := 'stop')],
          usage := struct_pack(
            prompt_tokens := {prompt_tokens},
            completion_tokens := {completion_tokens},
            total_tokens := {prompt_tokens} + {completion_tokens},
            prompt_tokens_details := struct_pack(cached_tokens := CASE WHEN hash(i, 11) % 3 = 0
                                                 THEN ({prompt_tokens}) // 1024 * 1024 ELSE 0 END),
            completion_tokens_details := struct_pack(reasoning_tokens := 0)),
          system_fingerprint := 'fp_f9f4fb6dbf') END AS response,
        CASE WHEN {failed} THEN struct_pack(message := 'The server had an error while processing your request.',
                                            type := 'server_error') END AS error
      FROM range({lines}) AS t(i)
    ) TO {_sql_text(str(path))} (FORMAT json)
    """
    tmp = path.with_suffix(".partial")
    con.execute(query.replace(_sql_text(str(path)), _sql_text(str(tmp))))
    tmp.replace(path)


# ---- the two implementations, each run in its own process ------------------------------------------


def run_inventory(log: Path, migration: Path) -> dict[str, Any]:
    from modelswap.config import load_migration
    from modelswap.inventory import take_inventory

    started = time.perf_counter()
    inv = take_inventory([str(log)], migration=load_migration(migration))
    wall = time.perf_counter() - started
    figures = {}
    for w in inv.workloads:
        key = w.name if w.proposal is None else "proposal:" + _normal(w.proposal.example_system or "")
        figures[key] = _figures(
            w.requests,
            w.errors,
            w.prompt_tokens,
            w.completion_tokens,
            w.cached_tokens,
            w.cost_per_day["old"],
            w.cost_per_day["new"],
            [w.latency_ms.p50, w.latency_ms.p95, w.latency_ms.p99],
            [w.ttft_ms.p50, w.ttft_ms.p95, w.ttft_ms.p99],
        )
    return {
        "wall_s": wall,
        "figures": figures,
        "days": inv.period.days if inv.period else 0,
        "other_models": inv.other_models,
        "records": sum(r.records for r in inv.reports),
    }


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[0-9]+", "#", text)).strip()[:400]


def _figures(
    requests: int,
    errors: int,
    pt: int,
    ct: int,
    cached: int,
    old: float | None,
    new: float | None,
    latency: list[float | None],
    ttft: list[float | None],
) -> dict[str, Any]:
    return {
        "requests": int(requests),
        "errors": int(errors),
        "prompt_tokens": int(pt),
        "completion_tokens": int(ct),
        "cached_tokens": int(cached),
        "cost_old_per_day": old,
        "cost_new_per_day": new,
        "latency_ms": [None if v is None else float(v) for v in latency],
        "ttft_ms": [None if v is None else float(v) for v in ttft],
    }


def run_pandas(log: Path, migration: Path) -> dict[str, Any]:
    """The same inventory the way one would write it with pandas: read in chunks, extract, group."""
    import numpy as np
    import pandas as pd

    from modelswap.catalog import price_for
    from modelswap.config import load_migration
    from modelswap.providers.wiring import price_overrides

    started = time.perf_counter()
    parts = []
    for chunk in pd.read_json(log, lines=True, chunksize=250_000, dtype=False):
        request, response = chunk["request"], chunk["response"]
        usage = response.str.get("usage")
        messages = request.str.get("messages")
        first = messages.str.get(0)
        system = first.str.get("content").where(first.str.get("role") == "system")
        metadata = request.str.get("metadata")
        tag = metadata.str.get("workload")
        user = request.str.get("user")
        workload = np.where(
            tag == "support-chat",
            "support-chat",
            np.where(
                user.str.startswith("triage-").fillna(False),
                "ticket-triage",
                np.where(tag == "extraction", "extraction", None),
            ),
        )
        part = pd.DataFrame(
            {
                "ts": pd.to_datetime(chunk["timestamp"], utc=True),
                "model": response.str.get("model").fillna(request.str.get("model")),
                "workload": workload,
                "system": system,
                "prompt_tokens": usage.str.get("prompt_tokens"),
                "completion_tokens": usage.str.get("completion_tokens"),
                "cached_tokens": usage.str.get("prompt_tokens_details").str.get("cached_tokens").fillna(0),
                "latency_ms": chunk["latency_ms"].astype(float),
                "ttft_ms": chunk["ttft_ms"].astype(float),
                "failed": (chunk["status"] >= 400) | chunk["error"].notna(),
            }
        )
        part["workload"] = part["workload"].fillna("proposal:" + part["system"].fillna("").map(_normal))
        parts.append(part.drop(columns=["system"]))
    df = pd.concat(parts, ignore_index=True)
    old_model = load_migration(migration).endpoints["old"].model
    in_scope = df["model"].isin([m for m in df["model"].unique() if m.startswith(old_model) and "mini" not in m])
    other = df.loc[~in_scope, "model"].value_counts().to_dict()
    df = df[in_scope]
    days = (df["ts"].max().normalize() - df["ts"].min().normalize()).days + 1
    mig = load_migration(migration)
    old, new = (price_for(mig.endpoints[n].model, price_overrides(mig)) for n in ("old", "new"))
    figures = {}
    for name, g in df.groupby("workload"):
        ok = g[~g["failed"]]
        pt, ct, cached = (int(g[c].sum()) for c in ("prompt_tokens", "completion_tokens", "cached_tokens"))
        latency = ok["latency_ms"].dropna()
        ttft = ok["ttft_ms"].dropna()
        figures[str(name)] = _figures(
            len(g),
            int(g["failed"].sum()),
            pt,
            ct,
            cached,
            old.usd(pt, ct, cached) / days,
            new.usd(pt, ct, cached) / days,
            list(latency.quantile([0.5, 0.95, 0.99])) if len(latency) else [None] * 3,
            list(ttft.quantile([0.5, 0.95, 0.99])) if len(ttft) else [None] * 3,
        )
    return {
        "wall_s": time.perf_counter() - started,
        "figures": figures,
        "days": int(days),
        "other_models": {str(k): int(v) for k, v in other.items()},
        "records": int(len(df) + sum(other.values())),
    }


# ---- the run ---------------------------------------------------------------------------------------


def _child(phase: str, log: Path, migration: Path) -> tuple[dict[str, Any], float]:
    """Run one phase in a fresh process; (its result with its CPU seconds, its peak RSS in MB)."""
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--phase",
            phase,
            "--log",
            str(log),
            "--migration",
            str(migration),
            "--result",
            str(out),
        ]
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{phase} failed (exit {proc.returncode})")
    result = json.loads(out.read_text())
    out.unlink()
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result, usage.ru_maxrss / 1024


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b), 1e-300)


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Every difference between two results' figures (empty: identical within the stated tolerance)."""
    problems = []
    if a["days"] != b["days"] or a["other_models"] != b["other_models"] or a["records"] != b["records"]:
        problems.append(
            f"totals differ: {a['days'], a['other_models'], a['records']} vs "
            f"{b['days'], b['other_models'], b['records']}"
        )
    fa = {k: v for k, v in a["figures"].items() if v["requests"]}
    fb = {k: v for k, v in b["figures"].items() if v["requests"]}
    if set(fa) != set(fb):
        problems.append(f"workloads differ: {sorted(fa)} vs {sorted(fb)}")
    for name in sorted(set(fa) & set(fb)):
        x, y = fa[name], fb[name]
        for key in ("requests", "errors", "prompt_tokens", "completion_tokens", "cached_tokens"):
            if x[key] != y[key]:
                problems.append(f"{name}: {key} {x[key]} vs {y[key]}")
        for key in ("cost_old_per_day", "cost_new_per_day"):
            if not _close(x[key], y[key]):
                problems.append(f"{name}: {key} {x[key]} vs {y[key]}")
        for key in ("latency_ms", "ttft_ms"):
            if not all(_close(p, q) for p, q in zip(x[key], y[key], strict=True)):
                problems.append(f"{name}: {key} {x[key]} vs {y[key]}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--skip-pandas", action="store_true", help="Only time the inventory (no comparison).")
    parser.add_argument("--phase", choices=["inventory", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--migration", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        run = run_inventory if args.phase == "inventory" else run_pandas
        args.result.write_text(json.dumps(run(args.log, args.migration)))
        return

    from rich.console import Console
    from rich.table import Table

    console = Console()
    work = Path(tempfile.gettempdir()) / "modelswap-bench"
    work.mkdir(exist_ok=True)
    log = work / f"inventory-v{GENERATOR_VERSION}-{args.lines}.jsonl"
    migration = work / "inventory-migration.yaml"
    migration.write_text(MIGRATION)
    generated_s = None
    if not log.exists():
        console.print(f"generating {args.lines:,} lines into {log} ...")
        started = time.perf_counter()
        generate(log, args.lines)
        generated_s = time.perf_counter() - started
    size = log.stat().st_size

    inventory, inventory_mb = _child("inventory", log, migration)
    pandas, pandas_mb = (None, None) if args.skip_pandas else _child("pandas", log, migration)
    problems = compare(inventory, pandas) if pandas is not None else []
    ratio = pandas["wall_s"] / inventory["wall_s"] if pandas is not None else None

    checks = {
        "wall": inventory["wall_s"] <= WALL_MAX_S,
        "vs_pandas": ratio is not None and ratio >= VS_PANDAS_MIN,
        "peak_memory": inventory_mb <= PEAK_MAX_MB,
        "identical": pandas is not None and not problems,
    }
    table = Table(title=f"Inventory of {args.lines:,} lines ({size / 1e9:.2f} GB, {size / args.lines:.0f} B/line)")
    for col in ("implementation", "wall s", "CPU s", "lines/s", "peak RSS MB"):
        table.add_column(col, justify="right" if col != "implementation" else "left")
    table.add_row(
        "modelswap inventory",
        f"{inventory['wall_s']:.1f}",
        f"{inventory['cpu_s']:.1f}",
        f"{args.lines / inventory['wall_s']:,.0f}",
        f"{inventory_mb:,.0f}",
    )
    if pandas is not None:
        table.add_row(
            "pandas (read_json chunks)",
            f"{pandas['wall_s']:.1f}",
            f"{pandas['cpu_s']:.1f}",
            f"{args.lines / pandas['wall_s']:,.0f}",
            f"{pandas_mb:,.0f}",
        )
    console.print(table)
    verdict = Table(title="Targets")
    for col in ("target", "measured", "result"):
        verdict.add_column(col)
    verdict.add_row(f"wall ≤ {WALL_MAX_S:.0f} s", f"{inventory['wall_s']:.1f} s", _mark(checks["wall"]))
    verdict.add_row(
        f"≥ {VS_PANDAS_MIN:.0f}× pandas", "—" if ratio is None else f"{ratio:.1f}×", _mark(checks["vs_pandas"])
    )
    verdict.add_row(f"peak RSS ≤ {PEAK_MAX_MB:,.0f} MB", f"{inventory_mb:,.0f} MB", _mark(checks["peak_memory"]))
    verdict.add_row(
        "numbers identical (percentiles to 1e-12)",
        "—" if pandas is None else ("yes" if not problems else f"{len(problems)} difference(s)"),
        _mark(checks["identical"]),
    )
    console.print(verdict)
    for p in problems[:20]:
        console.print(f"[red]difference:[/] {p}", highlight=False)
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    payload = {
        "bench": "inventory_scale",
        "lines": args.lines,
        "bytes": size,
        "generated_s": generated_s,
        "inventory": {"wall_s": inventory["wall_s"], "cpu_s": inventory["cpu_s"], "peak_rss_mb": inventory_mb},
        "pandas": None
        if pandas is None
        else {"wall_s": pandas["wall_s"], "cpu_s": pandas["cpu_s"], "peak_rss_mb": pandas_mb},
        "speedup_vs_pandas": ratio,
        "differences": problems,
        "checks": checks,
        "machine": machine,
    }
    print("BENCH_JSON " + json.dumps(payload))


def _mark(ok: bool) -> str:
    return "[green]PASS[/]" if ok else "[red]MISS[/]"


if __name__ == "__main__":
    main()
