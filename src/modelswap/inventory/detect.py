"""Which format a log is in, from its first records, and a clear error when it is not what it claims.

Only the beginning of each file is read here (a few hundred records at most). The layout
comes from the first character (``{`` JSON Lines, ``[`` a JSON array, else CSV); the format
from the field names of the first records (each tool's export has its own).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelswap.inventory.errors import FormatMismatch, InventoryError
from modelswap.inventory.readers import format_names, log_formats
from modelswap.inventory.readers.registry import detect_format
from modelswap.inventory.sources import Layout, SkippedFile, Source

SAMPLE_RECORDS = 200
SAMPLE_BYTES = 4 * 1024 * 1024
MAX_FIRST_RECORD_BYTES = 64 * 1024 * 1024
SQLITE_MAGIC = b"SQLite format 3\x00"
LOG_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".jsonl.gz", ".ndjson.gz", ".json.gz", ".csv.gz")

_NOT_FORMATS = {
    "batch-input": "an OpenAI Batch API input file (custom_id, method, url, body)",
    "store": "a modelswap store (SQLite file or database URL)",
}


def describe(kind: str) -> str:
    """One line saying what a log of this format (or ``batch-input``, ``store``) is."""
    found = {f.name: f.description for f in log_formats()}.get(kind)
    return found or _NOT_FORMATS.get(kind, f"a {kind} log")


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the beginning of a file looks like."""

    layout: Layout
    records: list[dict[str, Any]]
    """Sample records (JSON) or rows keyed by header (CSV)."""
    columns: tuple[str, ...] = ()
    kind: str | None = None
    """The format the field names point to (or ``batch-input``), None when unknown."""


def _open_text(path: Path) -> io.TextIOBase:
    raw = path.open("rb")
    head = raw.read(2)
    raw.seek(0)
    stream: Any = gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")


def _head(path: Path, limit: int) -> str:
    with _open_text(path) as f:
        return str(f.read(limit))


def classify(keys: set[str], first: Mapping[str, Any] | None = None) -> str | None:
    """The format whose field names these are, or None."""
    first = first or {}
    found = detect_format(keys, first)
    if found is None and {"custom_id", "method", "body"} <= keys:
        return "batch-input"  # the companion of a Batch API output file, not a format of its own
    return found


def _jsonl_sample(path: Path) -> list[dict[str, Any]]:
    text = _head(path, SAMPLE_BYTES)
    lines = text.splitlines()
    if len(text) >= SAMPLE_BYTES and lines:
        lines = lines[:-1]  # the last one may be cut
    records: list[dict[str, Any]] = []
    first_problem: str | None = None
    for number, line in enumerate(lines, 1):
        if not line.strip() or "\ufffd" in line:  # blank, or not UTF-8 text (the scan refuses it by line)
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            if first_problem is None:
                first_problem = f"line {number} is not valid JSON ({exc.msg} at column {exc.colno})"
            if not records and line.strip() == "{":  # one JSON document over several lines, not JSON Lines
                break
            continue
        if not isinstance(value, dict):
            first_problem = first_problem or f"line {number} is a JSON {type(value).__name__}, not an object"
            continue
        records.append(value)
        if len(records) >= SAMPLE_RECORDS:
            break
    if not records:
        hint = first_problem or "no complete line found"
        if len(lines) <= 1 and text.lstrip().startswith("{"):
            hint += "; a single JSON document over several lines is not JSON Lines"
        raise FormatMismatch(f"{path}: not JSON Lines: {hint}")
    return records


def _array_elements(text: str) -> Iterator[Any]:
    decoder = json.JSONDecoder()
    i = text.index("[") + 1
    while True:
        while i < len(text) and text[i] in " \t\r\n,":
            i += 1
        if i >= len(text) or text[i] == "]":
            return
        value, i = decoder.raw_decode(text, i)
        yield value


def _array_sample(path: Path) -> list[dict[str, Any]]:
    limit = SAMPLE_BYTES
    while True:
        text = _head(path, limit)
        records: list[dict[str, Any]] = []
        try:
            for value in _array_elements(text):
                if not isinstance(value, dict):
                    raise FormatMismatch(f"{path}: a JSON array of {type(value).__name__}s, not of records (objects)")
                records.append(value)
                if len(records) >= SAMPLE_RECORDS:
                    break
        except ValueError as exc:
            if len(text) < limit:  # the whole file was read: it really is broken
                raise FormatMismatch(f"{path}: not valid JSON: {exc}") from None
        if records or len(text) < limit or limit >= MAX_FIRST_RECORD_BYTES:
            if not records and len(text) >= limit:
                raise FormatMismatch(f"{path}: the first record of this JSON array is larger than 64 MB")
            return records
        limit *= 4


def _csv_sample(path: Path) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    text = _head(path, SAMPLE_BYTES)
    if "\x00" in text[:4096]:
        raise FormatMismatch(f"{path}: binary content, not a log (JSON Lines, JSON or CSV)")
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        rows = [row for _, row in zip(range(SAMPLE_RECORDS), reader, strict=False)]
    except csv.Error as exc:
        raise FormatMismatch(f"{path}: not JSON and not readable as CSV: {exc}") from None
    if not header or len(header) < 2:
        raise FormatMismatch(
            f"{path}: neither JSON nor a CSV with a header row (first line: {text.splitlines()[0][:80]!r})"
            if text.strip()
            else f"{path}: empty file"
        )
    columns = tuple(h.strip() for h in header)
    return columns, [dict(zip(columns, row, strict=False)) for row in rows]


EMPTY_SCAN_BYTES = 64 * 1024 * 1024
"""How far a file that starts with blank space is scanned for its first character (then it is read)."""


def emptiness(path: Path) -> str | None:
    """Why a file holds nothing to read (``empty file``, ``only blank lines``, ``an empty JSON array``), or None."""
    if path.stat().st_size == 0:
        return "empty file"
    seen = 0
    with _open_text(path) as f:
        while seen < EMPTY_SCAN_BYTES:
            chunk = str(f.read(1024 * 1024))
            if not chunk:
                return "empty file" if seen == 0 else "only blank lines"
            seen += len(chunk)
            text = chunk.lstrip()
            if text:
                if text.startswith("[") and len(text) < 4096 and text[1:].strip() == "]" and not f.read(1).strip():
                    return "an empty JSON array"
                return None
    return None


def _garbled_then_json(head: str) -> bool:
    """JSON Lines whose first lines are not UTF-8 text (read as U+FFFD): the scan refuses those, by line."""
    for line in head.split("\n"):  # not splitlines(): a garbled line may hold \x0b, \x1c, ... which it splits at
        if line.lstrip().startswith("{"):
            return True
        if line.strip() and "\ufffd" not in line:
            return False
    return False


def sniff(path: Path) -> Sniffed:
    """The layout, a sample and the apparent format of a log file."""
    head = _head(path, 4096).lstrip()
    if not head:
        raise InventoryError(f"{path}: empty file")
    if head[0] == "{" or _garbled_then_json(head):
        records = _jsonl_sample(path)
        return Sniffed("jsonl", records, kind=classify(set().union(*records), records[0]))
    if head[0] == "[":
        records = _array_sample(path)
        if not records:
            raise InventoryError(f"{path}: an empty JSON array: no records to read")
        return Sniffed("json-array", records, kind=classify(set().union(*records), records[0]))
    columns, rows = _csv_sample(path)
    return Sniffed("csv", rows, columns, classify(set(columns)))


def json_paths(records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many sample records have each key path (``$."a"."b"[0]``); ``$`` counts the records.

    Values that are JSON ``null`` do not count: a field that is always null is not there.
    """
    from modelswap.inventory.sqltext import key_path

    found: dict[str, int] = {"$": len(records)}

    def walk(value: Any, keys: tuple[str | int, ...]) -> None:
        if keys and value is not None:
            path = key_path(*keys)
            found[path] = found.get(path, 0) + 1
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*keys, str(k)))
        elif isinstance(value, list):
            for i, v in enumerate(value[:2]):
                walk(v, (*keys, i))

    for record in records:
        walk(record, ())
    return found


def _expand(location: str) -> list[Path]:
    path = Path(location)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(LOG_SUFFIXES))
        if not files:
            raise InventoryError(f"{location}: a directory with no log files ({', '.join(LOG_SUFFIXES)})")
        return files
    if not path.exists():
        raise InventoryError(f"{location}: no such file")
    return [path]


def _mismatch(path: Path, claimed: str, seen: Sniffed) -> FormatMismatch:
    if seen.kind is not None:
        looks = f"it looks like {describe(seen.kind)}"
        if seen.kind in format_names():
            looks += f" (--format {seen.kind})"
    else:
        names = seen.columns or tuple(sorted(set().union(*seen.records)))
        shown = ", ".join(names[:15]) + (", ..." if len(names) > 15 else "")
        looks = f"its {'columns' if seen.layout == 'csv' else 'fields'} are: {shown}"
    return FormatMismatch(f"{path}: not {describe(claimed)}; {looks}")


def _resolve_file(path: Path, claimed: str, has_mapping: bool) -> tuple[Source | None, str | None]:
    """A source for one file, or (None, path) for a Batch API input file (a companion)."""
    with path.open("rb") as f:
        if f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
            if claimed not in ("auto", "store"):
                raise FormatMismatch(f"{path}: not {describe(claimed)}; it is a SQLite database (--format store)")
            return Source(f"sqlite:///{path.resolve()}", "store", "database"), None
    if claimed == "store":
        raise FormatMismatch(f"{path}: not {describe('store')}; it is a text file")
    seen = sniff(path)
    if seen.kind == "batch-input":
        if claimed not in ("auto", "batch"):
            raise _mismatch(path, claimed, seen)
        return None, str(path)
    fmt: str | None
    registered = {f.name: f for f in log_formats()}
    if claimed in registered and registered[claimed].detect is None:  # a mapped format: any log of its layout
        if seen.layout not in (registered[claimed].layouts or (seen.layout,)):
            raise FormatMismatch(f"{path}: not {describe(claimed)}; it is {seen.layout.replace('-', ' ')}")
        fmt = claimed
    elif claimed == "auto":
        fmt = seen.kind
        if fmt is None and has_mapping:
            fmt = "csv" if seen.layout == "csv" else "jsonl"
        if fmt is None:
            raise InventoryError(
                f"{path}: cannot tell which tool wrote this log; "
                + str(_mismatch(path, "openai", seen)).split("; ", 1)[1]
                + ". Name the format with --format, or map the columns with --column FIELD=COLUMN"
            )
    else:
        if seen.kind != claimed:
            raise _mismatch(path, claimed, seen)
        fmt = claimed
    _check_layout(path, fmt, seen.layout)
    return Source(str(path), fmt, seen.layout, columns=seen.columns, sample_paths=json_paths(seen.records)), None


_LAYOUT_NAMES = {"jsonl": "JSON Lines", "json-array": "a JSON array", "csv": "CSV"}


def _check_layout(path: Path, fmt: str, layout: Layout) -> None:
    """Refuse a file whose layout its format cannot be in (an OpenAI log must be JSON Lines)."""
    layouts = next((f.layouts for f in log_formats() if f.name == fmt), None)
    if layouts is not None and layout not in layouts:
        must = " or ".join(_LAYOUT_NAMES.get(x, x) for x in layouts)
        raise FormatMismatch(f"{path}: {describe(fmt)} must be {must}, this is {layout.replace('-', ' ')}")


@dataclass(frozen=True, slots=True)
class Inputs:
    """What ``resolve_inputs`` found: the sources to read, and the files skipped (with why)."""

    sources: list[Source]
    skipped: list[SkippedFile]


def resolve_sources(locations: Sequence[str], claimed: str = "auto", *, has_mapping: bool = False) -> list[Source]:
    """Sources for the given files, directories and store URLs, each with its format checked."""
    return resolve_inputs(locations, claimed, has_mapping=has_mapping).sources


def resolve_inputs(locations: Sequence[str], claimed: str = "auto", *, has_mapping: bool = False) -> Inputs:
    """Sources for the given files, directories and store URLs, each with its format checked.

    Files with nothing in them (empty, blank lines only, ``[]``) are skipped and listed, so one
    empty file in a directory does not stop the others being read; if nothing else is left,
    that is an error naming them.
    """
    if claimed not in ("auto", *format_names()):
        raise InventoryError(f"unknown format {claimed!r}; expected auto or one of: {', '.join(format_names())}")
    if not locations:
        raise InventoryError("no logs given: name at least one file, directory or store URL")
    sources: list[Source] = []
    companions: list[str] = []
    skipped: list[SkippedFile] = []
    for location in locations:
        if "://" in location:
            if claimed not in ("auto", "store"):
                raise FormatMismatch(f"{location}: a database URL is {describe('store')}, not {claimed}")
            sources.append(Source(location, "store", "database"))
            continue
        for path in _expand(location):
            why = emptiness(path)
            if why is not None:
                skipped.append(SkippedFile(str(path), why))
                continue
            source, companion = _resolve_file(path, claimed, has_mapping)
            if source is not None:
                sources.append(source)
            if companion is not None:
                companions.append(companion)
    if companions:
        batches = [s for s in sources if s.format == "batch"]
        if not batches:
            raise InventoryError(
                f"{companions[0]}: this is a Batch API *input* file: it has no usage. Give the batch's output "
                "file (what the Batch API returned) too; the input file then supplies each request's prompt"
            )
        sources = [
            Source(s.location, s.format, s.layout, tuple(companions), s.columns, s.sample_paths)
            if s.format == "batch"
            else s
            for s in sources
        ]
    if not sources:
        if skipped:
            raise InventoryError("nothing to read: " + "; ".join(f"{f.location}: {f.reason}" for f in skipped))
        raise InventoryError("no logs to read")
    return Inputs(sources, skipped)
