"""Provider kinds: the names ``provider:`` may take in the migration file, and what each implies.

A kind says which wire format its server speaks (``openai``, ``anthropic`` or ``responses``; ``None`` for the
simulator, which speaks the one its model's vendor uses), where the vendor listens by default
and which environment variable usually holds its key. The built-in kinds are declared here so
the migration file can be checked without loading any client; a provider module adds its own
kind with ``@provider(...)`` (``providers/registry.py``), which calls ``register_kind``.

>>> provider_kind("openai").default_base_url
'https://api.openai.com/v1'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ProviderKindSpec", "kind_names", "provider_kind", "register_kind"]


@dataclass(frozen=True, slots=True)
class ProviderKindSpec:
    """What a ``provider:`` name means for the migration file."""

    name: str
    wire: str | None
    """The wire format its servers speak; ``None`` when it depends on the model (the simulator)."""
    default_base_url: str | None = None
    """Where the vendor listens when the endpoint gives no ``base_url``."""
    key_env: str | None = None
    """The usual environment variable for its key; when set, ``api_key_env`` is required."""


_KINDS: dict[str, ProviderKindSpec] = {}


def register_kind(spec: ProviderKindSpec) -> ProviderKindSpec:
    """Add a kind; registering the same name again with a different spec is an error."""
    previous = _KINDS.get(spec.name)
    if previous is not None and previous != spec:
        raise ValueError(f"provider kind {spec.name!r} is already registered as {previous}")
    _KINDS[spec.name] = spec
    return spec


def provider_kind(name: str) -> ProviderKindSpec | None:
    """The kind called ``name``, or ``None``."""
    return _KINDS.get(name)


def kind_names() -> tuple[str, ...]:
    """Every registered kind, in registration order."""
    return tuple(_KINDS)


register_kind(ProviderKindSpec("openai", "openai", "https://api.openai.com/v1", "OPENAI_API_KEY"))
register_kind(ProviderKindSpec("anthropic", "anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY"))
register_kind(ProviderKindSpec("openai-responses", "responses", "https://api.openai.com/v1", "OPENAI_API_KEY"))
register_kind(ProviderKindSpec("sim", None))
