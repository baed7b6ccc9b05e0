"""Building the upstream an endpoint needs: native client, dialect translation, retries."""

from __future__ import annotations

from collections.abc import Mapping

import modelswap.providers.anthropic
import modelswap.providers.openai
import modelswap.providers.openai_responses  # noqa: F401
from modelswap.providers.base import Dialect, Upstream
from modelswap.providers.h1 import Timeouts
from modelswap.providers.http import HttpPool
from modelswap.providers.registry import DIALECTS, native_class
from modelswap.providers.responses_translating import ChatOverResponses, ResponsesOverChat
from modelswap.providers.retry import Retrying, RetryPolicy
from modelswap.providers.retry_budget import RetryBudget
from modelswap.providers.translating import AnthropicOverOpenAI, OpenAIOverAnthropic

__all__ = ["ProviderKind", "build_upstream", "translated"]

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
    differs from ``dialect`` the native upstream is wrapped in translators (``translated``).
    Retries wrap the outside, so a retried stream restarts translation from scratch. With ``budget``
    the upstream is always wrapped (the budget also decides whether the caller may retry);
    ``only_unsent`` limits its own retries to requests that never left (the serving path).
    """
    cls = native_class(provider_kind, name)
    if dialect not in DIALECTS:
        raise ValueError(f"endpoint {name!r}: unknown dialect {dialect!r}; use one of {DIALECTS}")
    native = cls(name, model, base_url, api_key, pool, timeout_s, extra_headers=extra_headers)
    upstream = translated(native, dialect)
    if max_retries > 0 or budget is not None:
        policy = RetryPolicy(max_retries=max_retries, max_retry_after_s=max_retry_after_s, only_unsent=only_unsent)
        upstream = Retrying(upstream, policy, budget=budget)
    return upstream


def translated(native: Upstream, dialect: Dialect) -> Upstream:
    """``native`` spoken to in ``dialect``: chat completions are the hub between the others
    (a Responses app on a Claude model goes Responses → chat → Messages, and back)."""
    if native.dialect == dialect:
        return native
    if native.dialect == "anthropic":
        chat: Upstream = OpenAIOverAnthropic(native)
    elif native.dialect == "responses":
        chat = ChatOverResponses(native)
    else:
        chat = native
    if dialect == "openai":
        return chat
    return ResponsesOverChat(chat) if dialect == "responses" else AnthropicOverOpenAI(chat)
