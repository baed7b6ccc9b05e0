"""Which model names a request may use for a migrated model: the endpoints' models and names,
and every alias or dated snapshot the catalog resolves to the same model."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from modelswap.catalog import lookup

__all__ = ["ModelNames"]

_MEMO_LIMIT = 4096


class ModelNames:
    """Tells migrated model names from others (pure; memoised per name, bounded). ``name in names``
    asks ``migrated``; iterating gives the exact names, for messages."""

    def __init__(self, endpoint_names: Iterable[str], models: Iterable[str]) -> None:
        models = tuple(models)
        self.exact = frozenset({*endpoint_names, *models})
        """Names served as they are: endpoint names (``old``, ``new``) and their model ids."""
        self._catalog_ids = frozenset(info.id for info in map(lookup, models) if info is not None)
        self._memo: dict[str, bool] = {}

    def migrated(self, name: str) -> bool:
        """Whether ``name`` is a migrated model: ``gpt-4o``, ``gpt-4o-2024-08-06`` and ``openai/gpt-4o``
        when ``gpt-4o`` is an endpoint's model; not ``gpt-4o-mini``, nor ``gpt-4o-2024-05-13`` (priced
        and retired apart in the catalog)."""
        if name in self.exact:
            return True
        known = self._memo.get(name)
        if known is None:
            info = lookup(name) if self._catalog_ids else None
            known = info is not None and info.id in self._catalog_ids
            if len(self._memo) >= _MEMO_LIMIT:  # names come from traffic: keep the memo bounded
                self._memo.clear()
            self._memo[name] = known
        return known

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.migrated(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.exact)

    def __len__(self) -> int:
        return len(self.exact)
