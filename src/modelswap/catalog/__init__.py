"""The catalog: model prices, aliases, lifecycle dates and migration scenario presets.

Data lives in ``catalog/data/*.yaml``; this package validates it once and answers lookups.
"""

from modelswap.catalog._load import CatalogDataError
from modelswap.catalog.cost import Usage, cost, price_for
from modelswap.catalog.deprecations import deprecation_warnings
from modelswap.catalog.models import (
    Catalog,
    ModelInfo,
    Price,
    UnknownModel,
    all_models,
    load_catalog,
    lookup,
    require,
)
from modelswap.catalog.scenarios import (
    PlanImpact,
    Risk,
    Scenario,
    SuggestedGate,
    TypicalSaving,
    UnknownScenario,
    catalog_saving,
    scenario,
    scenarios,
)

__all__ = [
    "Catalog",
    "CatalogDataError",
    "ModelInfo",
    "PlanImpact",
    "Price",
    "Risk",
    "Scenario",
    "SuggestedGate",
    "TypicalSaving",
    "UnknownModel",
    "UnknownScenario",
    "Usage",
    "all_models",
    "catalog_saving",
    "cost",
    "deprecation_warnings",
    "load_catalog",
    "lookup",
    "price_for",
    "require",
    "scenario",
    "scenarios",
]
