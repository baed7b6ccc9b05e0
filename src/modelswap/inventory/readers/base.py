"""What a reader returns, and the options readers take."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Where = Literal["line", "record", "row"]


@dataclass(frozen=True, slots=True)
class Lazy:
    """How to get the system prompt, a user message and the tools of records no rule recognises.

    They are needed only for those records (to fingerprint and show them), so they are extracted
    after the rules ran, for those records only: ``items`` are (alias, SQL) extractions, ``fields``
    maps ``system_prompt``, ``user_text`` and ``tools`` to SQL over the aliases or over ``carry``,
    the source columns the records keep for this.
    """

    items: tuple[tuple[str, str], ...] = ()
    fields: Mapping[str, str] = field(default_factory=dict)
    carry: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordQuery:
    """SQL of one source's record rows and how to name a record's position for people."""

    sql: str
    where: Where
    """``line`` (JSONL: the file's line number), ``record`` (position in a JSON array) or ``row`` (CSV data row)."""
    rejects: str | None = None
    """A DuckDB table where rows the CSV parser refused are kept (with their file line numbers)."""
    lazy: Lazy = field(default_factory=Lazy)
    numbered: bool = True
    """Whether ``line`` holds each record's position (else NULL: the scan then runs in parallel)."""


COLUMN_FIELDS: dict[str, str] = {
    "timestamp": "When the request started: ISO 8601 (UTC unless an offset is given) or Unix seconds/ms.",
    "model": "The model that served it.",
    "prompt_tokens": "Input tokens (including cached ones).",
    "completion_tokens": "Output tokens.",
    "cached_tokens": "Input tokens read from the provider's prompt cache (optional).",
    "latency_ms": "Total latency in milliseconds (or give latency_s).",
    "latency_s": "Total latency in seconds.",
    "ttft_ms": "Time to first token in milliseconds (or ttft_s).",
    "ttft_s": "Time to first token in seconds.",
    "status": "HTTP status; 400 and above count as errors.",
    "error": "Non-empty means the request failed.",
    "cost_usd": "Cost the log recorded, in USD.",
    "workload": "A workload name the log already carries.",
    "user": "The request's user field (for user_prefix rules).",
    "key_name": "The API key's name (for api_key rules).",
    "path": "The request path or URL (for path_prefix rules).",
    "system_prompt": "The system prompt (for proposing workloads).",
    "user_message": "An example user message (shown with proposals).",
    "tools": "Tool definitions (part of the workload fingerprint).",
    "request_id": "The request's id (shown to point at an example request).",
    "metadata": "A JSON object of request metadata (for metadata rules).",
    "headers": "A JSON object of request headers (for header rules).",
}
"""Fields a generic CSV/JSONL column mapping may name; ``metadata.KEY`` maps a column to a metadata key."""

REQUIRED_COLUMNS = ("timestamp", "model", "prompt_tokens", "completion_tokens")


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which column (CSV) or JSONPath/key (JSONL) holds each field of a generic log."""

    columns: Mapping[str, str]
    """Field (see ``COLUMN_FIELDS``, or ``metadata.KEY``) → column name, or dotted key path for JSONL."""

    def __post_init__(self) -> None:
        unknown = [k for k in self.columns if k not in COLUMN_FIELDS and not k.startswith("metadata.")]
        if unknown:
            allowed = ", ".join([*COLUMN_FIELDS, "metadata.KEY"])
            raise ValueError(f"unknown field(s) in the column mapping: {', '.join(unknown)}; allowed: {allowed}")
        missing = [k for k in REQUIRED_COLUMNS if k not in self.columns]
        if missing:
            raise ValueError(f"the column mapping must name {', '.join(missing)} (e.g. timestamp=created_at)")


@dataclass(frozen=True, slots=True)
class ReaderOptions:
    """Options a reader may need beyond the source itself."""

    mapping: ColumnMapping | None = None
    """The column mapping for generic CSV/JSONL logs."""
    name: str = "src"
    """A short unique name for this source's temporary tables."""
    safe: bool = True
    """Parse each line so that a malformed one is reported rather than failing the scan (slower);
    the inventory first tries without, and runs the scan again safely if a line is malformed."""
    max_line: int = 2_000_000
    """Longest line read (bytes); see ``_sql.LINE_BYTES``."""
    numbered: bool = True
    """Number the records (their line or position). Numbering makes DuckDB read the file on one
    thread, so the inventory's first pass does without, and a second pass finds the lines of
    refused records only when there are some."""
    skip_lines: str | None = None
    """JSONL: a table of lines to leave out (not UTF-8 text; ``inventory/undecodable.py``), the
    other lines keeping the file's numbers."""
