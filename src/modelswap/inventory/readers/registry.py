"""The log-format registry: ``@log_format("name", ...)`` on a reader makes ``--format name`` work.

A reader is a function ``(source, rule inputs, options) -> RecordQuery``. Registering it
gives it a name, a one-line description (shown when a file is not what it was said to be),
the layouts it can be read from and a ``detect`` test on a sample's field names that lets
``--format auto`` recognise it. A new log format is one module in this folder::

    def looks_like_acme(keys: set[str], first: Mapping[str, Any]) -> bool:
        return {"acme_id", "acme_ts"} <= keys

    @log_format("acme", "an Acme gateway log (acme_id, acme_ts, ...)", detect=looks_like_acme)
    def acme_records(source, inputs, options): ...

Detection tries formats by ``priority`` (lower first; 50 unless given), then registration
order (the built-in modules are imported by ``readers/__init__.py``); the first whose
``detect`` says yes wins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from modelswap.inventory.readers.base import ReaderOptions, RecordQuery
from modelswap.inventory.rules import RuleInputs
from modelswap.inventory.sources import Layout, Source

__all__ = ["READERS", "Detect", "LogFormat", "Reader", "format_names", "log_format", "log_formats"]

Reader = Callable[[Source, RuleInputs, ReaderOptions], RecordQuery]
Detect = Callable[[set[str], Mapping[str, Any]], bool]
"""``(field names of the sample, its first record) -> whether this is the format``."""

STORE = "store"
"""modelswap's own store: a database, read by ``readers/store.py`` (not a registered file format)."""


@dataclass(frozen=True, slots=True)
class LogFormat:
    """A registered log format."""

    name: str
    description: str
    read: Reader
    detect: Detect | None = None
    """``None``: never detected, only named with ``--format`` (the generic, mapped formats)."""
    layouts: tuple[Layout, ...] | None = None
    """The layouts a file in this format may have (``None``: any)."""
    priority: int = 50
    """Detection order: lower is tried first (a format with a specific signature before a generic one)."""


_FORMATS: dict[str, LogFormat] = {}
READERS: dict[str, Reader] = {}
"""Each registered format's reader, by name (kept in step with the registry)."""


def log_format(
    name: str,
    description: str,
    *,
    detect: Detect | None = None,
    layouts: tuple[Layout, ...] | None = None,
    priority: int = 50,
) -> Callable[[Reader], Reader]:
    """Register a reader as log format ``name``."""

    def register(read: Reader) -> Reader:
        previous = _FORMATS.get(name)
        if name == STORE or (previous is not None and previous.read.__qualname__ != read.__qualname__):
            raise ValueError(f"log format {name!r} is already registered")
        _FORMATS[name] = LogFormat(name, description, read, detect, layouts, priority)
        READERS[name] = read
        return read

    return register


def log_formats() -> tuple[LogFormat, ...]:
    """Every registered format, in detection order (priority, then registration)."""
    return tuple(sorted(_FORMATS.values(), key=lambda f: f.priority))


def format_names() -> tuple[str, ...]:
    """The names ``--format`` accepts besides ``auto``: every registered format, then ``store``."""
    return (*_FORMATS, STORE)


def detect_format(keys: set[str], first: Mapping[str, Any]) -> str | None:
    """The first registered format whose ``detect`` recognises these field names, or None."""
    for fmt in log_formats():
        if fmt.detect is not None and fmt.detect(keys, first):
            return fmt.name
    return None
