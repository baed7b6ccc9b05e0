"""What one request costs in USD, from its token usage and a price (catalog or user override).

This runs once per request in the gateway, so it does no validation beyond ``Usage``'s own
integer checks: prices are validated once, when the catalog or the migration file is loaded,
and model-id resolution is memoised by the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from modelswap.catalog.models import Catalog, Price, default_catalog

_OVERRIDE_HINT = "Add a price for it under the migration file's price overrides."


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens of one request, OpenAI-style: ``cached_tokens`` is the part of ``prompt_tokens``
    read from the prompt cache (Anthropic reports cache reads apart: add them to the prompt)."""

    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0

    def __post_init__(self) -> None:
        for name in ("prompt_tokens", "completion_tokens", "cached_tokens"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Usage.{name} must be a non-negative integer, got {value!r}")
        if self.cached_tokens > self.prompt_tokens:
            raise ValueError(
                f"Usage.cached_tokens ({self.cached_tokens}) exceeds prompt_tokens ({self.prompt_tokens}): "
                "cached tokens are a subset of the prompt"
            )


def price_for(
    model_or_price: str | Price,
    overrides: Mapping[str, Price] | None = None,
    *,
    catalog: Catalog | None = None,
) -> Price:
    """The price to bill: a given ``Price``, else an override, else the catalog's.

    An override applies when its key is the model id as sent or the catalog id it resolves to
    (so an override for ``gpt-4o`` also prices ``gpt-4o-2024-08-06``). Unknown model without an
    override → ``UnknownModel`` listing close matches.
    """
    if isinstance(model_or_price, Price):
        return model_or_price
    if overrides:
        direct = overrides.get(model_or_price)
        if direct is not None:
            return direct
    catalog = catalog if catalog is not None else default_catalog()
    if overrides:
        info = catalog.lookup(model_or_price)
        if info is not None and info.id in overrides:
            return overrides[info.id]
    return catalog.require(model_or_price, hint=_OVERRIDE_HINT).price


def cost(
    usage: Usage,
    model_or_price: str | Price,
    overrides: Mapping[str, Price] | None = None,
    *,
    catalog: Catalog | None = None,
) -> float:
    """USD cost of one request: uncached prompt at ``input``, cached prompt at ``cached_input``,
    completion at ``output``. ``model_or_price`` is a model id (aliases resolved) or a ``Price``."""
    price = price_for(model_or_price, overrides, catalog=catalog)
    return price.usd(usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens)
