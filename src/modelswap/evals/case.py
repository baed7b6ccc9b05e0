"""A golden case and a golden set: what to ask a model, and what a right answer looks like."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelswap.evals.jsontext import dumps

Json = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One golden case, read from line ``line`` of ``source``.

    ``messages`` is always the OpenAI-format conversation to send; when the case was written
    as ``prompt`` + ``vars`` the messages are the rendered prompt as one user message, and
    ``prompt`` and ``vars`` keep what was written. ``assertions`` are scorer specs
    (``{"type": "equals", "value": "42"}``), already checked to build. Treat the dicts as read-only.
    """

    id: str
    workload: str
    messages: tuple[Json, ...]
    expected: Json = field(default_factory=dict)
    assertions: tuple[Json, ...] = ()
    tools: tuple[Json, ...] | None = None
    tags: tuple[str, ...] = ()
    prompt: str | None = None
    vars: Json = field(default_factory=dict)
    description: str | None = None
    metadata: Json = field(default_factory=dict)
    source: str = ""
    line: int = 0

    @property
    def where(self) -> str:
        """``file:line`` of the case, for messages."""
        return f"{self.source}:{self.line}"

    def request_body(self, model: str, **extra: Any) -> Json:
        """An OpenAI chat-completions request body asking ``model`` this case."""
        body: Json = {"model": model, "messages": [dict(m) for m in self.messages]}
        if self.tools:
            body["tools"] = [dict(t) for t in self.tools]
        body.update(extra)
        return body

    def expected_text(self) -> str | None:
        """The expected answer as text: ``expected["value"]``, the sole expected field, else all of it as JSON."""
        if not self.expected:
            return None
        if "value" in self.expected:
            value = self.expected["value"]
        elif len(self.expected) == 1:
            (value,) = self.expected.values()
        else:
            value = self.expected
        return value if isinstance(value, str) else dumps(value)


@dataclass(frozen=True)
class GoldenSet:
    """The cases of one golden-set file, with the sha256 of its bytes (what an eval run records)."""

    path: Path
    sha256: str
    format: str
    cases: tuple[Case, ...]
    subset_of: str | None = None
    """When these are only the first cases of the file (a ``--limit`` run): the whole file's sha256."""

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def by_id(self) -> dict[str, Case]:
        """Cases by id (ids are unique within a set)."""
        return {case.id: case for case in self.cases}

    def workloads(self) -> list[str]:
        """The workloads the cases belong to, in first-seen order."""
        return list(dict.fromkeys(case.workload for case in self.cases))


def subset_digest(whole_sha256: str, cases: int) -> str:
    """The digest a run on the first ``cases`` cases of a golden file (sha256 ``whole_sha256``) records:
    a subset is never mistaken for the whole file."""
    return hashlib.sha256(f"{whole_sha256}:first:{cases}".encode()).hexdigest()
