"""Which model of a family is current on a given day, and which models a scenario preset uses then.

Pure: the caller passes ``today``. The catalog lists each family oldest first, so "newest" is
the last qualifying entry of the family in catalog order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from modelswap.catalog.deprecations import DEFAULT_WITHIN_DAYS
from modelswap.catalog.models import Catalog, ModelInfo, default_catalog
from modelswap.catalog.scenarios import Scenario


class NoCurrentModel(LookupError):
    """No model of the family is live (not deprecated, not retiring within the window) on the day."""


@dataclass(frozen=True, slots=True)
class Pick:
    """One endpoint's model for a preset on a day, and the reason in one line."""

    role: str
    model: str
    reason: str


def _live(info: ModelInfo, today: date, within_days: int) -> bool:
    if info.assumed or (info.deprecated is not None and info.deprecated <= today):
        return False
    return info.retires is None or (info.retires - today).days > within_days


def _serving(info: ModelInfo, today: date) -> bool:
    return not info.assumed and (info.retires is None or info.retires > today)


def current_model(
    family: str, today: date, *, within_days: int = DEFAULT_WITHIN_DAYS, catalog: Catalog | None = None
) -> ModelInfo:
    """The newest model of ``family`` that is not deprecated and does not retire within ``within_days``."""
    members = [m for m in (catalog if catalog is not None else default_catalog()) if m.family == family]
    if not members:
        raise NoCurrentModel(f"no model family {family!r} in the catalog")
    live = [m for m in members if _live(m, today, within_days)]
    if not live:
        raise NoCurrentModel(
            f"no live model of family {family!r} on {today.isoformat()}: every one is deprecated, assumed, "
            f"or retires within {within_days} days ({', '.join(m.id for m in members)})"
        )
    return live[-1]


def _lifecycle(info: ModelInfo, today: date) -> str:
    if info.retires is not None:
        verb = "was retired" if info.retires <= today else "retires"
        return f"{verb} on {info.retires.isoformat()}"
    return "is an assumed id" if info.assumed else "is deprecated"


def pick_target(preset: Scenario, today: date, *, within_days: int, catalog: Catalog) -> Pick:
    """The preset's target while live; else its vendor replacement; else the current model of its family.

    The replacement comes before the family because a family holds several tiers (gpt-5, -mini,
    -nano): the vendor's named successor keeps the tier, the family's newest may not.
    """
    named = catalog.require(preset.to_model)
    if _live(named, today, within_days):
        return Pick("new", named.id, f"{named.id}: the preset's target, live on {today.isoformat()}")
    why = f"the preset's {named.id} {_lifecycle(named, today)}"
    successor = catalog.lookup(named.replacement) if named.replacement else None
    if successor is not None and _live(successor, today, within_days):
        return Pick("new", successor.id, f"{successor.id}: the vendor's replacement for {named.id}; {why}")
    try:
        chosen = current_model(named.family, today, within_days=within_days, catalog=catalog)
    except NoCurrentModel:
        if successor is None:
            raise
        chosen = current_model(successor.family, today, within_days=within_days, catalog=catalog)
    return Pick("new", chosen.id, f"{chosen.id}: the current {chosen.family} model on {today.isoformat()}; {why}")


def pick_source(preset: Scenario, target: str, today: date, *, catalog: Catalog) -> Pick:
    """The preset's source while it serves; else its vendor replacement; else its family's newest serving model."""
    named = catalog.require(preset.from_model)
    if _serving(named, today) and named.id != target:
        return Pick("old", named.id, f"{named.id}: the preset's source, still serving on {today.isoformat()}")
    why = f"the preset's {named.id} {_lifecycle(named, today)}"
    successor = catalog.lookup(named.replacement) if named.replacement else None
    if successor is not None and _serving(successor, today) and successor.id != target:
        return Pick("old", successor.id, f"{successor.id}: the vendor's replacement for {named.id}; {why}")
    serving = [m for m in catalog if m.family == named.family and _serving(m, today) and m.id != target]
    if not serving:
        raise NoCurrentModel(f"no model of family {named.family!r} other than {target} serves on {today.isoformat()}")
    chosen = serving[-1]
    return Pick("old", chosen.id, f"{chosen.id}: the newest {named.family} model still serving; {why}")


def preset_models(
    preset: Scenario, today: date, *, within_days: int = DEFAULT_WITHIN_DAYS, catalog: Catalog | None = None
) -> tuple[Pick, Pick]:
    """(old, new) for ``preset`` on ``today``: never a retired, assumed or soon-retiring target."""
    catalog = catalog if catalog is not None else default_catalog()
    new = pick_target(preset, today, within_days=within_days, catalog=catalog)
    return pick_source(preset, new.model, today, catalog=catalog), new
