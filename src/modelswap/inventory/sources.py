"""What the inventory reads (a ``Source``) and what it found while reading (a ``ReadReport``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Format = str
"""A log format's name: one registered in ``readers/registry.py`` (``openai`` request/response
JSONL, ``batch`` (Batch API output), ``litellm`` (SpendLogs CSV/JSON), ``langfuse`` (observations
export CSV/JSON/JSONL), ``csv``/``jsonl`` (generic, with a column mapping), or one a module adds)
or ``store`` (modelswap's own records)."""

Layout = Literal["jsonl", "json-array", "csv", "database"]
"""How records are laid out in a file: one JSON object per line, one JSON array, CSV with a header, or a database."""


@dataclass(frozen=True, slots=True)
class Source:
    """One input: a file path (or a store URL), its format and layout."""

    location: str
    """A file path, or a database URL for ``store``."""
    format: Format
    layout: Layout
    companion: tuple[str, ...] | None = None
    """For ``batch``: the Batch API *input* files whose ``custom_id``s give each request's prompt."""
    columns: tuple[str, ...] = ()
    """For CSV: the header's column names."""
    sample_paths: Mapping[str, int] | None = None
    """JSON key paths seen in the first records, with how many had each (``$``: how many records
    there were); readers skip field spellings the log does not use."""


@dataclass(frozen=True, slots=True)
class Malformed:
    """One record the inventory could not use, and why."""

    where: str
    """``line 17`` (JSONL), ``record 17`` (JSON array) or ``row 17`` / ``line 17`` (CSV)."""
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ReadReport:
    """What reading one source produced: records used, records refused (with the first few shown)."""

    location: str
    format: Format
    records: int
    """Records read and used."""
    malformed: int
    """Records refused; nothing is dropped silently."""
    examples: tuple[Malformed, ...] = ()
    """The first refused records, in file order."""
    by_reason: dict[str, int] = field(default_factory=dict)
    """Refused records per reason."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Records deliberately left out, per reason (blank lines, Langfuse spans that are not LLM calls)."""
    companion: tuple[str, ...] = ()
    """Files read alongside (a Batch API input file)."""


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file given (or found in a directory) that holds nothing to read: skipped, and reported."""

    location: str
    reason: str
    """``empty file``, ``only blank lines``, ``an empty JSON array``."""

    def __str__(self) -> str:
        return f"{self.location}: skipped ({self.reason})"
