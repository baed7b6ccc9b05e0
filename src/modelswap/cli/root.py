"""The ``modelswap`` Typer app, its consoles, and what every command shares: errors without a
traceback, the migration file, the store, the acting user.

Command modules import this and register on ``app``; ``cli/app.py`` imports them all and runs it.
Only typer, rich and the standard library are imported at the top (start-up stays light).
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from modelswap import __version__

if TYPE_CHECKING:
    from modelswap.config import Migration
    from modelswap.providers.h1.proxy import ProxyRules
    from modelswap.store import Store

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
    """Print a user-facing error (no traceback) on one line and return the exit to raise.

    The message is plain text (``[postgres]`` in a pip command is not markup) and its whitespace is folded:
    a driver's multi-line message reads whole in a CI log or after ``grep``.
    """
    from rich.markup import escape

    err.print(f"[bold red]error:[/] {escape(' '.join(message.split()))}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def load_or_exit(config: Path, *, calls_vendors: bool = True) -> Migration:
    """The migration file, or every problem in it printed (file:line:field) and exit 1.

    ``calls_vendors``: the command calls model vendors, so a bad outbound proxy stops it here
    (``rollback`` and ``stage`` only write the store: they skip that check and its imports)."""
    from modelswap.config import load_migration
    from modelswap.config_errors import ConfigError

    try:
        migration = load_migration(config)
    except ConfigError as exc:
        for issue in exc.issues:
            err.print(f"[red]✗[/] {issue}", highlight=False, soft_wrap=True)
        raise fail(f"{len(exc.issues)} problem(s) in {config}; check it with `modelswap check {config}`") from None
    if calls_vendors:
        proxies_or_exit()  # every command that calls a vendor loads the migration first: a bad proxy stops it here
    return migration


def proxies_or_exit() -> ProxyRules:
    """The outbound proxies the environment names; an unusable proxy variable is a clean exit 1."""
    from modelswap.config import proxy_environment
    from modelswap.providers.h1.proxy import ProxyRules

    try:
        return ProxyRules.from_env(proxy_environment())
    except ValueError as exc:
        raise fail(f"environment: {exc}") from None


@contextmanager
def store_or_exit(migration: Migration) -> Iterator[Store]:
    """The migration's store, open for the block; a store that cannot be opened is a clean exit 1."""
    from modelswap.store import StoreError, open_store

    try:
        store = open_store(migration.store)
    except StoreError as exc:
        raise fail(str(exc)) from None
    with store:
        yield store


def port_free_or_exit(host: str, port: int, flag: str = "--port") -> None:
    """Exit with one line if ``host:port`` cannot be bound (taken, or not an address of this machine).

    Checked before anything says "listening on ...": the server's own bind error is a traceback or a
    log line after that claim. A port taken in the instant between this check and the bind still fails, loudly.
    """
    import errno
    import socket

    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise fail(
                    f"port {port} on {host} is already in use (another modelswap?); pick another with {flag}"
                ) from None
            raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def actor(by: str | None) -> str:
    """Who did it: ``--by``, else the OS user."""
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def console_base_url(migration: Migration) -> str:
    """Where a browser on this machine reaches the console by default (wildcard binds → loopback)."""
    host = migration.gateway.host
    host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{migration.gateway.port}"


def _print_version(value: bool) -> None:
    if value:
        out.print(__version__)
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Take a production LLM workload from one model to another without breaking it."""


@app.command()
def version() -> None:
    """Print modelswap's version (also: modelswap --version)."""
    out.print(__version__)


@app.command("hash-key")
def hash_key(key: Annotated[str, typer.Argument(help="A gateway key to hash for gateway.keys.")]) -> None:
    """Print the SHA-256 of a gateway key, the form the migration file stores."""
    out.print(hashlib.sha256(key.encode()).hexdigest())
