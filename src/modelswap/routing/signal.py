"""What a router signal is, and the registry that rebuilds one from its spec.

A signal rates how far the cheap model can be trusted with one request: a confidence in [0, 1],
higher meaning "keep the cheap answer". ``@signal("name")`` registers a frozen dataclass whose
fields are its parameters, so ``spec_of(s)`` (type and every parameter) rebuilds an equal signal:

>>> s = build_signal({"type": "verifier", "scorer": {"type": "json_valid"}})
>>> build_signal(spec_of(s)) == s
True
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

import modelswap.routing.signals  # noqa: F401  (registers every built-in signal)
from modelswap.routing.signal_base import REGISTRY, Ask, Exchange, Json, Signal, SignalSpecError, signal

__all__ = [
    "Ask",
    "Exchange",
    "Json",
    "Signal",
    "SignalSpecError",
    "build_signal",
    "registered_signals",
    "signal",
    "spec_of",
]

_STRICT = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)


def registered_signals() -> dict[str, type]:
    """Registered signal types by name."""
    return dict(sorted(REGISTRY.items()))


@cache  # a class registered later under a new name is a new key
def _adapter(cls: type) -> type[BaseModel]:
    """A strict model of a signal's parameters (its init fields), so ``"yes"`` is no boolean."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        default: Any = ...
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=f.default_factory)
        fields[f.name] = (hints[f.name], default)
    return create_model(f"{cls.__name__}Params", __config__=_STRICT, **fields)


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "spec"
        if err["type"] == "extra_forbidden":
            message = "unknown parameter"
        elif err["type"] == "missing":
            message = "required parameter is missing"
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def build_signal(spec: Mapping[str, Any]) -> Signal:
    """The signal a spec describes (``SignalSpecError`` naming what is wrong otherwise)."""
    if not isinstance(spec, Mapping):
        raise SignalSpecError(spec, "a signal spec is a mapping like {type: verifier, scorer: {type: json_valid}}")
    name = spec.get("type")
    known = registered_signals()
    if not isinstance(name, str) or name not in known:
        got = "no 'type' given" if name is None else f"unknown signal type {name!r}"
        raise SignalSpecError(spec, f"{got} (known: {', '.join(known)})")
    params = {k: v for k, v in spec.items() if k != "type"}
    try:
        values = _adapter(known[name]).model_validate(params)
    except ValidationError as exc:
        raise SignalSpecError(spec, _reason(exc)) from None
    try:
        built = known[name](**dict(values))
    except SignalSpecError:
        raise
    except (ValueError, TypeError, ImportError) as exc:
        raise SignalSpecError(spec, str(exc)) from None
    return typing.cast(Signal, built)


def spec_of(s: object) -> Json:
    """The canonical spec of a registered signal: its type and every parameter."""
    name = getattr(type(s), "signal_type", None)
    if name is None or not dataclasses.is_dataclass(s):
        raise TypeError(f"{type(s).__name__} is not a registered signal (use @signal on a dataclass)")
    fields = [f for f in dataclasses.fields(s) if f.init]
    return {"type": name, **{f.name: _plain(getattr(s, f.name)) for f in fields}}


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value
