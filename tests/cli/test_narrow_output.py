"""At 80 columns (CI logs, a laptop terminal) every table stays readable: no number is split, no cell cut.

The commands run as a user runs them, in a fresh interpreter with ``COLUMNS=80``, against the
store a short demo run filled.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from tests.cli.conftest import modelswap

from modelswap.cli.demo_cmd import command_prefix, reopen_note
from modelswap.cli.tables import fit

WORKLOADS = ("ticket-triage", "extraction", "order-tools")
SPLIT_NUMBER = re.compile(r"[$\d]\.\s*[│┃]?\s*$")  # a cell that ends in "$0." or "39.": its number went on


def assert_readable(text: str) -> None:
    lines = text.splitlines()
    assert lines, "no output"
    too_wide = [line for line in lines if len(line) > 80]
    assert not too_wide, too_wide
    assert "…" not in text  # a cell cut short
    split = [line for line in lines if SPLIT_NUMBER.search(line)]
    assert not split, split


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    cwd = tmp_path_factory.mktemp("narrow")
    done = modelswap("demo", "--no-serve", "--port", "0", "--requests", "60", "--rate", "400", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return cwd, done.stdout


def test_the_demo_report_fits_80_columns(demo: tuple[Path, str]) -> None:
    _, text = demo
    report = text[text.index("Traffic through the gateway") :]
    assert_readable(report.split("Same seed")[0])
    for name in WORKLOADS:
        assert re.search(rf"^{name}$", report, re.M), name  # whole, heading its block
    assert re.search(r"\$/1k old\s+\d+\.\d\d", report)
    # the extraction gate's figure reads whole on one line: verdict, estimate and interval
    assert re.search(r"pass rate \(new − old\)  FAIL −\d+\.\d pts \[−\d+\.\d, −\d+\.\d\]", report), report


def test_the_demo_prints_commands_that_work_as_printed(demo: tuple[Path, str]) -> None:
    cwd, text = demo
    nexts = [line.removeprefix("next: ") for line in text.splitlines() if line.startswith("next: ")]
    assert nexts and all(" -m modelswap " in n for n in nexts)  # run here as python -m modelswap
    assert "console: closed with the demo (--no-serve)" in text  # not a dead URL
    plan = subprocess.run(nexts[0], shell=True, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert plan.returncode == 0, plan.stderr
    assert "rollback-drill" in plan.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("plan",),
        ("plan", "--details"),
        ("inventory",),
        ("spend",),
        ("eval",),
        ("baseline",),
        ("gate",),
        ("stage", "show"),
    ],
    ids=" ".join,
)
def test_every_table_fits_80_columns(demo: tuple[Path, str], args: tuple[str, ...]) -> None:
    cwd, _ = demo
    done = modelswap(*args, "-c", "modelswap-demo/migration.yaml", cwd=cwd)
    assert done.returncode in (0, 1), done.stderr  # gate exits 1: the demo's extraction gate FAILs
    table_part = done.stdout
    if args[0] in ("gate", "baseline"):  # their explanations are prose lines the terminal wraps
        table_part = "\n".join(line for line in table_part.splitlines() if not re.match(r"  [\w-]+: ", line))
    if args[0] in ("inventory", "spend"):
        table_part = table_part.split("\ntok in/out")[0].split("\nactual:")[0]
    assert_readable(table_part)
    for name in WORKLOADS if args[0] != "plan" else ("rollback-drill", "nightly-scoring"):
        assert name in done.stdout


def test_a_wide_table_is_stacked_and_a_narrow_one_kept() -> None:
    table = Table("workload", "cost per request", "saving per day at full traffic", title="Spend")
    table.add_row("ticket-triage", "$0.000571", "$1,234.5678 (45.0 %)")
    wide, narrow = Console(width=120, record=True), Console(width=40, record=True)
    wide.print(fit(table))
    narrow.print(fit(table))
    assert "┃ workload" in wide.export_text()
    stacked = narrow.export_text()
    assert "ticket-triage\n" in stacked and "$1,234.5678" in stacked and "$0.000571" in stacked
    assert "┃" not in stacked


def test_printed_commands_name_the_venv_when_it_is_not_activated(tmp_path: Path, monkeypatch) -> None:
    exe = tmp_path / ".venv" / "bin" / "modelswap"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert command_prefix(".venv/bin/modelswap") == ".venv/bin/modelswap"
    monkeypatch.setenv("PATH", f"{exe.parent}:/usr/bin:/bin")
    assert command_prefix(str(exe)) == "modelswap"
    assert command_prefix("/x/modelswap/__main__.py", str(exe.parent / "python")) == ".venv/bin/python -m modelswap"
    note = reopen_note(".venv/bin/modelswap", Path("modelswap-demo/migration.yaml"))
    assert ".venv/bin/modelswap serve -c modelswap-demo/migration.yaml" in note
    assert "console-link" in note and "MODELSWAP_ADMIN_TOKEN" in note
