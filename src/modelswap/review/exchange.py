"""Verdicts in and out: CSV/JSONL export of a review set's pairs with their verdicts, and import of
verdicts made in another labelling tool (Label Studio, Argilla, a spreadsheet) by pair id.

An imported row needs ``pair_id``, ``reviewer`` and ``verdict`` (old_better, new_better, same,
both_bad; also accepted: win/tie/loss, old/new/tie); ``note`` and ``tags`` (comma-separated or a
JSON list) are optional. Every bad row is reported as ``file:line: field: what is wrong``, and
nothing is imported unless every row is good.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

MAX_ROWS = 200_000
MAX_FIELD = 10_000
"""Characters of a note (or any field) accepted."""
ALIASES = {
    "old_better": "old_better", "old": "old_better", "loss": "old_better", "a": "old_better",
    "new_better": "new_better", "new": "new_better", "win": "new_better", "b": "new_better",
    "same": "same", "tie": "same",
    "both_bad": "both_bad", "both bad": "both_bad", "neither": "both_bad",
}  # fmt: skip
VERDICT_OF = {"old_better": "loss", "new_better": "win", "same": "tie", "both_bad": "tie"}
EXPORT_FIELDS = ("pair_id", "workload", "weight", "score", "reviewer", "judgement", "verdict", "tags", "note")


class VerdictImportError(ValueError):
    """Rows that cannot be imported, each as ``file:line: field: problem``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportedVerdict:
    pair_id: int
    reviewer: str
    judgement: str
    note: str | None
    tags: tuple[str, ...]
    line: int


def _rows(text: str, kind: str) -> Iterator[tuple[int, Any]]:
    if kind == "jsonl":
        for number, raw in enumerate(text.splitlines(), 1):
            if raw.strip():
                try:
                    yield number, json.loads(raw)
                except ValueError as exc:
                    yield number, exc
        return
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        yield reader.line_num, row


def _flat(row: Mapping[str, Any]) -> Mapping[str, Any]:
    """Label Studio / Argilla exports nest the pair id under ``data``/``metadata`` and the choice deeper."""
    out = dict(row)
    for key in ("data", "metadata", "fields"):
        nested = row.get(key)
        if isinstance(nested, Mapping):
            out = {**nested, **{k: v for k, v in out.items() if k != key}}
    return out


def _tags(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str) and value.lstrip().startswith("["):
        value = json.loads(value)
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return tuple(value)
    raise ValueError("expected a comma-separated list or a JSON list of strings")


def _one(row: Any, line: int, where: str) -> ImportedVerdict | str:
    if isinstance(row, Exception):
        return f"{where}:{line}: not JSON ({row})"
    if not isinstance(row, Mapping):
        return f"{where}:{line}: expected an object with pair_id, reviewer and verdict"
    row = _flat(row)
    for field in ("pair_id", "reviewer", "verdict"):
        if row.get(field) in (None, ""):
            return f"{where}:{line}: {field}: missing"
    if any(isinstance(v, str) and len(v) > MAX_FIELD for v in row.values()):
        return f"{where}:{line}: a field is longer than {MAX_FIELD} characters"
    raw_id = row["pair_id"]
    if isinstance(raw_id, bool) or not str(raw_id).strip().isdigit():
        return f"{where}:{line}: pair_id: expected a whole number, got {str(raw_id)[:40]!r}"
    verdict = ALIASES.get(str(row["verdict"]).strip().lower())
    if verdict is None:
        got = str(row["verdict"])[:40]
        return f"{where}:{line}: verdict: expected old_better, new_better, same or both_bad, got {got!r}"
    try:
        tags = _tags(row.get("tags"))
    except ValueError as exc:
        return f"{where}:{line}: tags: {exc}"
    note = row.get("note")
    return ImportedVerdict(
        int(str(raw_id)), str(row["reviewer"]).strip(), verdict, str(note) if note else None, tags, line
    )


def parse_verdicts(text: str, *, where: str, kind: str) -> list[ImportedVerdict]:
    """Every verdict in a CSV or JSONL export, or ``VerdictImportError`` listing every bad row."""
    if kind not in ("csv", "jsonl"):
        raise ValueError(f"kind must be csv or jsonl, got {kind!r}")
    good: list[ImportedVerdict] = []
    problems: list[str] = []
    try:
        for count, (line, row) in enumerate(_rows(text, kind)):
            if count >= MAX_ROWS:
                problems.append(f"{where}:{line}: more than {MAX_ROWS} rows; split the file")
                break
            parsed = _one(row, line, where)
            if isinstance(parsed, str):
                problems.append(parsed)
            else:
                good.append(parsed)
    except csv.Error as exc:
        problems.append(f"{where}: not readable as CSV ({exc})")
    if problems:
        raise VerdictImportError(problems[:50] + ([f"… and {len(problems) - 50} more"] if len(problems) > 50 else []))
    return good


def export_rows(rows: list[dict[str, Any]], kind: str) -> str:
    """Rows (``EXPORT_FIELDS``) as CSV or JSONL text."""
    if kind == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({**r, "tags": ",".join(r.get("tags") or ())})
    return buffer.getvalue()
