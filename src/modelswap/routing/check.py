"""What ``modelswap check`` says about each routed workload: does its signal build, and can it work
with the endpoints and streaming mode written? Each problem carries the path of the field at fault."""

from __future__ import annotations

from collections.abc import Mapping

from modelswap.config import Endpoint, Migration
from modelswap.providers.registry import wire_of_kind
from modelswap.providers.wiring import speaks_anthropic
from modelswap.routing.signal import build_signal

__all__ = ["Path", "routing_problems"]

Path = tuple[str | int, ...]


def endpoint_wire(endpoint: Endpoint) -> str | None:
    """The wire the endpoint's vendor speaks (a simulator endpoint: by its model's family)."""
    if endpoint.provider == "sim":
        return "anthropic" if speaks_anthropic(endpoint.model) else "openai"
    return wire_of_kind(endpoint.provider)


def routing_problems(migration: Migration, endpoints: Mapping[str, Endpoint] | None = None) -> list[tuple[Path, str]]:
    """(field path, what is wrong) for every routed workload whose cascade cannot work as written."""
    endpoints = endpoints if endpoints is not None else migration.endpoints
    problems: list[tuple[Path, str]] = []
    for index, workload in enumerate(migration.workloads):
        routing = workload.routing
        if routing is None:
            continue
        where: Path = ("workloads", index, "routing")
        try:
            signal = build_signal(routing.signal)
        except ValueError as exc:
            problems.append(((*where, "signal"), str(exc)))
            continue
        if routing.streaming == "classify" and signal.needs_answer:
            problems.append(
                (
                    (*where, "streaming"),
                    f"classify decides before any model answers, but a {routing.signal['type']} signal rates an "
                    "answer; use a classifier signal, or streaming: buffer",
                )
            )
        unsupported = getattr(signal, "unsupported", None)
        cheap = endpoints.get(routing.cheap)
        if unsupported is not None and cheap is not None and (reason := unsupported(endpoint_wire(cheap))):
            problems.append(((*where, "signal"), f"with cheap endpoint {routing.cheap!r} ({cheap.model}): {reason}"))
    return problems
