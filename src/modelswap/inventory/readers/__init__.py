"""Log readers: each turns one source into record rows (SQL over DuckDB's built-in readers).

A reader is a function ``(source, rule inputs, options) -> RecordQuery`` that registers itself
as a log format (``registry.log_format``); ``READERS`` maps each registered format to its
reader. Records share one shape (see ``_sql.record_select``), so everything after reading
(rules, clustering, figures) is the same whatever the logs came from.
"""

from __future__ import annotations

from modelswap.inventory.readers import generic, langfuse, litellm, openai  # noqa: F401  (they register)
from modelswap.inventory.readers.base import ColumnMapping, ReaderOptions, RecordQuery
from modelswap.inventory.readers.registry import READERS, LogFormat, Reader, format_names, log_format, log_formats

__all__ = [
    "READERS",
    "ColumnMapping",
    "LogFormat",
    "Reader",
    "ReaderOptions",
    "RecordQuery",
    "format_names",
    "log_format",
    "log_formats",
]
