"""Building the upstream an endpoint needs: native client, dialect translation, retries."""

from __future__ import annotations

from collections.abc import Mapping

import modelswap.providers.anthropic
import modelswap.providers.openai  # noqa: F401
from modelswap.providers.base import Dialect, Upstream
from modelswap.providers.h1 import Timeouts
from modelswap.providers.http import HttpPool
from modelswap.providers.registry import DIALECTS, native_class, wire_of_kind
from modelswap.providers.retry import Retrying, RetryPolicy
from modelswap.providers.retry_budget import RetryBudget
from modelswap.providers.translating import AnthropicOverOpenAI, OpenAIOverAnthropic

__all__ = ["ProviderKind", "build_upstream"]

ProviderKind = str
"""A registered provider kind (``providers/registry.py``): ``openai``, ``anthropic`` or one added by a module."""


def build_upstream(
    provider_kind: ProviderKind,
    name: str,
    model: str,
    base_url: str,
    api_key: str,
    pool: HttpPool,
    *,
    dialect: Dialect,
    timeout_s: float | Timeouts = 60.0,
    max_retries: int = 2,
    extra_headers: Mapping[str, str] | None = None,
    max_retry_after_s: float | None = None,
    only_unsent: bool = False,
    budget: RetryBudget | None = None,
) -> Upstream:
    """An upstream for ``model`` at ``base_url`` that speaks ``dialect`` to its caller.

    ``provider_kind`` is the wire format the server speaks (the simulator too); when it
    differs from ``dialect`` the native upstream is wrapped in a translator. Retries
    wrap the outside, so a retried stream restarts translation from scratch. With ``budget``
    the upstream is always wrapped (the budget also decides whether the caller may retry);
    ``only_unsent`` limits its own retries to requests that never left (the serving path).
    """
    cls = native_class(provider_kind, name)
    if dialect not in DIALECTS:
        raise ValueError(f"endpoint {name!r}: unknown dialect {dialect!r}; use 'openai' or 'anthropic'")
    native = cls(name, model, base_url, api_key, pool, timeout_s, extra_headers=extra_headers)
    upstream: Upstream = native
    if dialect != wire_of_kind(provider_kind):
        upstream = OpenAIOverAnthropic(native) if dialect == "openai" else AnthropicOverOpenAI(native)
    if max_retries > 0 or budget is not None:
        policy = RetryPolicy(max_retries=max_retries, max_retry_after_s=max_retry_after_s, only_unsent=only_unsent)
        upstream = Retrying(upstream, policy, budget=budget)
    return upstream
