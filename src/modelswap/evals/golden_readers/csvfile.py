"""CSV golden sets: native columns, or promptfoo's test CSV (vars as columns, ``__expected``).

Native columns: ``id``, ``workload``, ``prompt`` (a ``{{var}}`` template) or ``messages`` (JSON),
``tools`` (JSON), ``expected`` (a JSON object, or plain text → ``{"value": text}``), ``assert``
(a JSON list of scorer specs), ``tags`` (comma-separated), ``description``. promptfoo columns:
``__expected``, ``__expected1``…, ``__description``, ``__metadata:<key>``. Every other column is a
var. Without an ``id`` column, ids are ``<file stem>-001``…; with one, an empty cell is an error.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from modelswap.evals.case import Case, Json
from modelswap.evals.errors import Problem
from modelswap.evals.golden_readers.promptfoo_asserts import map_assertion, parse_expected
from modelswap.evals.golden_readers.records import RecordError, Where, case_from_record

NATIVE = frozenset({"id", "workload", "prompt", "messages", "tools", "expected", "assert", "tags", "description"})
JSON_COLUMNS = frozenset({"messages", "tools", "assert"})
SPECIAL_COLUMN = re.compile(r"__expected\d*|__description|__metadata:.+")


def _header_problems(header: list[str], source: str) -> list[Problem]:
    problems = []
    seen = set()
    for name in header:
        if name in seen:
            problems.append(Problem(source, 1, f"column {name!r} appears twice"))
        seen.add(name)
        if name.startswith("__") and not SPECIAL_COLUMN.fullmatch(name):
            problems.append(
                Problem(
                    source,
                    1,
                    f"unknown special column {name!r} (known: __expected[N], __description, __metadata:<key>)",
                )
            )
    if not ({"prompt", "messages"} & seen):
        problems.append(
            Problem(
                source,
                1,
                "no 'prompt' or 'messages' column: nothing to ask the model "
                "(a promptfoo tests CSV is read through its config: tests: file://<this file>)",
            )
        )
    return problems


def _cell_json(column: str, cell: str, problems: list[str]) -> Any:
    try:
        return json.loads(cell)
    except json.JSONDecodeError as exc:
        problems.append(f"{column}: invalid JSON: {exc.msg} (column {exc.colno})")
        return None


def _expected(cell: str) -> Json:
    try:
        value = json.loads(cell)
    except json.JSONDecodeError:
        return {"value": cell}
    return value if isinstance(value, dict) else {"value": cell}


def row_record(row: dict[str, str], problems: list[str]) -> dict[str, Any]:
    """The native record of one CSV row (promptfoo ``__expected`` cells mapped to scorer specs)."""
    record: dict[str, Any] = {}
    variables = {k: v for k, v in row.items() if k not in NATIVE and not k.startswith("__")}
    for column in NATIVE & row.keys():
        cell = row[column]
        if cell.strip() == "":
            continue
        if column in JSON_COLUMNS:
            record[column] = _cell_json(column, cell, problems)
        elif column == "expected":
            record[column] = _expected(cell)
        else:
            record[column] = cell
    asserts = record.get("assert") or []
    if not isinstance(asserts, list):
        problems.append("assert: must be a JSON list of scorer specs")
        asserts = []
    asserts = list(asserts)
    for column in sorted((k for k in row if k.startswith("__expected") and row[k].strip()), key=lambda k: (len(k), k)):
        try:
            asserts.append(map_assertion(parse_expected(row[column]), variables))
        except ValueError as exc:
            problems.append(f"{column}: {exc}")
    if asserts:
        record["assert"] = asserts
    if row.get("__description"):
        record["description"] = row["__description"]
    metadata = {k.split(":", 1)[1]: v for k, v in row.items() if k.startswith("__metadata:") and v}
    if metadata:
        record["metadata"] = metadata
    if variables:
        record["vars"] = variables
    return record


def csv_rows(text: str, source: str) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[Problem]]:
    """The header, the non-blank rows (with the line each starts on) and the rows of the wrong width."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[Problem] = []
    last_line = reader.line_num
    for cells in reader:
        start, last_line = last_line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(Problem(source, start, f"row has {len(cells)} cells, the header has {len(header)}"))
        else:
            rows.append((start, dict(zip(header, cells, strict=True))))
    return header, rows, problems


def read_csv(text: str, source: str, workload: str) -> tuple[list[Case], list[Problem]]:
    """Cases of a CSV text and a problem for every bad row (reported at the row's first line)."""
    header, rows, problems = csv_rows(text, source)
    header_problems = _header_problems(header, source)
    if header_problems:
        return [], header_problems
    stem = Path(source).stem
    cases: list[Case] = []
    for number, (start, row) in enumerate(rows, start=1):
        where = Where(source, start, workload, None if "id" in header else f"{stem}-{number:03d}")
        record = row_record(row, where.problems)
        try:
            cases.append(case_from_record(record, where))
        except RecordError as exc:
            problems.extend(Problem(source, start, reason) for reason in exc.reasons)
    return cases, problems
