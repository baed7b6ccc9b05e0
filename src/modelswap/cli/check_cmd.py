"""``modelswap check``: validate a migration file, its golden sets and the environment it needs."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.root import app, err, fail, out, proxies_or_exit, store_or_exit

if TYPE_CHECKING:
    from modelswap.config import Migration
    from modelswap.providers.h1.proxy import ProxyRules

DEFAULT_FILE = Path("migration.yaml")


def catalog_warnings(migration: Migration, today: date) -> list[str]:
    """What the catalog knows against the migration's models: no price, deprecation, retirement."""
    from modelswap.catalog import deprecation_warnings, lookup

    found = []
    for name, endpoint in migration.endpoints.items():
        if endpoint.price is None and lookup(endpoint.model) is None:
            found.append(
                f"endpoints.{name}.model: {endpoint.model!r} has no price in the catalog; "
                "costs will not be recorded (add price: {input: ..., output: ...})"
            )
        found.extend(f"endpoints.{name}.model: {w}" for w in deprecation_warnings(endpoint.model, today))
    return found


def _which_file(file: Path | None, config: Path | None) -> Path:
    """The file to check: the argument or ``-c`` (as every other command takes it), not two different ones."""
    if file is not None and config is not None and file != config:
        raise fail(f"two migration files given ({file} and -c {config}): check one at a time")
    return file or config or DEFAULT_FILE


@app.command()
def check(
    file: Annotated[
        Path | None, typer.Argument(help="Migration file to validate [default: migration.yaml].", show_default=False)
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="The same, as other commands take it.", show_default=False)
    ] = None,
) -> None:
    """Validate a migration file; every problem names file:line:field."""
    from modelswap.config import load_migration
    from modelswap.config_errors import ConfigError

    file = _which_file(file, config)
    try:
        migration = load_migration(file)
    except ConfigError as exc:
        for issue in exc.issues:
            err.print(f"[red]✗[/] {issue}", highlight=False, soft_wrap=True)
        raise fail(f"{len(exc.issues)} problem(s) in {file}") from None
    _routing_or_exit(file, migration)
    proxies = proxies_or_exit()
    golden = _golden_sets_or_exit(file, migration)
    for endpoint, var in migration.missing_env():
        err.print(f"[yellow]![/] {file}: endpoints.{endpoint}.api_key_env: ${var} is not set in this environment")
    from modelswap.rollout.retention import lifecycle_issues

    retired, retiring = lifecycle_issues(migration, date.today())
    for warning in [*catalog_warnings(migration, date.today()), *retiring]:
        err.print(f"[yellow]![/] {file}: {warning}", highlight=False, soft_wrap=True)
    for problem in retired:
        err.print(f"[red]✗[/] {file}: {problem}", highlight=False, soft_wrap=True)
    if retired:
        raise fail(f"{file}: the migration's target model is retired; choose a current one (modelswap init picks them)")
    names = ", ".join(w.name for w in migration.workloads)
    out.print(
        f"[green]✓[/] {file}: {len(migration.endpoints)} endpoints, {len(migration.workloads)} workloads ({names})",
        highlight=False,
    )
    for line in golden:
        out.print(f"  {line}", highlight=False, soft_wrap=True)
    _print_routing(migration)
    _print_proxy_routes(migration, proxies)
    _print_untranslatable(file, migration)


def _print_routing(migration: Migration) -> None:
    """How each routed workload's new arm is served."""
    for w in migration.workloads:
        if (r := w.routing) is not None:
            from modelswap.routing.signal import build_signal

            up_front = not build_signal(r.signal).needs_answer  # built once already: it builds
            how = "decided up front" if up_front else f"streams held up to {r.buffer_max_bytes} bytes"
            out.print(
                f"  {w.name}: new arm routed {r.cheap} → {r.strong} on {r.signal['type']} "
                f"(threshold {r.threshold:g}; {how})",
                highlight=False,
                soft_wrap=True,
            )


def _routing_or_exit(file: Path, migration: Migration) -> None:
    """Build each routed workload's signal and check it fits its endpoints; problems name file:line:field."""
    from modelswap.config_errors import ConfigIssue
    from modelswap.routing.check import routing_problems
    from modelswap.yamlsource import load_yaml, read_yaml_text

    problems = routing_problems(migration)
    if not problems:
        return
    _, locs = load_yaml(read_yaml_text(file), str(file))
    for path, message in problems:
        pos = locs.find(path)
        field = ".".join(str(p) for p in path[2:])
        issue = ConfigIssue(str(file), pos.line if pos else 1, f"workloads[{path[1]}].{field}", message)
        err.print(f"[red]✗[/] {issue}", highlight=False, soft_wrap=True)
    raise fail(f"{len(problems)} problem(s) in {file}")


def _print_untranslatable(file: Path, migration: Migration) -> None:
    """Warn how much recorded traffic uses fields the new model's dialect refuses (cross-vendor only)."""
    from modelswap.inventory.untranslatable import untranslatable_usage
    from modelswap.providers.registry import wire_of_kind
    from modelswap.store import StoreURLError, store_may_hold_records

    old, new = migration.endpoints.get("old"), migration.endpoints.get("new")
    if old is None or new is None:
        return
    old_wire, new_wire = wire_of_kind(old.provider), wire_of_kind(new.provider)
    try:
        if new_wire is None or old_wire == new_wire or not store_may_hold_records(migration.store):
            return
    except StoreURLError:
        return  # config validation reports a bad store URL
    with store_or_exit(migration) as store:
        found = untranslatable_usage(store, [w.name for w in migration.workloads], new_wire)
    for usage in found:
        if usage.refused:
            fields = ", ".join(f"{name} ({count})" for name, count in usage.fields.most_common())
            err.print(
                f"[yellow]![/] {file}: workload {usage.workload}: {usage.refused} of {usage.with_body} recorded "
                f"requests use fields the new model ({new.model}) cannot honour: {fields}; they will get a 400 "
                "once it serves",
                highlight=False,
                soft_wrap=True,
            )
        elif usage.recorded and not usage.with_body:
            err.print(
                f"[yellow]![/] {file}: workload {usage.workload}: {usage.recorded} recorded requests kept no body "
                "(gateway.record_bodies: none), so untranslatable fields cannot be counted",
                highlight=False,
                soft_wrap=True,
            )


def _print_proxy_routes(migration: Migration, proxies: ProxyRules) -> None:
    """Say where each vendor call goes, so a proxy setup can be checked before serving."""
    if not proxies.any:
        return
    for name, spec in migration.endpoints.items():
        url = spec.resolved_base_url()
        if url:
            proxy = proxies.for_url(url)
            route = f"through the proxy {proxy.where}" if proxy else "direct (NO_PROXY or loopback)"
            out.print(f"  endpoints.{name}: {url} {route}", highlight=False, soft_wrap=True)


def _golden_sets_or_exit(file: Path, migration: Migration) -> list[str]:
    """Load every golden set: problems (missing file, bad lines, nothing to score) exit 1; warnings print."""
    from modelswap.evals.golden_check import check_golden_sets

    found = check_golden_sets(migration)
    for problem in found.problems:
        err.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
    for warning in found.warnings:
        err.print(f"[yellow]![/] {file}: {warning}", highlight=False, soft_wrap=True)
    if found.problems:
        raise fail(f"{len(found.problems)} problem(s) in the golden sets of {file}")
    return found.loaded
