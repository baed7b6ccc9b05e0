"""How much recorded traffic uses request fields the new model's dialect cannot honour.

A cross-vendor migration refuses some requests with a 400 once the new model serves
(OpenAI's ``logprobs`` for a Claude model, say). ``untranslatable_usage`` reads the
recorded request bodies and counts, per workload, the requests that would be refused and
which fields they use, so ``modelswap check`` can say so before the cutover.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from modelswap.providers.base import Dialect
from modelswap.providers.translate.request_to_anthropic import untranslatable_fields
from modelswap.store import Store

__all__ = ["WorkloadUsage", "untranslatable_usage"]


@dataclass(slots=True)
class WorkloadUsage:
    """One workload's recorded requests: how many kept a body, how many of those would be refused."""

    workload: str
    recorded: int = 0
    with_body: int = 0
    refused: int = 0
    fields: Counter[str] = field(default_factory=Counter)


def untranslatable_usage(
    store: Store, workloads: Iterable[str], target: Dialect, *, limit: int = 50_000
) -> list[WorkloadUsage]:
    """Per workload, the latest ``limit`` records checked against what ``target`` can honour.

    Only an Anthropic target refuses fields today (the OpenAI → Claude direction); an
    OpenAI target counts nothing."""
    found = []
    for name in workloads:
        usage = WorkloadUsage(name)
        for row in store.requests.recent(name, limit=limit):
            usage.recorded += 1
            if not isinstance(row.request_body, dict):
                continue
            usage.with_body += 1
            used = untranslatable_fields(row.request_body) if target == "anthropic" else []
            if used:
                usage.refused += 1
                usage.fields.update(used)
        found.append(usage)
    return found
