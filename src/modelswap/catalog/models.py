"""Model prices, context windows, aliases and lifecycle dates, loaded once from ``data/models.yaml``.

``lookup`` resolves what callers actually send: exact ids, listed aliases, dated snapshots
(``gpt-4o-2024-08-06``, ``claude-sonnet-4-5-20250929``), provider prefixes (``openai/gpt-4o``,
``models/gemini-2.5-pro``) and Bedrock/Vertex spellings. A snapshot suffix is only stripped when
it *looks* like a snapshot (a date, ``-latest``, ``-001``, ``-v1:0``), so ``claude-opus-4-6`` is
never silently priced as ``claude-opus-4`` and ``o3-pro`` never as ``o3``.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from modelswap.catalog._load import DATA_DIR, CatalogDataError, read_entries, validate_entry

MODELS_FILE = DATA_DIR / "models.yaml"

_SNAPSHOT = re.compile(r"(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3}|latest))?(?:-v\d+(?::\d+)?)?")
_CLOUD_PREFIX = re.compile(r"^(?:[a-z]{2,6}\.)?(?:anthropic|openai|google|meta|mistral)\.")
_URL = r"^https://\S+$"
_MEMO_LIMIT = 4096


class Price(BaseModel):
    """List price in USD per 1M tokens; ``cached_input`` (cache reads) defaults to ``input``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: float = Field(ge=0, allow_inf_nan=False, description="USD per 1M uncached prompt tokens.")
    output: float = Field(ge=0, allow_inf_nan=False, description="USD per 1M completion tokens.")
    cached_input: float = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        validate_default=True,
        description="USD per 1M prompt tokens read from the provider's prompt cache.",
    )

    @field_validator("cached_input", mode="before")
    @classmethod
    def _cached_defaults_to_input(cls, value: Any, info: ValidationInfo) -> Any:
        return info.data.get("input", 0.0) if value is None else value

    @model_validator(mode="after")
    def _cache_is_not_dearer(self) -> Self:
        if self.cached_input > self.input:
            raise ValueError(f"cached_input ({self.cached_input}) is more than input ({self.input})")
        return self

    def usd(self, prompt_tokens: float, completion_tokens: float, cached_tokens: float = 0) -> float:
        """USD for a token count; ``cached_tokens`` is the part of ``prompt_tokens`` read from cache.

        No checks here: it runs per request (``cost`` checks via ``Usage``). Reading fields and
        one division is faster than any precomputed rate stored on a pydantic model.
        """
        return (
            (prompt_tokens - cached_tokens) * self.input
            + cached_tokens * self.cached_input
            + completion_tokens * self.output
        ) / 1_000_000


class ModelInfo(BaseModel):
    """One catalog entry: who makes the model, what it costs, and when it goes away."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Canonical model id, as the vendor's API spells it without a date.")
    vendor: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="openai, anthropic, google, ...")
    family: str = Field(min_length=1, description="Model line, e.g. gpt-5 or claude-opus.")
    display_name: str = Field(min_length=1)
    price: Price
    context_window: int | None = Field(default=None, gt=0, description="Tokens; None when not recorded.")
    max_output_tokens: int | None = Field(
        default=None, gt=0, description="Most tokens one answer may have; None when not recorded."
    )
    source: str = Field(pattern=_URL, description="Vendor page the price was read from.")
    checked: date = Field(description="Date the price was last compared with the source.")
    aliases: tuple[str, ...] = Field(default=(), description="Other ids (dated snapshots, -0 aliases).")
    deprecated: date | None = Field(default=None, description="Date the vendor announced deprecation.")
    retires: date | None = Field(default=None, description="Date requests start failing (shutdown).")
    replacement: str | None = Field(default=None, description="Vendor-recommended replacement id.")
    lifecycle_source: str | None = Field(default=None, pattern=_URL)
    note: str | None = Field(default=None, description="Assumptions and caveats, in plain words.")
    assumed: bool = Field(default=False, description="The vendor never published this id (kept so old files price).")

    @field_validator("aliases")
    @classmethod
    def _normalise_aliases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(alias.strip().lower() for alias in value)

    @model_validator(mode="after")
    def _lifecycle_is_consistent(self) -> Self:
        if self.deprecated and self.retires and self.retires < self.deprecated:
            raise ValueError(f"retires ({self.retires}) is before deprecated ({self.deprecated})")
        if (self.deprecated or self.retires) and not self.lifecycle_source:
            raise ValueError("lifecycle_source is required when deprecated or retires is set")
        return self


class UnknownModel(KeyError):
    """A model id the catalog cannot resolve; carries close matches for the error message."""

    def __init__(self, model_id: str, suggestions: Sequence[str] = (), hint: str = "") -> None:
        super().__init__(model_id)
        self.model_id = model_id
        self.suggestions = tuple(suggestions)
        self.hint = hint

    def __str__(self) -> str:
        message = f"unknown model {self.model_id!r}: not in the price catalog"
        if self.suggestions:
            message += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        return f"{message} {self.hint}".rstrip()


def normalise(model_id: str) -> str:
    """Lower-case and strip provider prefixes: ``openai/gpt-4o`` and ``us.anthropic.x`` → bare id."""
    name = model_id.strip().lower().rsplit("/", 1)[-1]
    return _CLOUD_PREFIX.sub("", name)


class Catalog:
    """An immutable set of models with alias and dated-snapshot resolution."""

    def __init__(self, models: Iterable[ModelInfo], *, origin: str = "<in memory>") -> None:
        self._models: dict[str, ModelInfo] = {}
        self._names: dict[str, str] = {}
        for info in models:
            for name in (info.id.lower(), *info.aliases):
                if name in self._names:
                    raise CatalogDataError(
                        f"{origin}: model '{info.id}': name '{name}' is already used by "
                        f"'{self._names[name]}'; every id and alias must be unique"
                    )
                self._names[name] = info.id
            self._models[info.id] = info
        self._longest_first = sorted(self._names, key=len, reverse=True)
        self._memo: dict[str, ModelInfo | None] = {}

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models)

    def lookup(self, model_id: str) -> ModelInfo | None:
        """The entry for an id, alias or dated snapshot; ``None`` when unknown."""
        try:
            return self._memo[model_id]
        except KeyError:
            pass
        found = self._resolve(normalise(model_id))
        if len(self._memo) >= _MEMO_LIMIT:  # ids come from traffic: keep the memo bounded
            self._memo.clear()
        self._memo[model_id] = found
        return found

    def require(self, model_id: str, *, hint: str = "") -> ModelInfo:
        """Like ``lookup`` but raise ``UnknownModel`` (with close matches) when unknown."""
        found = self.lookup(model_id)
        if found is None:
            raise UnknownModel(model_id, self.suggest(model_id), hint)
        return found

    def suggest(self, model_id: str, limit: int = 3) -> list[str]:
        """Known ids and aliases that look like ``model_id`` (for error messages)."""
        return difflib.get_close_matches(normalise(model_id), list(self._names), n=limit, cutoff=0.6)

    def _resolve(self, name: str) -> ModelInfo | None:
        exact = self._names.get(name)
        if exact is not None:
            return self._models[exact]
        for known in self._longest_first:
            if name.startswith(known) and _SNAPSHOT.fullmatch(name[len(known) :]):
                return self._models[self._names[known]]
        return None


def load_catalog(path: Path = MODELS_FILE) -> Catalog:
    """Read and validate a models file; raise ``CatalogDataError`` naming the file, model and field."""
    entries, lines = read_entries(path, "models")
    infos = [
        validate_entry(ModelInfo, key, payload, path=path, line=lines.get(key), kind="model", id_field="id")
        for key, payload in entries.items()
    ]
    return Catalog(infos, origin=str(path))


@functools.cache
def default_catalog() -> Catalog:
    """The packaged catalog, read once per process."""
    return load_catalog(MODELS_FILE)


def lookup(model_id: str) -> ModelInfo | None:
    """Catalog entry for a model id, alias or dated snapshot; ``None`` when unknown."""
    return default_catalog().lookup(model_id)


def require(model_id: str) -> ModelInfo:
    """Catalog entry for a model id; raise ``UnknownModel`` listing close matches when unknown."""
    return default_catalog().require(model_id)


def all_models() -> tuple[ModelInfo, ...]:
    """Every model in the packaged catalog, in data-file order."""
    return tuple(default_catalog())
