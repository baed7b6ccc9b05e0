"""Run ``modelswap`` as a user does: a fresh interpreter at ``COLUMNS=80``; a gateway run by ``modelswap serve``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelswap.gateway.server import free_port

SRC = Path(__file__).resolve().parents[2] / "src"


def cli_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "80", "TERM": "dumb", "NO_COLOR": "1", **extra}


def modelswap(*args: str, cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    """``modelswap ARGS`` in a fresh interpreter, at 80 columns."""
    return subprocess.run(
        [sys.executable, "-m", "modelswap", *args],
        cwd=cwd,
        env=cli_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass(frozen=True)
class Served:
    """A gateway that ``modelswap serve`` runs: its migration file, port and admin token."""

    directory: Path
    config: Path
    port: int
    admin_token: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def wait_healthy(port: int, proc: subprocess.Popen[str], deadline_s: float = 120) -> None:
    """Until ``/healthz`` answers; a server that exits first fails the test with its output."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"modelswap serve exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("modelswap serve did not answer /healthz in time")


def serve_process(config: Path, port: int, cwd: Path, admin_token: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "modelswap", "serve", "-c", str(config), "--port", str(port)],
        cwd=cwd,
        env=cli_env(MODELSWAP_ADMIN_TOKEN=admin_token),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``modelswap init --scenario gpt-5-to-sonnet`` served by ``modelswap serve``, as the README walks through."""
    directory = tmp_path_factory.mktemp("served")
    done = modelswap("init", "my-migration", "--scenario", "gpt-5-to-sonnet", cwd=directory)
    assert done.returncode == 0, done.stderr
    config = directory / "my-migration" / "migration.yaml"
    port, token = free_port(), "Kq3v-example-admin-token-9xZt2LmP"
    proc = serve_process(config, port, directory, token)
    try:
        wait_healthy(port, proc)
        yield Served(directory, config, port, token)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
