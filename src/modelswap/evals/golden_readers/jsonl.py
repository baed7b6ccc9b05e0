"""JSONL golden sets: one case per line, as the simulator writes them (``sim/golden.py``)."""

from __future__ import annotations

import json

from modelswap.evals.case import Case
from modelswap.evals.errors import Problem
from modelswap.evals.golden_readers.records import RecordError, Where, case_from_record


def read_jsonl(text: str, source: str, workload: str) -> tuple[list[Case], list[Problem]]:
    """Cases of a JSONL text and a problem for every bad line (blank lines are allowed)."""
    cases: list[Case] = []
    problems: list[Problem] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(source, lineno, f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        if not isinstance(record, dict):
            problems.append(Problem(source, lineno, f"a case is a JSON object, not {type(record).__name__}"))
            continue
        try:
            cases.append(case_from_record(record, Where(source, lineno, workload)))
        except RecordError as exc:
            problems.extend(Problem(source, lineno, reason) for reason in exc.reasons)
    return cases, problems
