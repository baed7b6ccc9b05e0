"""Entry point: ``modelswap <command>``. Each command parses arguments and calls the library."""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from modelswap import __version__
from modelswap.catalog import deprecation_warnings, lookup
from modelswap.config import ConfigError, Migration, load_migration
from modelswap.providers.h1.proxy import ProxyRules
from modelswap.store import Store, StoreError, open_store

app = typer.Typer(
    name="modelswap",
    help="Take a production LLM workload from one model to another without breaking it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="The migration file.")]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a user-facing error (no traceback) and return the exit to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def load_or_exit(config: Path) -> Migration:
    """The migration file, or every problem in it printed (file:line:field) and exit 1."""
    try:
        migration = load_migration(config)
    except ConfigError as exc:
        for issue in exc.issues:
            err.print(f"[red]✗[/] {issue}", highlight=False, soft_wrap=True)
        raise fail(f"{len(exc.issues)} problem(s) in {config}; check it with `modelswap check {config}`") from None
    proxies_or_exit()  # every command that calls a vendor loads the migration first: a bad proxy stops it here
    return migration


def proxies_or_exit() -> ProxyRules:
    """The outbound proxies the environment names; an unusable proxy variable is a clean exit 1."""
    try:
        return ProxyRules.from_env()
    except ValueError as exc:
        raise fail(f"environment: {exc}") from None


@contextmanager
def store_or_exit(migration: Migration) -> Iterator[Store]:
    """The migration's store, open for the block; a store that cannot be opened is a clean exit 1."""
    try:
        store = open_store(migration.store)
    except StoreError as exc:
        raise fail(str(exc)) from None
    with store:
        yield store


def actor(by: str | None) -> str:
    """Who did it: ``--by``, else the OS user."""
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


@app.command()
def version() -> None:
    """Print modelswap's version."""
    out.print(__version__)


def catalog_warnings(migration: Migration, today: date) -> list[str]:
    """What the catalog knows against the migration's models: no price, deprecation, retirement."""
    out = []
    for name, endpoint in migration.endpoints.items():
        if endpoint.price is None and lookup(endpoint.model) is None:
            out.append(
                f"endpoints.{name}.model: {endpoint.model!r} has no price in the catalog; "
                "costs will not be recorded (add price: {input: ..., output: ...})"
            )
        out.extend(f"endpoints.{name}.model: {w}" for w in deprecation_warnings(endpoint.model, today))
    return out


@app.command()
def check(file: Annotated[Path, typer.Argument(help="Migration file to validate.")] = Path("migration.yaml")) -> None:
    """Validate a migration file; every problem names file:line:field."""
    try:
        migration = load_migration(file)
    except ConfigError as exc:
        for issue in exc.issues:
            err.print(f"[red]✗[/] {issue}", highlight=False, soft_wrap=True)
        raise fail(f"{len(exc.issues)} problem(s) in {file}") from None
    proxies = proxies_or_exit()
    golden = _golden_sets_or_exit(file, migration)
    for endpoint, var in migration.missing_env():
        err.print(f"[yellow]![/] {file}: endpoints.{endpoint}.api_key_env: ${var} is not set in this environment")
    for warning in catalog_warnings(migration, date.today()):
        err.print(f"[yellow]![/] {file}: {warning}", highlight=False, soft_wrap=True)
    names = ", ".join(w.name for w in migration.workloads)
    out.print(
        f"[green]✓[/] {file}: {len(migration.endpoints)} endpoints, {len(migration.workloads)} workloads ({names})",
        highlight=False,
    )
    for line in golden:
        out.print(f"  {line}", highlight=False, soft_wrap=True)
    if proxies.any:  # say where each vendor call goes, so a proxy setup can be checked before serving
        for name, spec in migration.endpoints.items():
            url = spec.resolved_base_url()
            if url:
                proxy = proxies.for_url(url)
                route = f"through the proxy {proxy.where}" if proxy else "direct (NO_PROXY or loopback)"
                out.print(f"  endpoints.{name}: {url} {route}", highlight=False, soft_wrap=True)


def _golden_sets_or_exit(file: Path, migration: Migration) -> list[str]:
    """Load every golden set: problems (missing file, bad lines, nothing to score) exit 1; warnings print."""
    from modelswap.evals.golden_check import check_golden_sets  # deferred: the evals stack is slow to import

    found = check_golden_sets(migration)
    for problem in found.problems:
        err.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
    for warning in found.warnings:
        err.print(f"[yellow]![/] {file}: {warning}", highlight=False, soft_wrap=True)
    if found.problems:
        raise fail(f"{len(found.problems)} problem(s) in the golden sets of {file}")
    return found.loaded


@app.command("hash-key")
def hash_key(key: Annotated[str, typer.Argument(help="A gateway key to hash for gateway.keys.")]) -> None:
    """Print the SHA-256 of a gateway key, the form the migration file stores."""
    out.print(hashlib.sha256(key.encode()).hexdigest())


def main() -> None:
    app(prog_name="modelswap")


# Each command module registers itself on ``app``; importing them here makes them part of it.
from modelswap.cli import demo_cmd, eval_cmd, gate_cmd, init_cmd, inventory_cmd, plan_cmd, serve_cmd, sim_cmd  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    main()
