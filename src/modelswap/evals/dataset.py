"""Loading a golden set from a file, whatever its format, with every bad line reported.

>>> golden = load_golden_set("tests.yaml")        # doctest: +SKIP
>>> golden.sha256, len(golden), golden.cases[0].where

Formats by extension: ``.jsonl``/``.ndjson`` (one case per line, the simulator's format),
``.csv`` (native columns or promptfoo's ``__expected``), ``.yaml``/``.yml``/``.json``
(a promptfoo test file: ``prompts`` + ``tests``). Nothing is skipped silently: all problems are
collected and raised together as one ``GoldenSetError`` (``file:line: reason`` each).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from modelswap.evals.case import Case, GoldenSet
from modelswap.evals.errors import GoldenSetError, Problem
from modelswap.evals.golden_readers.csvfile import read_csv
from modelswap.evals.golden_readers.jsonl import read_jsonl
from modelswap.evals.golden_readers.promptfoo import read_promptfoo

Reader = Callable[[str, str, str, Path], tuple[list[Case], list[Problem]]]

FORMATS: dict[str, tuple[str, Reader]] = {
    ".jsonl": ("jsonl", lambda text, source, workload, _: read_jsonl(text, source, workload)),
    ".ndjson": ("jsonl", lambda text, source, workload, _: read_jsonl(text, source, workload)),
    ".csv": ("csv", lambda text, source, workload, _: read_csv(text, source, workload)),
    ".yaml": ("promptfoo", read_promptfoo),
    ".yml": ("promptfoo", read_promptfoo),
    ".json": ("promptfoo", read_promptfoo),
}


def duplicate_ids(cases: list[Case]) -> list[Problem]:
    """A problem for every case whose id an earlier case already has."""
    first: dict[str, Case] = {}
    problems = []
    for case in cases:
        if case.id in first:
            problems.append(
                Problem(case.source, case.line, f"duplicate id {case.id!r} (first on line {first[case.id].line})")
            )
        else:
            first[case.id] = case
    return problems


def _read_text(path: Path) -> tuple[bytes, str]:
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GoldenSetError([Problem(source, 0, f"cannot read: {exc.strerror or exc}")]) from None
    try:
        return data, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise GoldenSetError([Problem(source, line, "not UTF-8 text")]) from None


def load_golden_set(path: str | Path, *, workload: str | None = None) -> GoldenSet:
    """The golden set in ``path``; raises ``GoldenSetError`` listing every problem found.

    ``workload`` is used for cases that name none (default: the file's stem).
    """
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(FORMATS)
        raise GoldenSetError([Problem(source, 0, f"unknown golden-set format {suffix or '(none)'!r} (known: {known})")])
    data, text = _read_text(path)
    if not text.strip():
        raise GoldenSetError([Problem(source, 0, "empty golden set: the file has no cases")])
    kind, reader = FORMATS[suffix]
    cases, problems = reader(text, source, workload or path.stem, path)
    problems += duplicate_ids(cases)
    if not cases and not problems:
        problems.append(Problem(source, 0, "empty golden set: the file has no cases"))
    if problems:
        raise GoldenSetError(sorted(dict.fromkeys(problems), key=lambda p: (p.path != source, p.path, p.line)))
    return GoldenSet(path=path, sha256=hashlib.sha256(data).hexdigest(), format=kind, cases=tuple(cases))
