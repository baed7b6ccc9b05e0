"""The migration file's ``routing:`` section of a workload: its new arm served as a cascade.

The cheap endpoint answers first; a registered router signal (``routing/signals/``) rates its
answer (or, for a classifier, the request) and the answer is kept when the confidence reaches
``threshold``, else the strong endpoint answers. The cascade *is* the workload's new arm, so every
gate, the plan and the rollout compare "new (routed)" with "old" unchanged.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from modelswap.config_base import SettingsModel as _Model

if TYPE_CHECKING:
    from modelswap.config_errors import ConfigIssue
    from modelswap.yamlsource import Locations

__all__ = ["Routing", "routing_issues"]


class Routing(_Model):
    """Serve the workload's new arm as a cascade: ``cheap`` first, ``strong`` when the signal doubts it.

    The cascade escalates a failed cheap call itself, so ``fallback_to_old`` does not apply to a
    routed new arm."""

    cheap: str = "new"
    """Endpoint that answers first."""
    strong: str = "old"
    """Endpoint the request is escalated to when the signal's confidence is below ``threshold``."""
    signal: dict[str, Any]
    """A router signal spec, e.g. ``{type: verifier, scorer: {type: json_valid}}`` (``modelswap check``
    builds it: logprobs, verifier, self_consistency, classifier)."""
    threshold: float = Field(default=0.5, ge=0, le=1)
    """Keep the cheap answer when the signal's confidence is at least this (``modelswap route calibrate`` writes it)."""
    streaming: Literal["buffer", "classify"] = "buffer"
    """How a streamed request is decided: ``buffer`` holds the cheap stream back (up to ``buffer_max_bytes``)
    until it can be rated; ``classify`` decides before calling anyone (needs a signal that rates the request
    alone, the classifier) and streams the chosen model directly."""
    buffer_max_bytes: int = Field(default=65536, ge=1024, le=16 * 1024 * 1024)
    """Largest cheap stream held back for rating; a longer one is escalated (the client has seen nothing yet)."""

    @field_validator("signal")
    @classmethod
    def _typed(cls, value: dict[str, Any]) -> dict[str, Any]:
        kind = value.get("type")
        if not isinstance(kind, str) or not kind:
            raise ValueError("a signal spec names its type, e.g. {type: verifier, scorer: {type: json_valid}}")
        return value

    @model_validator(mode="after")
    def _two_models(self) -> Routing:
        if self.cheap == self.strong:
            raise ValueError(f"cheap and strong must be different endpoints; both are {self.cheap!r}")
        return self


def routing_issues(
    endpoints: Collection[str], routings: Sequence[Routing | None], locs: Locations
) -> list[ConfigIssue]:
    """Each ``routing.cheap`` / ``routing.strong`` that names no endpoint, located in the file
    (``routings``: each workload's ``routing``, in file order)."""
    from modelswap.config_errors import ConfigIssue

    issues = []
    for index, routing in enumerate(routings):
        if routing is None:
            continue
        for role in ("cheap", "strong"):
            name = getattr(routing, role)
            if name in endpoints:
                continue
            path = ("workloads", index, "routing", role)
            pos = locs.find(path)
            issues.append(
                ConfigIssue(
                    locs.file,
                    pos.line if pos else 1,
                    f"workloads[{index}].routing.{role}",
                    f"{name!r} is not an endpoint; known: {', '.join(sorted(endpoints))}",
                )
            )
    return issues
