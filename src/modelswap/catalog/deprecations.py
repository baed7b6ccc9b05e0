"""Human warnings about a model's deprecation and retirement, from the catalog's lifecycle dates.

Pure: the caller passes ``today`` (the rollout controller's clock, a fixed date in tests).
"""

from __future__ import annotations

from datetime import date, datetime

from modelswap.catalog.models import Catalog, ModelInfo, default_catalog, normalise

DEFAULT_WITHIN_DAYS = 90


def deprecation_warnings(
    model_id: str,
    today: date,
    within_days: int = DEFAULT_WITHIN_DAYS,
    *,
    catalog: Catalog | None = None,
) -> list[str]:
    """Messages for a model that is retired, retires within ``within_days``, or is deprecated.

    An empty list means nothing is known against it (including a model not in the catalog).
    """
    if within_days < 0:
        raise ValueError(f"within_days must be >= 0, got {within_days}")
    info = (catalog if catalog is not None else default_catalog()).lookup(model_id)
    if info is None:
        return []
    if isinstance(today, datetime):  # datetime is a date, but does not compare with one
        today = today.date()
    return lifecycle_messages(info, today, within_days, requested=model_id)


def lifecycle_messages(info: ModelInfo, today: date, within_days: int, *, requested: str = "") -> list[str]:
    """The warnings for one catalog entry on ``today`` (see ``deprecation_warnings``)."""
    name = f"{info.id} ({info.display_name})"
    if requested and normalise(requested) != info.id:
        name = f"{requested!r} (catalog entry {info.id}, {info.display_name})"
    tail = _tail(info)
    retires = info.retires
    if retires is not None and retires <= today:
        return [f"{name} was retired on {retires.isoformat()}: requests to it fail.{tail}"]
    deprecated = info.deprecated if info.deprecated is not None and info.deprecated <= today else None
    since = f" is deprecated since {deprecated.isoformat()} and" if deprecated else ""
    if retires is not None and (retires - today).days <= within_days:
        days = (retires - today).days
        when = "tomorrow" if days == 1 else f"in {days} days"
        return [f"{name}{since} retires on {retires.isoformat()} ({when}); after that requests fail.{tail}"]
    if deprecated is not None:
        later = f"retires on {retires.isoformat()}" if retires else "no retirement date is published yet"
        return [f"{name} is deprecated since {deprecated.isoformat()}; {later}.{tail}"]
    return []


def _tail(info: ModelInfo) -> str:
    parts = []
    if info.replacement:
        parts.append(f" Vendor-recommended replacement: {info.replacement}.")
    if info.lifecycle_source:
        parts.append(f" Source: {info.lifecycle_source}")
    return "".join(parts)
