"""The provider registry: ``@provider("name")`` on an ``Upstream`` class makes ``provider: name`` work.

The class's ``dialect`` is the wire its servers speak; the gateway translates from the
other dialect when an app calls in that one. A new provider is one module that defines its
class and registers it (and is imported by ``providers/__init__.py``, or by a test)::

    @provider("acme", base_url="https://api.acme.example/v1", key_env="ACME_API_KEY")
    class AcmeUpstream(OpenAIUpstream):
        ...

The kind is also recorded in ``catalog/providers.py``, which the migration file is checked
against (so ``modelswap check`` names every known provider without loading any client).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar, cast

from modelswap.catalog.providers import ProviderKindSpec, kind_names, register_kind
from modelswap.providers.base import Dialect, Upstream
from modelswap.providers.h1 import Timeouts
from modelswap.providers.http import HttpPool

__all__ = ["DIALECTS", "NativeUpstream", "native_class", "provider", "registered", "wire_of_kind"]

DIALECTS: tuple[Dialect, ...] = ("openai", "anthropic", "responses")
"""The wire formats modelswap speaks and translates between."""


class NativeUpstream(Protocol):
    """How the factory builds a registered provider's client (the built-in classes' constructor)."""

    def __call__(
        self,
        name: str,
        model: str,
        base_url: str,
        api_key: str,
        pool: HttpPool,
        timeout_s: float | Timeouts = 60.0,
        *,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Upstream: ...


C = TypeVar("C", bound=type)

_REGISTRY: dict[str, type] = {}


def provider(name: str, *, base_url: str | None = None, key_env: str | None = None) -> Callable[[C], C]:
    """Register an ``Upstream`` class as provider kind ``name`` (its ``dialect`` is the wire it speaks)."""

    def register(cls: C) -> C:
        wire = getattr(cls, "dialect", None)
        if wire not in DIALECTS:
            raise TypeError(f"@provider({name!r}): {cls.__name__}.dialect must be one of {DIALECTS}, got {wire!r}")
        previous = _REGISTRY.get(name)
        if previous is not None and previous.__qualname__ != cls.__qualname__:
            raise ValueError(
                f"provider kind {name!r} is already registered by {previous.__module__}.{previous.__qualname__}"
            )
        register_kind(ProviderKindSpec(name, wire, base_url, key_env))
        _REGISTRY[name] = cls
        return cls

    return register


def registered() -> dict[str, type]:
    """Registered provider classes by kind."""
    return dict(_REGISTRY)


def native_class(kind: str, endpoint: str = "?") -> NativeUpstream:
    """The class registered as ``kind`` (``ValueError`` naming the known kinds otherwise)."""
    cls = _REGISTRY.get(kind)
    if cls is None:
        known = ", ".join(repr(k) for k in _REGISTRY)
        raise ValueError(f"endpoint {endpoint!r}: unknown provider kind {kind!r}; use one of {known}")
    return cast(NativeUpstream, cls)


def wire_of_kind(kind: str) -> Dialect | None:
    """The wire a provider kind speaks; ``None`` when it depends on the model (the simulator)."""
    cls = _REGISTRY.get(kind)
    if cls is not None:
        wire: Dialect = cls.dialect  # type: ignore[attr-defined]
        return wire
    if kind not in kind_names():
        raise ValueError(f"unknown provider kind {kind!r}")
    return None
