"""Start-up stays light: ``modelswap --help``, ``rollback``, ``stage`` and ``check`` import no heavy stack.

Each probe runs in a fresh interpreter (the test process has everything imported already) and
reports the modules loaded; asserting the import set, not a wall-clock time, keeps this from
flaking on a loaded machine while still failing the moment a command module imports eagerly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap import __version__
from modelswap.cli.app import app

HEAVY = ("numpy", "scipy", "duckdb", "starlette", "uvicorn", "jinja2")
# (typer itself imports pydantic, so pydantic is not on this list)
LIBRARY = ("sqlalchemy", "aiohttp", "modelswap.config", "modelswap.store", "modelswap.evals")

PROBE = """
import json, sys
from modelswap.cli.app import main
sys.argv = ["modelswap", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print("\\n@@" + json.dumps(sorted(sys.modules)))
"""


def _modules_after(*args: str, cwd: Path | None = None) -> set[str]:
    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin", "COLUMNS": "100"},
    )
    return set(json.loads(done.stdout.rpartition("\n@@")[2]))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n in modules or any(m.startswith(n + ".") for m in modules))


@pytest.mark.parametrize(
    "args", [("--help",), ("rollback", "--help"), ("stage", "--help"), ("stage", "set", "--help"), ("check", "--help")]
)
def test_help_imports_neither_the_heavy_stack_nor_the_library(args: tuple[str, ...]) -> None:
    modules = _modules_after(*args)
    assert "modelswap.cli.app" in modules
    assert _loaded(modules, HEAVY + LIBRARY + ("asyncio",)) == []  # asyncio (with ssl): only where a command runs it


NO_VENDOR_CALLS = ("modelswap.providers", "aiohttp", "modelswap.evals", "modelswap.gateway", "modelswap.sim")
"""What a command that only writes the store (``rollback``, ``stage``) has no use for."""


@pytest.mark.parametrize(
    "args", [("rollback", "--reason", "drill", "--by", "ops"), ("rollback", "--undo", "--by", "ops"), ("stage", "show")]
)
def test_a_real_rollback_or_stage_imports_only_what_it_uses(tmp_path: Path, args: tuple[str, ...]) -> None:
    assert CliRunner().invoke(app, ["init", str(tmp_path)]).exit_code == 0
    config = str(tmp_path / "migration.yaml")
    modules = _modules_after(*args, "-c", config, cwd=tmp_path)
    assert "sqlalchemy" in modules and "modelswap.config" in modules  # it did run
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, NO_VENDOR_CALLS) == []


def test_version_flag_and_command_agree() -> None:
    for args in (["--version"], ["-V"], ["version"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0 and result.output.strip() == __version__


def test_defaults_shown_in_help_match_the_library() -> None:
    # copied into the command modules so --help needs no library import; kept equal here
    from modelswap.cli import baseline_cmd, eval_cmd, formats, init_cmd
    from modelswap.evals.baseline import MIN_SAMPLE
    from modelswap.evals.targets import DEFAULT_CONCURRENCY
    from modelswap.inventory.readers import format_names
    from modelswap.starter import DEFAULT_SCENARIO

    assert init_cmd.DEFAULT_SCENARIO == DEFAULT_SCENARIO
    assert eval_cmd.DEFAULT_CONCURRENCY == DEFAULT_CONCURRENCY
    assert baseline_cmd.MIN_SAMPLE == MIN_SAMPLE
    assert set(formats.LOG_FORMATS[1:]) <= set(format_names())  # the built-in ones (tests may register more)
