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
from modelswap.providers.translate import request_to_anthropic, request_to_openai
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

    The fields each direction refuses exist only in the other dialect, so a record's body is
    checked as it is, whichever endpoint it came in on."""
    refused = (request_to_anthropic if target == "anthropic" else request_to_openai).untranslatable_fields
    found = []
    for name in workloads:
        usage = WorkloadUsage(name)
        for row in store.requests.recent(name, limit=limit):
            usage.recorded += 1
            if not isinstance(row.request_body, dict):
                continue
            usage.with_body += 1
            used = refused(row.request_body)
            if used:
                usage.refused += 1
                usage.fields.update(used)
        found.append(usage)
    return found
