"""``modelswap check`` on hostile YAML: one line naming file:line per file, never a traceback, at once."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app

runner = CliRunner()

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)

HOSTILE: dict[str, tuple[str | bytes, int]] = {
    "billion laughs": (LAUGHS, 6),
    "python tag": ("endpoints:\n  old: !!python/name:os.system\n", 2),
    "custom tag": ("name: !vault secret\n", 1),
    "control character": ("name: demo\nother: a\x07b\n", 2),
    "complex key": ("endpoints:\n  ? {a: 1}\n  : x\n", 2),
    "deep flow nesting": ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", 1),
    "deep block nesting": ("".join("  " * i + f"k{i}:\n" for i in range(500)) + "  " * 500 + "v\n", 64),
    "alias loop": ("a: &x {b: *x}\n", 1),
    "bad merge": ("endpoints:\n  <<: 5\n", 2),
    "bad date": ("name: demo\nnightly: 2026-02-30\n", 2),
    "not utf-8": (b"name: caf\xe9\n", 1),
    "too big": ("name: demo\n" + "# " + "x" * 600_000 + "\n", 1),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_is_one_located_line_and_exit_1(
    tmp_path: Path, case: str, time_limit: Callable[[float], AbstractContextManager[None]]
) -> None:
    content, line = HOSTILE[case]
    path = tmp_path / "m.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    started = time.process_time()
    with time_limit(10.0):
        result = runner.invoke(app, ["check", str(path)])
    elapsed = time.process_time() - started
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), f"{type(result.exception).__name__}: {result.exception}"
    located = [ln for ln in result.output.splitlines() if re.search(rf"{re.escape(str(path))}:\d+", ln)]
    assert len(located) == 1, result.output
    assert f"{path}:{line}: " in located[0], located[0]
    assert "Traceback" not in result.output
    assert elapsed < 2.0, f"{case} took {elapsed:.1f} s"


def test_merge_keys_pass_check(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "x-sim: &sim {provider: sim, model: gpt-4o}\n"
        "endpoints:\n"
        "  old: *sim\n"
        "  new: {<<: *sim, model: gpt-5}\n"
        "workloads:\n"
        "  - name: chat\n"
    )
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 endpoints, 1 workloads (chat)" in " ".join(result.output.split())  # the console wraps
