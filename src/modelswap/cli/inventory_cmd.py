"""``modelswap inventory`` and ``modelswap spend``: which workloads use the old model, and what they cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.formats import LOG_FORMATS, FlagError, ReportFlags, report_flags
from modelswap.cli.root import app, err, fail, load_or_exit, out
from modelswap.cli.tables import fit

if TYPE_CHECKING:  # the inventory stack (DuckDB, numpy) is imported when a command runs: start-up stays light
    from rich.console import RenderableType

    from modelswap.config import Migration
    from modelswap.inventory import ColumnMapping, Inventory

LOG_FORMAT_HELP = "Log format: auto (detected from the content) or " + ", ".join(LOG_FORMATS[1:]) + "."
FORMAT_HELP = "Output format: table (for people), md (Markdown) or json. (Deprecated: -f with a log format.)"
OUTPUT_HELP = "Write the md or json report to this file. (Deprecated: -o table|md|json as the format.)"
OUT_HELP = "Deprecated: use -f/--format."


def _flags(format: str | None, output: str | None, out_format: str | None, log_format: str | None) -> ReportFlags:
    try:
        return report_flags(format, output, out_format, log_format)
    except FlagError as exc:
        raise fail(str(exc)) from None


def _emit(flags: ReportFlags, text: str, rendered: RenderableType | None) -> None:
    """Print the table (``rendered``) or the md/json ``text``, or write the text to ``-o``."""
    if flags.output is not None:
        try:
            flags.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {flags.output}: {exc}") from None
        err.print(f"wrote {flags.format} report to {flags.output}", highlight=False, soft_wrap=True)
    elif rendered is not None:
        out.print(fit(rendered))
    else:
        out.print(text, end="", markup=False, highlight=False, soft_wrap=True)


def _load(config: Path | None) -> Migration | None:
    return None if config is None else load_or_exit(config)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    pairs = {}
    for value in values or []:
        key, sep, val = value.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise fail(f"{option} expects KEY=VALUE, got {value!r}")
        pairs[key.strip()] = val.strip()
    return pairs


def _mapping(columns: list[str] | None, columns_file: Path | None) -> ColumnMapping | None:
    from modelswap.inventory import ColumnMapping
    from modelswap.yamlsource import YamlError, load_data, read_yaml_text

    given: dict[str, str] = {}
    if columns_file is not None:
        try:
            data = load_data(read_yaml_text(columns_file), str(columns_file))
        except YamlError as exc:
            raise fail(f"{exc} (the column mapping)") from None
        except OSError as exc:
            raise fail(f"{columns_file}: cannot read the column mapping: {exc}") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise fail(f"{columns_file}: expected a mapping of field: column, e.g. 'timestamp: created_at'")
        given.update({str(k): v for k, v in data.items()})
    given.update(_pairs(columns, "--column"))
    if not given:
        return None
    try:
        return ColumnMapping(given)
    except ValueError as exc:
        raise fail(str(exc)) from None


@app.command()
def inventory(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="Log files, directories or store URLs (default: the migration file's store)."),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="The migration file.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help=FORMAT_HELP, show_default=False)] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help=OUTPUT_HELP, show_default=False)] = None,
    log_format: Annotated[str | None, typer.Option("--log-format", help=LOG_FORMAT_HELP, show_default=False)] = None,
    out_format: Annotated[str | None, typer.Option("--out", help=OUT_HELP, show_default=False)] = None,
    column: Annotated[
        list[str] | None, typer.Option("--column", help="FIELD=COLUMN for a generic CSV/JSONL log (repeatable).")
    ] = None,
    columns_file: Annotated[Path | None, typer.Option("--columns", help="A YAML file of field: column.")] = None,
    name: Annotated[
        list[str] | None,
        typer.Option(
            "--name",
            help="Name a proposed workload by its fingerprint: 3f2a9c1b=support-chat (repeatable). "
            "P1=… also works for display, not with --accept-workloads.",
        ),
    ] = None,
    accept: Annotated[
        bool,
        typer.Option("--accept-workloads", help="Add the proposed workloads to the migration file (shows them first)."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Write accepted workloads without asking.")] = False,
    all_models: Annotated[bool, typer.Option("--all-models", help="Count every model, not only the old one.")] = False,
    save: Annotated[bool, typer.Option(help="Store the inventory as evidence in the migration's store.")] = True,
    baseline: Annotated[
        bool, typer.Option("--baseline", help="Also store a baseline snapshot (with the old model's pass rate).")
    ] = False,
) -> None:
    """Which workloads use the old model today: volume, tokens, cost (old, new, candidates), latency."""
    from modelswap.inventory import InventoryError, render_table, take_inventory, to_json, to_markdown

    flags = _flags(fmt, output, out_format, log_format)
    migration = _load(config)
    locations = _locations(sources, migration, accept=accept, baseline=baseline)
    mapping = _mapping(column, columns_file)
    names = _pairs(name, "--name")
    now = datetime.now(UTC)
    try:
        inv = take_inventory(
            locations,
            migration=migration,
            fmt=flags.log_format,
            mapping=mapping,
            all_models=all_models,
            names=names,
            now=now,
        )
    except InventoryError as exc:  # NamingError too: a --name that names no proposal, or clashes
        raise fail(str(exc)) from None
    text = {"json": to_json, "md": to_markdown}.get(flags.format, lambda _: "")(inv)
    _emit(flags, text, render_table(inv) if flags.format == "table" else None)
    if migration is not None and accept:
        _refuse_p_numbers(inv, names)
        _accept(migration, inv, yes)
    if migration is not None and (save or baseline):
        _save(migration, inv, baseline, now)


def _locations(sources: list[str] | None, migration: Migration | None, *, accept: bool, baseline: bool) -> list[str]:
    """The logs to read: those named, else the migration's store; what needs -c says so."""
    if accept and migration is None:
        raise fail("--accept-workloads writes into the migration file: give it with -c")
    if baseline and migration is None:
        raise fail("--baseline stores the snapshot in the migration's store: give the file with -c")
    if sources:
        return list(sources)
    if migration is None:
        raise fail("name the logs to read (files, directories or a store URL), or give -c to read its store")
    return [migration.store]


def _refuse_p_numbers(inv: Inventory, names: dict[str, str]) -> None:
    """P-numbers are positions in this run's table: writing by them could name the wrong cluster."""
    from modelswap.inventory.naming import p_numbers

    numbered = p_numbers(names)
    if not numbered:
        return
    by_id = {p.id: p for p in inv.proposals}
    fixes = [f"--name {by_id[k.upper()].fingerprints[0]}={names[k]}" for k in numbered if k.upper() in by_id]
    raise fail(
        f"--accept-workloads writes to the migration file: name proposals by fingerprint, not by their place in "
        f"the table ({', '.join(numbered)}), which changes with the logs read. In this run that is: "
        + " ".join(fixes)
        + ". Nothing was written"
    )


def _accept(migration: Migration, inv: Inventory, yes: bool) -> None:
    from modelswap.inventory import Accepted, InventoryError, write_accepted
    from modelswap.inventory.writeback import preview_accepted

    if not inv.proposals:
        err.print("nothing to accept: every request belongs to a known workload")
        return
    items = []
    for p in inv.proposals:
        per_day = inv.workload(p.name).requests_per_day
        prompt = " ".join((p.example_system or "no system prompt").split())[:60]
        items.append(Accepted(p.name, p.fingerprints[:20], f'{per_day:,.1f} requests/day; system prompt "{prompt}"'))
    try:
        preview = preview_accepted(migration.source, items)
    except (InventoryError, OSError) as exc:
        raise fail(str(exc)) from None
    err.print(f"To be added to {migration.source}:", highlight=False, soft_wrap=True)
    err.print(preview, markup=False, highlight=False, end="", soft_wrap=True)
    if not yes:
        try:
            confirmed = typer.confirm(f"Write these {len(items)} workload(s)?", default=False, err=True)
        except typer.Abort:
            confirmed = False
        if not confirmed:
            raise fail("nothing written (confirm, or pass --yes to write without asking)")
    try:
        write_accepted(migration.source, items)
    except InventoryError as exc:
        raise fail(str(exc)) from None
    err.print(
        f"[green]✓[/] added {len(items)} workload(s) to {migration.source}: {', '.join(i.name for i in items)} "
        "(apps tag their requests with the header x-modelswap-workload from now on)",
        highlight=False,
    )


def _save(migration: Migration, inv: Inventory, baseline: bool, now: datetime) -> None:
    from modelswap.inventory import record_baseline, record_inventory
    from modelswap.store import StoreError, open_store

    try:
        with open_store(migration.store) as store:
            record_inventory(store, inv)
            if baseline:
                rows = record_baseline(store, inv, now)
                for row in rows:
                    err.print(f"baseline {row.figures['summary']}", highlight=False, soft_wrap=True)
                    for warning in row.figures.get("warnings") or []:
                        err.print(f"[bold red]! baseline {row.workload}: {warning}[/]", highlight=False, soft_wrap=True)
    except StoreError as exc:
        raise fail(f"could not store the inventory as evidence: {exc}") from None


@app.command()
def spend(
    config: Annotated[Path, typer.Option("--config", "-c", help="The migration file.")] = Path("migration.yaml"),
    days: Annotated[int | None, typer.Option(help="Only the last N days (default: everything recorded).")] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help=FORMAT_HELP, show_default=False)] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help=OUTPUT_HELP, show_default=False)] = None,
    out_format: Annotated[str | None, typer.Option("--out", help=OUT_HELP, show_default=False)] = None,
) -> None:
    """Actual cost per workload per day through the gateway, against the baseline: the saving so far and at 100 %."""
    import orjson

    from modelswap.inventory import InventoryError, render_spend, spend_dict, spend_markdown, spend_report
    from modelswap.inventory.readers.store import open_existing
    from modelswap.store import StoreError

    flags = _flags(fmt, output, out_format, None)
    if flags.log_format != "auto":
        raise fail(f"spend reads the gateway's store, not logs: -f takes table, md or json; got {fmt!r}")
    migration = load_or_exit(config)
    now = datetime.now(UTC)
    since = now - timedelta(days=days) if days is not None else None
    try:
        with open_existing(migration.store) as store:
            report = spend_report(store, [w.name for w in migration.workloads], since=since, until=now)
    except (InventoryError, StoreError) as exc:
        raise fail(str(exc)) from None
    text = ""
    if flags.format == "json":
        text = orjson.dumps(spend_dict(report), option=orjson.OPT_INDENT_2).decode() + "\n"
    elif flags.format == "md":
        text = spend_markdown(report)
    _emit(flags, text, render_spend(report) if flags.format == "table" else None)
