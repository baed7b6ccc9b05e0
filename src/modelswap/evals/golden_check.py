"""Whether a migration's golden sets can be run and scored, before any model is called.

``modelswap check`` reports every problem (a missing file, a bad line with its number, an
unknown field with a guess, cases nothing can score); ``modelswap eval`` refuses a golden set
that would score nothing, since every call would be paid for and the gates would have no data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from modelswap.config import Migration
from modelswap.evals.case import Case, GoldenSet
from modelswap.evals.dataset import load_golden_set
from modelswap.evals.errors import GoldenSetError

HOW_TO_SCORE = "give each case `expected` (an exact match after normalising) or `assert` (a list of scorer specs)"


def unscorable(golden: GoldenSet) -> list[Case]:
    """The cases no scorer would judge: no ``assert`` and no ``expected`` answer."""
    return [case for case in golden if not case.assertions]


def lines(cases: list[Case], most: int = 5) -> str:
    """``lines 3, 7, 9 and 12 more`` for a message."""
    shown = ", ".join(str(c.line) for c in cases[:most])
    more = f" and {len(cases) - most} more" if len(cases) > most else ""
    return f"line{'s' if len(cases) > 1 else ''} {shown}{more}"


def nothing_to_score(golden: GoldenSet) -> str | None:
    """Why a golden set would score nothing, or None when at least one case can be scored."""
    if golden.cases and len(unscorable(golden)) == len(golden):
        return (
            f"{golden.path}: none of its {len(golden)} cases can be scored (no `expected` and no `assert`), "
            f"so an eval would pay for every call and judge nothing; {HOW_TO_SCORE}"
        )
    return None


@dataclass
class GoldenCheck:
    """What ``check`` found in the golden sets: problems (exit 1), warnings, and a line per good set."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)


def check_golden_sets(migration: Migration) -> GoldenCheck:
    """Load every workload's golden set and say what would stop or weaken an eval."""
    found = GoldenCheck()
    for workload in migration.workloads:
        path = workload.golden_set
        if path is None:
            continue
        where = f"workloads.{workload.name}.golden_set"
        if not Path(path).is_file():
            found.problems.append(f"{where}: {path} does not exist (or is not a file)")
            continue
        try:
            golden = load_golden_set(path, workload=workload.name)
        except GoldenSetError as exc:
            found.problems += [f"{where}: {p}" for p in exc.problems]
            continue
        reason = nothing_to_score(golden)
        if reason is not None:
            found.problems.append(f"{where}: {reason}")
            continue
        missing = unscorable(golden)
        if missing:
            found.warnings.append(
                f"{where}: {len(missing)} of {len(golden)} cases cannot be scored ({lines(missing)} of {path}): "
                f"their answers are stored but judged by no gate; {HOW_TO_SCORE}"
            )
        found.loaded.append(f"{where}: {len(golden)} cases ({golden.format})")
    return found
