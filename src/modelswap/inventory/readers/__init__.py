"""Log readers: each turns one source into record rows (SQL over DuckDB's built-in readers).

A reader is a function ``(source, rule inputs, options) -> RecordQuery``; ``READERS`` maps each
format to its reader. Records share one shape (see ``_sql.record_select``), so everything after
reading (rules, clustering, figures) is the same whatever the logs came from.
"""

from __future__ import annotations

from collections.abc import Callable

from modelswap.inventory.readers.base import ColumnMapping, ReaderOptions, RecordQuery
from modelswap.inventory.readers.generic import generic_records
from modelswap.inventory.readers.langfuse import langfuse_records
from modelswap.inventory.readers.litellm import litellm_records
from modelswap.inventory.readers.openai import batch_records, openai_records
from modelswap.inventory.rules import RuleInputs
from modelswap.inventory.sources import Format, Source

Reader = Callable[[Source, RuleInputs, ReaderOptions], RecordQuery]

READERS: dict[Format, Reader] = {
    "openai": openai_records,
    "batch": batch_records,
    "litellm": litellm_records,
    "langfuse": langfuse_records,
    "csv": generic_records,
    "jsonl": generic_records,
}
"""File formats; ``store`` is read by ``readers.store`` (it is a database, not a file)."""

__all__ = ["READERS", "ColumnMapping", "Reader", "ReaderOptions", "RecordQuery"]
