"""Safe defaults at start: what ``modelswap serve`` refuses, and what it only warns about.

A pure decision over the migration, the address to bind and the tokens found in the
environment; ``modelswap serve`` and ``modelswap.serving.serve`` call it before binding anything.
Refused, whatever the flags: a weak admin or metrics token, and a metrics token variable that is
named but not set. Refused unless ``--insecure``: listening beyond loopback with no app keys
(anyone who reaches the port spends your model budget).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from modelswap.config import Migration
from modelswap.gateway.auth import MAKE_TOKEN, token_weakness


@dataclass(frozen=True, slots=True)
class StartCheck:
    """Why the gateway must not start (``refusals``), and what it should say if it does."""

    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class UnsafeStart(ValueError):
    """The gateway refused to start; the message says why and what to change."""


def is_loopback(host: str) -> bool:
    """``host`` only accepts connections from this machine (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def weak_token_message(what: str, env: str, token: str) -> str | None:
    """Why the ``what`` held in env var ``env`` is refused and how to make a better one, else ``None``."""
    reason = token_weakness(token)
    if reason is None:
        return None
    return f"the {what} in {env} is too weak: {reason}. Make a strong one with: {MAKE_TOKEN}"


def missing_key_problems(migration: Migration) -> tuple[list[str], list[str]]:
    """(refusals, warnings) for endpoints whose ``api_key_env`` is unset: a vendor beyond this machine would
    get a request with no key (refused); a server on loopback may take none (a warning)."""
    refusals: list[str] = []
    warnings: list[str] = []
    for name, env in migration.missing_env():
        base_url = migration.endpoints[name].base_url
        host = urlsplit(base_url).hostname if base_url else None
        where = host or f"the {migration.endpoints[name].provider} API"
        problem = f"endpoints.{name}.api_key_env: ${env} is not set, so calls to {where} would carry no API key"
        if host is not None and is_loopback(host):
            warnings.append(f"{problem} (a server on this machine may take none)")
        else:
            refusals.append(f"{problem}; export {env}=... before `modelswap serve`")
    return refusals, warnings


def check_start(
    migration: Migration,
    host: str,
    *,
    app_keys: int,
    admin_token: str | None,
    metrics_token: str | None,
    insecure: bool = False,
) -> StartCheck:
    """What stands in the way of serving ``migration`` on ``host`` with these credentials."""
    g = migration.gateway
    check = StartCheck()
    refusals, warnings = missing_key_problems(migration)
    check.refusals.extend(refusals)
    check.warnings.extend(warnings)
    if admin_token is not None and (problem := weak_token_message("admin token", g.admin_token_env, admin_token)):
        check.refusals.append(problem)
    if g.metrics_token_env:
        if metrics_token is None:
            check.refusals.append(
                f"gateway.metrics_token_env names {g.metrics_token_env}, but it is not set; "
                f"set it (make one with: {MAKE_TOKEN}) or remove metrics_token_env to leave /metrics open"
            )
        elif problem := weak_token_message("metrics token", g.metrics_token_env, metrics_token):
            check.refusals.append(problem)
    if is_loopback(host):
        return check
    if app_keys == 0:
        open_api = (
            f"{host} is reachable from other machines and no app keys are set, so anyone who reaches "
            "it can use your models on your bill. Add keys (gateway.keys or gateway.keys_env; "
            "`modelswap hash-key` makes the digest), or bind 127.0.0.1"
        )
        if insecure:
            check.warnings.append(f"--insecure: {open_api}")
        else:
            check.refusals.append(f"{open_api}, or pass --insecure if something in front of it authenticates")
    if not g.metrics_token_env:
        check.warnings.append(
            f"/metrics is open to anyone who reaches {host}; set gateway.metrics_token_env to close it"
        )
    return check


def require_safe_start(migration: Migration, host: str, *, insecure: bool = False) -> list[str]:
    """The warnings to print for serving ``migration`` on ``host`` with the credentials in the
    environment, or ``UnsafeStart`` naming every refusal."""
    check = check_start(
        migration,
        host,
        app_keys=len(migration.gateway.keys) + len(migration.env_gateway_keys()),
        admin_token=migration.admin_token(),
        metrics_token=migration.metrics_token(),
        insecure=insecure,
    )
    if check.refusals:
        raise UnsafeStart("; ".join(check.refusals))
    return check.warnings
