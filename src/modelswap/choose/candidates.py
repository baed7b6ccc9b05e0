"""Which models ``modelswap choose`` compares: endpoint names or catalog ids, minus retired ones (pure).

A candidate is an endpoint of the migration file (``new``, or any extra endpoint), or a model id
the price catalog knows (``gpt-4o-mini``). A catalog id gets an ad-hoc endpoint reaching it the
way the file already reaches that vendor: when ``old`` runs on the simulator, the simulator
(which speaks both vendors' wire formats); otherwise a copy of the first endpoint (``old``,
``new``, then the others in file order) whose model is the same vendor's, with the model id
swapped and no price override (the catalog prices it); a catalog id that an endpoint other than
``old`` already serves is that endpoint. No such endpoint: an error asking for
one, since modelswap cannot guess a base URL or where the key lives.

Lifecycle: the catalog's dates on ``today`` (the caller's clock). A retired model is left out
with a line saying so; one that is deprecated or retires within 90 days is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from modelswap.catalog import Catalog, ModelInfo
from modelswap.catalog.deprecations import DEFAULT_WITHIN_DAYS, lifecycle_messages
from modelswap.catalog.models import default_catalog
from modelswap.config import Endpoint, Migration

MAX_CANDIDATES = 32
"""Each candidate is a run of every golden set: more than this in one choice is a typo, not a plan."""
MAX_NAME = 200


class ChooseError(ValueError):
    """The choice cannot be made as asked (unknown candidate, no way to reach a vendor, nothing left)."""


@dataclass(frozen=True, slots=True)
class Candidates:
    """The candidates to run, the endpoints to add for catalog ids, and what was left out or flagged."""

    arms: tuple[str, ...]
    added: dict[str, Endpoint] = field(default_factory=dict)
    """Ad-hoc endpoints for catalog ids, by arm name."""
    excluded: tuple[str, ...] = ()
    """One line per retired candidate left out."""
    flags: dict[str, str] = field(default_factory=dict)
    """Arm → a lifecycle warning (deprecated, retires soon)."""


def _vendor_of(model: str, catalog: Catalog) -> str | None:
    info = catalog.lookup(model)
    return info.vendor if info else None


def adhoc_endpoint(migration: Migration, info: ModelInfo, catalog: Catalog) -> Endpoint:
    """An endpoint reaching catalog model ``info`` as the migration file reaches its vendor."""
    old = migration.endpoints["old"]
    if old.provider == "sim":
        return old.model_copy(update={"model": info.id, "price": None})
    order = ["old", "new", *(n for n in migration.endpoints if n not in ("old", "new"))]
    for name in order:
        endpoint = migration.endpoints[name]
        if endpoint.provider != "sim" and _vendor_of(endpoint.model, catalog) == info.vendor:
            return endpoint.model_copy(update={"model": info.id, "price": None})
    raise ChooseError(
        f"candidate {info.id!r} is a {info.vendor} model, and no endpoint of {migration.source} reaches "
        f"{info.vendor}: add one under endpoints: (provider, base_url, api_key_env) and name it instead"
    )


def _resolve(migration: Migration, name: str, catalog: Catalog) -> tuple[str, Endpoint | None]:
    """(arm name, endpoint to add or None for an endpoint of the file)."""
    if name == "old":
        raise ChooseError("'old' is the baseline every candidate is compared with, not a candidate")
    if name in migration.endpoints:
        return name, None
    info = catalog.lookup(name)
    if info is None:
        close = catalog.suggest(name)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ChooseError(
            f"unknown candidate {name!r}: neither an endpoint of {migration.source} "
            f"({', '.join(migration.endpoints)}) nor a model in the price catalog{hint}"
        )
    for endpoint_name, endpoint in migration.endpoints.items():  # a model the file already reaches: that endpoint
        if endpoint_name != "old" and catalog.lookup(endpoint.model) == info:
            return endpoint_name, None
    return info.id, adhoc_endpoint(migration, info, catalog)


def resolve_candidates(
    migration: Migration,
    names: Sequence[str],
    today: date,
    *,
    catalog: Catalog | None = None,
    within_days: int = DEFAULT_WITHIN_DAYS,
) -> Candidates:
    """The candidates named (default: every endpoint but ``old``), resolved, retired ones left out."""
    catalog = catalog if catalog is not None else default_catalog()
    long = [n for n in names if len(n) > MAX_NAME]
    if long:
        raise ChooseError(
            f"candidate name of {len(long[0]):,} characters: an endpoint name or model id is at most {MAX_NAME}"
        )
    if len(set(names)) > MAX_CANDIDATES:
        raise ChooseError(f"{len(set(names))} candidates: at most {MAX_CANDIDATES} in one choice")
    wanted = list(dict.fromkeys(names)) or ["new", *(n for n in migration.endpoints if n not in ("old", "new"))]
    arms: list[str] = []
    added: dict[str, Endpoint] = {}
    excluded: list[str] = []
    flags: dict[str, str] = {}
    for name in wanted:
        arm, endpoint = _resolve(migration, name, catalog)
        if arm in arms:
            continue
        model = endpoint.model if endpoint else migration.endpoints[arm].model
        info = catalog.lookup(model)
        messages = lifecycle_messages(info, today, within_days, requested=model) if info else []
        if info is not None and info.retires is not None and info.retires <= today:
            excluded.append(f"{arm} left out: {messages[0]}")
            continue
        if messages:
            flags[arm] = messages[0]
        arms.append(arm)
        if endpoint is not None:
            added[arm] = endpoint
    if not arms:
        raise ChooseError("no candidate left to compare" + (f" ({'; '.join(excluded)})" if excluded else ""))
    return Candidates(tuple(arms), added, tuple(excluded), flags)


def with_candidates(migration: Migration, candidates: Candidates) -> Migration:
    """The migration with the ad-hoc endpoints added (the file itself is not changed)."""
    if not candidates.added:
        return migration
    copy = migration.model_copy(update={"endpoints": {**migration.endpoints, **candidates.added}})
    copy._source = migration.source
    return copy
