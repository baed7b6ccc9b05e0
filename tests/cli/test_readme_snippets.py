"""Every block fenced ``python run`` or ``bash run`` in README.md and docs/*.md runs as written after
``scripts/demo``, from the repository root, against the demo's own gateway.

A directory stands in for the repository root: ``.venv`` (this interpreter's environment, which
``scripts/demo`` makes), ``examples/`` (the repository's) and ``modelswap-demo/``, written by
``modelswap demo --no-serve`` as ``scripts/demo`` runs it (with fewer requests per phase, for time).
The README's one ``bash background`` block starts the demo's gateway there exactly as printed (the
only change made to any block: a free port for 8787) and keeps it running while the other blocks
run in file order: Python blocks in this interpreter, bash blocks with ``set -euo pipefail`` and the
venv's ``bin`` first on PATH, as after ``source .venv/bin/activate``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.cli.conftest import cli_env, modelswap, wait_healthy

from modelswap.gateway.server import free_port

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^( *)```(\w+) (run|background)\n(.*?)^\1```$", re.M | re.S)
VENV_BIN = Path(sys.executable).parent
DEMO_REQUESTS = "60"
"""Requests per traffic phase of the demo run here (``scripts/demo`` sends 400: the same steps, longer)."""


@dataclass(frozen=True)
class Block:
    """A fenced block marked to run: where it is, its language and its code (dedented)."""

    path: Path
    line: int
    lang: str
    mark: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """The blocks of ``path`` marked ``run`` or ``background``, in file order."""
    text = path.read_text(encoding="utf-8")
    return [
        Block(path, text.count("\n", 0, m.start()) + 1, m.group(2), m.group(3), textwrap.dedent(m.group(4)))
        for m in FENCE.finditer(text)
    ]


ALL = [b for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] for b in blocks(path)]
SNIPPETS = [b for b in ALL if b.mark == "run"]


@dataclass(frozen=True)
class DemoGateway:
    """The demo's files in a stand-in repository root, and its gateway started as the README says."""

    root: Path
    port: int
    admin_token: str


def snippet_env(root: Path, **extra: str) -> dict[str, str]:
    return cli_env(PATH=f"{VENV_BIN}:/usr/bin:/bin", **extra)


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository root after ``scripts/demo --no-serve``."""
    root = tmp_path_factory.mktemp("repo")
    (root / ".venv").symlink_to(VENV_BIN.parent, target_is_directory=True)
    (root / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    done = modelswap("demo", "--no-serve", "--port", "0", "--requests", DEMO_REQUESTS, cwd=root, timeout=900)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert (root / "modelswap-demo" / "migration.yaml").is_file()
    (root / "demo-output.txt").write_text(done.stdout)
    return root


@pytest.fixture(scope="module")
def demo_gateway(demo_root: Path) -> Iterator[DemoGateway]:
    """The README's ``bash background`` block, run as printed in the demo's root until the module ends."""
    (block,) = [b for b in ALL if b.mark == "background"]
    port = free_port()
    script = block.code.replace("8787", str(port)) + '\nprintf %s "$MODELSWAP_ADMIN_TOKEN" > .admin-token\nwait\n'
    log = demo_root / "gateway.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=demo_root,
            env=snippet_env(demo_root),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: the gateway it starts in the background stops with it
        )
    try:
        try:
            wait_healthy(port, proc)
        except pytest.fail.Exception as exc:
            pytest.fail(f"{exc}\n{log.read_text()}")
        token = (demo_root / ".admin-token").read_text()
        assert len(token) >= 24, "the block exports a strong admin token"
        yield DemoGateway(demo_root, port, token)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_readme_starts_the_demos_gateway_and_marks_its_snippets_to_run() -> None:
    (background,) = [b for b in ALL if b.mark == "background"]
    assert background.path.name == "README.md"
    assert "modelswap serve -c modelswap-demo/migration.yaml" in background.code
    readme = [b.code for b in SNIPPETS if b.path.name == "README.md"]
    assert any("from openai import OpenAI" in code for code in readme)
    assert any("anthropic.Anthropic(" in code for code in readme)
    assert any("/admin/rollback/undo" in code and "/admin/events" in code for code in readme)
    for name in ("inventory.md", "evals.md", "architecture.md"):
        assert any(b.path.name == name for b in SNIPPETS), f"docs/{name} has blocks marked to run"


def test_the_demo_says_how_to_start_its_gateway_again_as_the_readme_does(demo_root: Path) -> None:
    (background,) = [b for b in ALL if b.mark == "background"]
    printed = (demo_root / "demo-output.txt").read_text()
    assert "closed with the demo (--no-serve)" in printed
    assert "serve -c modelswap-demo/migration.yaml &" in printed and "export MODELSWAP_ADMIN_TOKEN=" in printed
    assert "export MODELSWAP_ADMIN_TOKEN=" in background.code


@pytest.mark.parametrize("block", SNIPPETS, ids=[b.id for b in SNIPPETS])
def test_snippet_runs_as_written(demo_gateway: DemoGateway, block: Block) -> None:
    code = block.code.replace(":8787", f":{demo_gateway.port}")
    command = [sys.executable, "-c", code] if block.lang == "python" else ["bash", "-euo", "pipefail", "-c", code]
    env = snippet_env(demo_gateway.root, MODELSWAP_ADMIN_TOKEN=demo_gateway.admin_token)
    done = subprocess.run(command, cwd=demo_gateway.root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{block.id} failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{block.id} printed nothing"
