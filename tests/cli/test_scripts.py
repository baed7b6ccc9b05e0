"""``scripts/_venv.sh``: a first install says what it is doing, one line per package, and a failure shows pip's log."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAKE_PIP = """#!/bin/sh
case "$*" in *--upgrade*) exit 0 ;; esac
echo "Obtaining file:///repo"
echo "Collecting numpy>=1.26"
echo "  Downloading numpy.whl (16 MB)"
echo "Collecting openai>=1.40"
echo "Successfully installed numpy openai"
[ -n "$FAIL" ] && { echo "ERROR: No matching distribution found for numpy"; exit 1; }
exit 0
"""


def ensure(tmp_path: Path, fail: bool) -> subprocess.CompletedProcess[str]:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    python = venv / "bin" / "python"
    python.write_text(FAKE_PIP)
    python.chmod(0o755)
    if not (tmp_path / "pyproject.toml").exists():
        (tmp_path / "pyproject.toml").write_text("")
    script = f"set -euo pipefail; MODELSWAP_VENV={venv}; source {ROOT}/scripts/_venv.sh; ensure_venv sdk"
    env = {"PATH": "/usr/bin:/bin", **({"FAIL": "1"} if fail else {})}
    return subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)


def test_a_first_install_shows_progress(tmp_path: Path) -> None:
    done = ensure(tmp_path, fail=False)
    assert done.returncode == 0, done.stderr
    assert "installing modelswap[sdk]" in done.stdout and "first run: a few minutes" in done.stdout
    assert "  collecting numpy>=1.26\n  collecting openai>=1.40\n" in done.stdout
    assert "Downloading" not in done.stdout  # one line per package, not pip's whole log
    assert (tmp_path / "venv" / ".installed-sdk").exists()
    again = ensure(tmp_path, fail=False)
    assert again.stdout == ""  # installed: nothing to do, nothing said


def test_a_failed_install_stops_and_shows_the_end_of_pips_log(tmp_path: Path) -> None:
    done = ensure(tmp_path, fail=True)
    assert done.returncode == 1
    assert "pip install failed" in done.stderr and "No matching distribution found for numpy" in done.stderr
    assert not (tmp_path / "venv" / ".installed-sdk").exists()
