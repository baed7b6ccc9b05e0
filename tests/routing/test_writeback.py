"""Writing a calibrated threshold back: one line changes, comments and the rest stay."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from modelswap.config import load_migration
from modelswap.routing.writeback import ThresholdWriteError, write_threshold
from modelswap.starter import write_starter


def test_only_the_threshold_line_changes_and_the_file_still_loads(tmp_path: Path) -> None:
    written = write_starter(tmp_path, "sonnet-to-haiku-routing", today=date(2026, 12, 2))
    before = written.migration.read_text().splitlines()
    line = write_threshold(written.migration, "extraction", 0.75, "calibrated on 2026-12-02")
    after = written.migration.read_text().splitlines()
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [line - 1]
    assert after[line - 1] == "      threshold: 0.75  # calibrated on 2026-12-02"
    routing = load_migration(written.migration).workload("extraction").routing
    assert routing is not None and routing.threshold == 0.75


def test_a_missing_threshold_line_or_workload_is_named(tmp_path: Path) -> None:
    written = write_starter(tmp_path, "sonnet-to-haiku-routing", today=date(2026, 12, 2))
    with pytest.raises(ThresholdWriteError, match="no workload 'nope'"):
        write_threshold(written.migration, "nope", 0.5, "x")
    text = written.migration.read_text()
    cut = "\n".join(line for line in text.splitlines() if "threshold:" not in line)
    written.migration.write_text(cut)
    with pytest.raises(ThresholdWriteError, match="has no threshold: line"):
        write_threshold(written.migration, "extraction", 0.5, "x")
