"""Helpers for tests that run real ``modelswap serve`` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from modelswap.gateway.server import free_port

STARTUP_S = 120.0
"""How long a ``modelswap serve`` child may take to answer ``/healthz``: start-up only, never a measured bound."""


class GatewayProcess:
    """``python -m modelswap serve`` in a child process, on a free loopback port."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = config.parent / f"gateway-{self.port}.log"
        self._log_file = self.log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "modelswap",
                "serve",
                "-c",
                str(config),
                "--port",
                str(self.port),
                "--log-level",
                "info",
            ],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )

    def wait_ready(self, timeout_s: float = STARTUP_S) -> None:
        """Poll ``/healthz`` until it answers 200. The deadline is for start-up only (imports, store,
        binding), generous because a loaded machine can take many seconds; it measures nothing."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"gateway {self.url} exited with {self.proc.returncode} while starting:\n{self.output()}"
                )
            try:
                if httpx.get(self.url + "/healthz", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise TimeoutError(f"gateway {self.url} not ready after {timeout_s:g} s; its output:\n{self.output()}")

    def output(self, lines: int = 80) -> str:
        """The last ``lines`` lines the process wrote (stdout and stderr), for failure messages."""
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:]) or "(nothing)"

    def terminate(self, timeout_s: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        finally:
            if not self._log_file.closed:
                self._log_file.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self._log_file.closed:
            self._log_file.close()
