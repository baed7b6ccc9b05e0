"""Lines of a JSONL log that are not UTF-8 text: found by a pass of their own, left out of the
scan (the other lines keep the file's numbers) and reported as refused records with their line.

One garbled line (a log rotated mid-write, a Latin-1 export, random bytes) must not stop the
inventory of a million good ones, nor shift where the other refused records are said to be.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb

from modelswap.inventory.readers._sql import jsonl_lines
from modelswap.inventory.scan import EXAMPLES_SHOWN
from modelswap.inventory.sources import Malformed, ReadReport

NOT_UTF8 = "not UTF-8 text"
"""The reason a line whose bytes are not UTF-8 is refused."""


def undecodable_lines(con: duckdb.DuckDBPyConnection, location: str, table: str, *, max_line: int) -> list[Malformed]:
    """Every line of ``location`` the text reader refuses, in file order; ``table`` then holds
    their gaps for ``jsonl_lines(skip=table)`` (empty when there are none)."""
    rejects = f"{table}_rejects"
    con.execute(
        f"SELECT count(*) FROM ({jsonl_lines(location, numbered=False, max_line=max_line, rejects=rejects)})"
    ).fetchall()
    found = con.execute(
        f"SELECT line, min(error_type), min(error_message) FROM {rejects} GROUP BY line ORDER BY line"
    ).fetchall()
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS "
        f"SELECT line - row_number() OVER (ORDER BY line) AS gap FROM (SELECT DISTINCT line FROM {rejects})"
    )
    return [Malformed(f"line {int(line)}", _reason(str(kind), str(message))) for line, kind, message in found]


def _reason(kind: str, message: str) -> str:
    if kind == "INVALID ENCODING":
        return NOT_UTF8
    first = message.strip().splitlines()[0] if message.strip() else kind
    return f"unreadable line ({first})"


def with_undecodable(report: ReadReport, refused: list[Malformed]) -> ReadReport:
    """``report`` counting ``refused`` lines among its refused records, and listing the first ones in order."""
    if not refused:
        return report
    by_reason = dict(report.by_reason)
    for m in refused:
        by_reason[m.reason] = by_reason.get(m.reason, 0) + 1
    examples = sorted([*report.examples, *refused], key=_position)[:EXAMPLES_SHOWN]
    return replace(report, malformed=report.malformed + len(refused), examples=tuple(examples), by_reason=by_reason)


def undecodable_warning(report: ReadReport) -> str | None:
    """One line naming where the lines that are not UTF-8 text are (file:line), if there are any."""
    count = report.by_reason.get(NOT_UTF8, 0)
    if not count:
        return None
    lines = [m.where.removeprefix("line ") for m in report.examples if m.reason == NOT_UTF8]
    shown = ", ".join(f"{report.location}:{n}" for n in lines[:5])
    more = f" and {count - min(len(lines), 5):,} more" if count > min(len(lines), 5) else ""
    return f"{count:,} line(s) not UTF-8 text, skipped and counted as refused: {shown}{more}; the other lines were read"


def _position(m: Malformed) -> int:
    tail = m.where.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0
