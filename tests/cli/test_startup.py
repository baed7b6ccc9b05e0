"""Start-up stays light: ``modelswap --help``, ``rollback``, ``stage`` and ``check`` import no heavy stack,
and a real ``rollback`` or ``stage show`` neither SQLAlchemy nor the settings models.

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


FLAG_PATH_SKIPS = ("sqlalchemy", "modelswap.config", "modelswap.store.store", "modelswap.store.engine")
"""What the light flag path (``store.flag_fast``, ``config_flag``) leaves unloaded: no ORM, no settings models."""

REAL_FLAG_COMMANDS = [
    ("rollback", "--reason", "drill", "--by", "ops"),
    ("rollback", "--undo", "--by", "ops"),
    ("stage", "show"),
]


@pytest.mark.parametrize("args", REAL_FLAG_COMMANDS)
def test_a_real_rollback_or_stage_imports_only_what_it_uses(tmp_path: Path, args: tuple[str, ...]) -> None:
    assert CliRunner().invoke(app, ["init", str(tmp_path)]).exit_code == 0
    config = tmp_path / "migration.yaml"
    from modelswap.config import load_migration
    from modelswap.store import open_store

    open_store(load_migration(config).store).close()  # a store at this schema version, as `serve` leaves it
    modules = _modules_after(*args, "-c", str(config), cwd=tmp_path)
    assert "modelswap.store.flag_fast" in modules and "modelswap.config_flag" in modules  # it did run
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, NO_VENDOR_CALLS) == []
    assert _loaded(modules, FLAG_PATH_SKIPS) == []


@pytest.mark.parametrize("args", REAL_FLAG_COMMANDS)
def test_the_light_flag_path_serves_postgresql_too(tmp_path: Path, pg_schema_url: str, args: tuple[str, ...]) -> None:
    assert CliRunner().invoke(app, ["init", str(tmp_path)]).exit_code == 0
    config = tmp_path / "migration.yaml"
    config.write_text(config.read_text().replace("store: sqlite:///modelswap.db", f"store: '{pg_schema_url}'"))
    from modelswap.store import open_store

    open_store(pg_schema_url).close()
    modules = _modules_after(*args, "-c", str(config), cwd=tmp_path)
    assert "psycopg" in modules and "modelswap.store.flag_fast" in modules
    assert _loaded(modules, FLAG_PATH_SKIPS) == []


def test_a_store_the_light_path_cannot_vouch_for_goes_through_open_store(tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["init", str(tmp_path)]).exit_code == 0
    (tmp_path / "modelswap.db").unlink(missing_ok=True)  # not created yet: open_store creates it
    modules = _modules_after("rollback", "-c", str(tmp_path / "migration.yaml"), cwd=tmp_path)
    assert "modelswap.store.store" in modules and (tmp_path / "modelswap.db").is_file()


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
