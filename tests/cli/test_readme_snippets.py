"""Every README block fenced as ``python run`` or ``bash run`` runs as written against a served gateway.

The gateway is the walkthrough's (``modelswap init my-migration --scenario gpt-5-to-sonnet``, then
``modelswap serve``) on a free port: the only change made to a snippet is that port for 8787.
Python blocks run in this interpreter (which has the SDKs ``scripts/demo`` installs); bash blocks
with ``MODELSWAP_ADMIN_TOKEN`` exported as the walkthrough does before ``serve``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cli.conftest import Served, cli_env

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w+) run\n(.*?)^```$", re.M | re.S)


def runnable(path: Path) -> list[tuple[str, str, int]]:
    """(language, code, line) of each block marked to run."""
    text = path.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


SNIPPETS = [
    (path, *block) for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] for block in runnable(path)
]


def test_the_readme_marks_its_client_and_admin_snippets_to_run() -> None:
    readme = [(lang, code) for path, lang, code, _ in SNIPPETS if path.name == "README.md"]
    assert any("from openai import OpenAI" in code for _, code in readme)
    assert any("anthropic.Anthropic(" in code for _, code in readme)
    assert any("/admin/rollback/undo" in code and "/admin/events" in code for _, code in readme)


@pytest.mark.parametrize(
    ("path", "lang", "code", "line"), SNIPPETS, ids=[f"{p.name}:{line}" for p, _, _, line in SNIPPETS]
)
def test_snippet_runs_as_written(served: Served, path: Path, lang: str, code: str, line: int) -> None:
    code = code.replace(":8787", f":{served.port}")
    command = [sys.executable, "-c", code] if lang == "python" else ["bash", "-euo", "pipefail", "-c", code]
    env = cli_env(MODELSWAP_ADMIN_TOKEN=served.admin_token, PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin")
    done = subprocess.run(command, cwd=served.directory, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{path.name}:{line} failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{path.name}:{line} printed nothing"
