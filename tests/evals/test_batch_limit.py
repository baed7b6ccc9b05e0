"""``limit``: a run on the first cases of a golden set says so with a digest of its own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from modelswap.evals.batch import first_cases
from modelswap.evals.dataset import load_golden_set
from modelswap.evals.targets import EvalSetupError


def test_first_cases_keeps_the_order_and_marks_the_part_with_its_own_digest(tmp_path: Path) -> None:
    path = tmp_path / "triage.jsonl"
    path.write_text(resources.files("modelswap.sim").joinpath("data/ticket-triage.jsonl").read_text())
    golden = load_golden_set(path, workload="ticket-triage")
    part = first_cases(golden, 7)
    assert [c.id for c in part.cases] == [c.id for c in golden.cases[:7]]
    assert part.sha256 != golden.sha256 and len(part.sha256) == 64 and part.path == golden.path
    assert first_cases(golden, 7).sha256 == part.sha256 and first_cases(golden, 8).sha256 != part.sha256
    assert first_cases(golden, len(golden)) is golden
    with pytest.raises(EvalSetupError, match="at least 1"):
        first_cases(golden, 0)
