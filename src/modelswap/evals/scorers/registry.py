"""The scorer registry: ``@scorer("name")`` registers a class; a spec dict rebuilds an instance.

>>> s = build_scorer({"type": "regex", "pattern": "^4[0-9]$"})
>>> build_scorer(spec_of(s)) == s
True

Parameters are validated strictly (types, unknown keys, required ones) before the scorer's
own checks (a regex that compiles, a schema that is valid); every failure is a
``ScorerSpecError`` naming the spec.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from modelswap.evals.errors import ScorerSpecError
from modelswap.evals.scorers.base import PairwiseScorer, Scorer, ScorerContext, spec_fields

T = TypeVar("T", bound=type)

TYPE_KEYS = ("type", "scorer")
"""Keys that may name a spec's scorer type (``type`` is canonical; ``scorer`` as in ``{scorer: regex}``)."""

_REGISTRY: dict[str, type] = {}
_ALIASES: dict[str, str] = {}


def scorer(name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
    """Register a scorer dataclass under ``name`` (and ``aliases``); its fields are its parameters."""

    def register(cls: T) -> T:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"@scorer({name!r}) needs a dataclass, got {cls.__name__}")
        previous = _REGISTRY.get(name)
        if previous is not None and previous.__qualname__ != cls.__qualname__:
            raise ValueError(
                f"scorer type {name!r} is already registered by {previous.__module__}.{previous.__qualname__}"
            )
        cls.scorer_type = name  # type: ignore[attr-defined]
        _REGISTRY[name] = cls
        for alias in aliases:
            _ALIASES[alias] = name
        _params_model.cache_clear()
        return cls

    return register


def registered() -> dict[str, type]:
    """Registered scorer types by name (aliases not included)."""
    return dict(sorted(_REGISTRY.items()))


def is_pairwise(cls: type) -> bool:
    """Whether a scorer class compares two outputs rather than scoring one."""
    return callable(getattr(cls, "compare", None))


@cache
def _params_model(cls: type) -> type[BaseModel]:
    # Parameters become fields named p_<name> (aliased back), so one called "schema" cannot shadow BaseModel's.
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in spec_fields(cls):
        if f.default is not dataclasses.MISSING:
            spec = Field(f.default, alias=f.name)
        elif f.default_factory is not dataclasses.MISSING:
            spec = Field(default_factory=f.default_factory, alias=f.name)
        else:
            spec = Field(alias=f.name)
        fields[f"p_{f.name}"] = (hints[f.name], spec)
    config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)
    model: type[BaseModel] = create_model(f"{cls.__name__}Spec", __config__=config, **fields)
    return model


def _format_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "spec"
        message = "unknown parameter" if err["type"] == "extra_forbidden" else err["msg"]
        if err["type"] == "missing":
            message = "required parameter is missing"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def resolve_type(spec: Any) -> tuple[str, type, dict[str, Any]]:
    """The canonical type name, class and parameters of a spec (unknown type → ``ScorerSpecError``)."""
    if not isinstance(spec, Mapping):
        raise ScorerSpecError(spec, "a scorer spec is a mapping like {'type': 'equals', 'value': '42'}")
    given = [k for k in TYPE_KEYS if k in spec]
    if not given:
        raise ScorerSpecError(spec, "no 'type' given")
    if len(given) > 1:
        raise ScorerSpecError(spec, "give the scorer type once, as 'type' (not also as 'scorer')")
    name = spec[given[0]]
    if not isinstance(name, str):
        raise ScorerSpecError(spec, "'type' must be a string")
    canonical = _ALIASES.get(name, name)
    cls = _REGISTRY.get(canonical)
    if cls is None:
        known = ", ".join(sorted([*_REGISTRY, *_ALIASES]))
        raise ScorerSpecError(spec, f"unknown scorer type {name!r} (known: {known})")
    return canonical, cls, {k: v for k, v in spec.items() if k != given[0]}


def _instantiate(spec: Any, context: ScorerContext | None) -> object:
    _, cls, params = resolve_type(spec)
    try:
        values = _params_model(cls).model_validate(params)
    except ValidationError as exc:
        raise ScorerSpecError(spec, _format_errors(exc)) from None
    kwargs = {f.name: getattr(values, f"p_{f.name}") for f in spec_fields(cls)}
    if any(f.metadata.get("context") for f in dataclasses.fields(cls)):
        kwargs["context"] = context
    try:
        return cls(**kwargs)
    except ScorerSpecError:
        raise
    except (ValueError, TypeError, ImportError) as exc:
        raise ScorerSpecError(spec, str(exc)) from None


def build_scorer(spec: Mapping[str, Any], context: ScorerContext | None = None) -> Scorer:
    """The scorer a spec describes; ``context`` supplies a judge upstream or an embedder where needed."""
    _, cls, _ = resolve_type(spec)
    if is_pairwise(cls):
        raise ScorerSpecError(spec, f"{cls.scorer_type} compares two outputs; build it with build_pairwise_scorer")  # type: ignore[attr-defined]
    return typing.cast(Scorer, _instantiate(spec, context))


def build_pairwise_scorer(spec: Mapping[str, Any], context: ScorerContext | None = None) -> PairwiseScorer:
    """The pairwise scorer (old vs new) a spec describes."""
    _, cls, _ = resolve_type(spec)
    if not is_pairwise(cls):
        raise ScorerSpecError(spec, f"{cls.scorer_type} scores one output; build it with build_scorer")  # type: ignore[attr-defined]
    return typing.cast(PairwiseScorer, _instantiate(spec, context))


def check_spec(spec: Any) -> None:
    """Raise ``ScorerSpecError`` unless ``spec`` builds a single-output scorer (no context needed to check)."""
    build_scorer(spec)
