"""How a reader reads a record's fields: JSON paths taken with one parse per row (``JsonFields``),
the same field names over JSON records and CSV columns (``Access``), the columns the workload
rules read, and a file's rows with those extractions (``layout_scan``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from modelswap.inventory.readers._sql import (
    LAZY_FIELDS,
    LINE_BYTES,
    Flags,
    csv_rows,
    json_array_records,
    jsonl_lines,
    record_select,
)
from modelswap.inventory.readers.base import Lazy, ReaderOptions, RecordQuery, Where
from modelswap.inventory.sqltext import ident, key_path, lit

if TYPE_CHECKING:
    from modelswap.inventory.rules import RuleInputs
    from modelswap.inventory.sources import Source


def blank_sql(text: str = "j") -> str:
    """SQL true for a blank line (a CASE, not OR: only short lines are trimmed; copying every 1 kB
    line costs seconds per 10 M)."""
    return f"CASE WHEN {text} IS NULL THEN true WHEN strlen({text}) > 64 THEN false ELSE trim({text}) = '' END"


@dataclass
class JsonFields:
    """Many JSONPaths taken from one JSON text with one parse per row.

    ``get(path, ...)`` registers the paths and returns the SQL of the first non-null one;
    ``select()`` is the single extraction to put in the row's SELECT (after every ``get``).
    """

    text: str
    """SQL of the JSON text, e.g. ``j`` or a CSV column."""
    alias: str
    paths: list[str] = field(default_factory=list)

    def get(self, *paths: str) -> str:
        slots = []
        for path in paths:
            if path not in self.paths:
                self.paths.append(path)
            slots.append(f"{self.alias}[{self.paths.index(path) + 1}]")
        return slots[0] if len(slots) == 1 else f"coalesce({', '.join(slots)})"

    def sql(self, *, safe: bool = True, blank: str | None = None) -> str:
        """The extraction. ``safe``: a malformed text yields NULL (reported) instead of failing the
        scan, at about a fifth more CPU; otherwise ``blank`` (SQL) guards the texts not to parse."""
        if not self.paths:
            return "NULL::VARCHAR[]"
        call = f"json_extract_string({self.text}, [{', '.join(lit(p) for p in self.paths)}])"
        if safe:
            return f"TRY({call})"
        return call if blank is None else f"CASE WHEN {blank} THEN NULL ELSE {call} END"


class Access:
    """Fields of one record, whether it is a JSON text (JSONL, JSON array) or a CSV row of columns.

    ``get("metadata", "team")`` is ``$.metadata.team`` of a JSON record, or ``$.team`` inside the
    JSON text of a CSV's ``metadata`` column; a CSV column that does not exist gives ``NULL``.
    Call ``extractions()`` after every ``get``.
    """

    def __init__(
        self,
        layout: str,
        columns: Iterable[str] | None = None,
        *,
        present: Mapping[str, int] | None = None,
        text: str = "j",
        prefix: str = "_v",
        safe: bool = True,
    ) -> None:
        self.layout = layout
        self.columns = set(columns or ())
        self.present = present
        self.safe = safe
        self._text = text
        self._prefix = prefix
        self._json: dict[str, JsonFields] = {}
        self._columns_used: list[str] = []

    def sources(self) -> tuple[str, ...]:
        """The SQL column references this access reads (JSON texts and plain CSV columns)."""
        return tuple(dict.fromkeys([*self._json, *self._columns_used]))

    def _fields(self, text: str) -> JsonFields:
        if text not in self._json:
            self._json[text] = JsonFields(text, f"{self._prefix}{len(self._json)}")
        return self._json[text]

    def get(self, *keys: str | int) -> str:
        if self.layout != "csv":
            return self._fields(self._text).get(key_path(*keys))
        top, *nested = keys
        if not isinstance(top, str) or top not in self.columns:
            return "NULL"
        if not nested:
            self._columns_used.append(ident(top))
            return ident(top)
        return self._fields(ident(top)).get(key_path(*nested))

    def first(self, *alternatives: tuple[str | int, ...]) -> str:
        """The first non-null of several key paths.

        Spellings of one field are alternatives. A log is written by one program, one way, so
        the sample records (``present``) decide which are extracted: those they use, or all of
        them when they use none; a top-level spelling every sample record has ends the list. (A
        nested one does not: a failed call has no ``response.model``, and failures may all come
        after the sample.)
        """
        if self.present is not None and self.layout != "csv":
            used: list[tuple[str | int, ...]] = []
            for keys in alternatives:
                seen = self.present.get(key_path(*keys), 0)
                if seen:
                    used.append(keys)
                if len(keys) == 1 and seen == self.present.get("$"):
                    break  # a top-level field every record has: the logger writes it, always
            alternatives = tuple(used) or alternatives
        exprs = [e for e in (self.get(*keys) for keys in alternatives) if e != "NULL"]
        if not exprs:
            return "NULL"
        return exprs[0] if len(exprs) == 1 else f"coalesce({', '.join(exprs)})"

    def items(self) -> list[tuple[str, str]]:
        """(alias, SQL) of each JSON text's single extraction, after every ``get``.

        A record's own JSON text is parsed without ``TRY`` unless ``safe`` (the fast path: a
        malformed line fails the scan, which is then run again safely); JSON inside CSV cells
        always with it.
        """
        out = []
        for text, fields in self._json.items():
            own = text == self._text and self.layout != "csv"
            blank = blank_sql(text) if own else None
            out.append((fields.alias, fields.sql(safe=self.safe or not own, blank=blank)))
        return out

    def extractions(self) -> str:
        """The SELECT items that parse each JSON text once (``''`` when there are none)."""
        return "".join(f", {sql} AS {alias}" for alias, sql in self.items())

    def parsed(self) -> str:
        """SQL that is NULL when the record's own JSON text did not parse (JSON layouts only)."""
        fields = self._json.get(self._text)
        return fields.alias if fields is not None else "NULL"


def header_value(headers_json: str, name: str) -> str:
    """The value of header ``name`` (any case) in a JSON object of headers."""
    wanted = lit(name.lower())
    return (
        f"json_extract_string({headers_json}, "
        f"'$.\"' || list_filter(json_keys({headers_json}), lambda k: lower(k) = {wanted})[1] || '\"')"
    )


def named_workload(alternatives: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The ``named`` and ``named_from`` fields from (field label, SQL) alternatives, first usable one first.

    A value is usable when ``ms_name`` accepts it (non-empty, at most ``MAX_NAME_CHARS``, not JSON).
    """
    usable = [(label, f"ms_name({sql})") for label, sql in alternatives if sql != "NULL"]
    if not usable:
        return {}
    named = usable[0][1] if len(usable) == 1 else f"coalesce({', '.join(sql for _, sql in usable)})"
    whens = " ".join(f"WHEN {sql} IS NOT NULL THEN {lit(label)}" for label, sql in usable)
    return {"named": named, "named_from": f"CASE {whens} END"}


def path_of(url: str) -> str:
    """The path of a URL or path (scheme, host and query string removed)."""
    return f"regexp_replace(regexp_replace({url}, '^[A-Za-z][A-Za-z0-9+.-]*://[^/]*', ''), '[?#].*$', '')"


def rule_columns(
    access: Access,
    inputs: RuleInputs,
    *,
    metadata: Sequence[tuple[str | int, ...]],
    headers: Sequence[tuple[str | int, ...]] = (),
) -> list[tuple[str, str]]:
    """The ``meta_N`` / ``hdr_N`` columns the rules read, from where this format keeps metadata and headers."""
    out = [
        (inputs.meta_column(key), access.first(*((*prefix, key) for prefix in metadata)))
        for key in inputs.metadata_keys
    ]
    if inputs.header_names:
        headers_json = access.first(*headers)
        out += [
            (inputs.header_column(name), "NULL" if headers_json == "NULL" else header_value(headers_json, name))
            for name in inputs.header_names
        ]
    return out


@dataclass(frozen=True, slots=True)
class Scan:
    """A source's rows ready for ``record_select``: the FROM clause, JSON flags and naming."""

    from_sql: str
    flags: Flags
    where: Where
    rejects: str | None


def layout_scan(
    location: str,
    layout: str,
    access: Access,
    rejects: str,
    *,
    numbered: bool = True,
    max_line: int = LINE_BYTES,
    skip_lines: str | None = None,
) -> Scan:
    """Rows of a CSV, JSONL or JSON-array file with ``access``'s extractions (call after every ``get``)."""
    if layout == "csv":
        rows = csv_rows(location, rejects, numbered=numbered, max_line=max_line)
        return Scan(f"SELECT *{access.extractions()} FROM ({rows}) AS r", Flags(), "row", rejects)
    if layout == "jsonl":
        rows = jsonl_lines(location, numbered=numbered, max_line=max_line, skip=skip_lines)
    else:
        rows = json_array_records(location, numbered=numbered)
    flags = Flags(
        blank=blank_sql(),
        invalid=f"{access.parsed()} IS NULL",
        not_object="CASE WHEN left(j, 1) = '{' THEN false ELSE left(ltrim(j), 1) <> '{' END",
    )
    where: Where = "line" if layout == "jsonl" else "record"
    return Scan(f"SELECT line, j{access.extractions()} FROM ({rows}) AS r", flags, where, None)


def jsonl_scan(source: Source, access: Access, options: ReaderOptions) -> Scan:
    """Lines of a JSONL source with ``access``'s extractions, per the pass's ``options``."""
    return layout_scan(
        source.location,
        "jsonl",
        access,
        "",
        numbered=options.numbered,
        max_line=options.max_line,
        skip_lines=options.skip_lines,
    )


def no_rule_columns(inputs: RuleInputs) -> list[tuple[str, str]]:
    """NULL ``meta_N`` / ``hdr_N`` columns, for records that carry no metadata or headers."""
    return [(inputs.meta_column(k), "NULL") for k in inputs.metadata_keys] + [
        (inputs.header_column(h), "NULL") for h in inputs.header_names
    ]


def lazy_of(access: Access, fields: Mapping[str, str]) -> Lazy:
    """Lazy fields got through ``access`` (call after every ``access.get``); the records carry what it reads."""
    unknown = set(fields) - set(LAZY_FIELDS)
    if unknown:
        raise ValueError(f"unknown lazy fields: {sorted(unknown)}")
    return Lazy(tuple(access.items()), dict(fields), access.sources())


def file_records(
    source: Source,
    options: ReaderOptions,
    access: Access,
    fields: Mapping[str, str],
    *,
    extra: Iterable[tuple[str, str]] = (),
    lazy: Lazy,
    skip: str = "NULL",
) -> RecordQuery:
    """A reader's records from its file (CSV, JSONL or JSON array) once every field is got through ``access``."""
    scan = layout_scan(
        source.location,
        source.layout,
        access,
        f"{options.name}_rejects",
        numbered=options.numbered,
        max_line=options.max_line,
        skip_lines=options.skip_lines,
    )
    sql = record_select(scan.from_sql, fields, extra=extra, skip=skip, flags=scan.flags, carry=lazy.carry)
    return RecordQuery(sql, scan.where, scan.rejects, lazy, options.numbered)
