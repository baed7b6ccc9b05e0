"""The processes the gateway benchmark measures: mocks, the floor proxy, modelswap, LiteLLM.

Each server runs in its own process group (so it and any worker it forks can be stopped
together) and logs to a file in the run's work directory; a server that dies or never
turns healthy raises ``ServerFailed`` with the end of its log.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
MODELSWAP = Path(sys.executable).parent / "modelswap"

LITELLM_VENV = BENCH / ".venv-litellm"
LITELLM_PACKAGES = ("litellm[proxy]==1.108.7", "httptools", "uvloop")
"""LiteLLM pinned so numbers compare across runs; ``httptools`` and ``uvloop`` because its
``[proxy]`` extra does not pull them in and uvicorn is far slower without them."""
LITELLM_KEY = "sk-bench-master"
UPSTREAM_KEY_ENV = "BENCH_KEY"


class ServerFailed(RuntimeError):
    """A server could not be set up, started, or made healthy."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class Server:
    """One server process, started in its own session and stopped with its children."""

    name: str
    argv: list[str]
    health_url: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was not started"
        return self.process.pid

    def start(self) -> Server:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise ServerFailed(f"{self.name} exited with code {self.process.returncode}:\n{self.log_tail()}")
            if http_ok(self.health_url):
                return
            time.sleep(0.1)
        raise ServerFailed(f"{self.name} not healthy at {self.health_url} after {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join("    " + line for line in text[-lines:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, 8.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)  # the group this server leads: it and its workers
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait_s)
                return
            except subprocess.TimeoutExpired:
                continue


def mock_server(name: str, workdir: Path) -> Server:
    port = free_port()
    return Server(
        name,
        [PYTHON, str(BENCH / "_mock_upstream.py"), "--port", str(port)],
        f"http://127.0.0.1:{port}/v1/models",
        workdir,
    )


def floor_server(upstream: str, workdir: Path, server: str = "aiohttp") -> Server:
    """The bare pass-through proxy on an aiohttp server (``floor``) or on uvicorn (``floor-asgi``)."""
    port = free_port()
    argv = [PYTHON, str(BENCH / "_floor_proxy.py"), "--port", str(port), "--upstream", upstream, "--server", server]
    name = "floor" if server == "aiohttp" else "floor-asgi"
    return Server(name, argv, f"http://127.0.0.1:{port}/healthz", workdir)


def base_url(server: Server) -> str:
    """``http://host:port`` of a server, from its health URL."""
    parts = urllib.parse.urlsplit(server.health_url)
    return f"{parts.scheme}://{parts.netloc}"


# ----------------------------------------------------------------------------- modelswap


def modelswap_problem() -> str | None:
    """Why ``modelswap serve`` cannot be used yet, or ``None`` when it can."""
    if not MODELSWAP.exists():
        return f"{MODELSWAP} not found (install the project: pip install -e .)"
    try:
        done = subprocess.run([str(MODELSWAP), "serve", "--help"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`modelswap serve --help` failed: {exc}"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        return f"`modelswap serve --help` exited {done.returncode}: {lines[-1] if lines else ''}"
    return None


def modelswap_server(
    name: str, stage: list[str], old_url: str, new_url: str, workdir: Path, record_bodies: str | None = "none"
) -> Server:
    """A modelswap gateway whose workload ``bench`` is set to ``stage`` before it starts.

    ``stage`` is the tail of ``modelswap stage set bench ...``, e.g. ``["split", "--share", "10"]``.
    ``record_bodies``: the policy, or ``None`` for the default configuration (no setting at all).
    """
    home = workdir / name
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = home / "migration.yaml"
    config.write_text(
        "store: sqlite:///bench.db\n"
        "endpoints:\n"
        f'  old: {{provider: openai, model: gpt-4o, base_url: "{old_url}", api_key_env: {UPSTREAM_KEY_ENV}}}\n'
        f'  new: {{provider: openai, model: gpt-5, base_url: "{new_url}", api_key_env: {UPSTREAM_KEY_ENV}}}\n'
        "workloads:\n"
        "  - name: bench\n"
        f"gateway: {{host: 127.0.0.1, port: {port}, default_workload: bench"
        + (f", record_bodies: {record_bodies}}}\n" if record_bodies else "}\n")
    )
    env = {UPSTREAM_KEY_ENV: "bench-upstream-key", "MODELSWAP_ADMIN_TOKEN": "bench-admin-Hq4Zr8Wm2Kx6Tn9Pv3Ly7Bc5"}
    # the benchmark has no golden set or shadow days: its stages are set past the evidence, on purpose
    force = ["--force", "--reason", "benchmark configuration"] if stage and stage[0] in ("split", "full") else []
    argv = [str(MODELSWAP), "stage", "set", "bench", *stage, *force, "-c", str(config)]
    done = subprocess.run(argv, cwd=home, env={**os.environ, **env}, capture_output=True, timeout=120)
    if done.returncode != 0:
        output = (done.stderr + done.stdout).decode(errors="replace").strip()
        raise ServerFailed(f"{name}: `{' '.join(argv[1:])}` exited {done.returncode}:\n{output[-1500:]}")
    return Server(name, [str(MODELSWAP), "serve", "-c", str(config)], f"http://127.0.0.1:{port}/healthz", home, env)


# ----------------------------------------------------------------------------- LiteLLM


def ensure_litellm(log: Path) -> str | None:
    """Install LiteLLM into ``bench/.venv-litellm`` if needed; ``None`` when usable, else why not."""
    python = LITELLM_VENV / "bin" / "python"
    probe = [str(python), "-c", "import litellm.proxy.proxy_server, httptools, uvloop"]
    if python.exists() and subprocess.run(probe, capture_output=True, timeout=300).returncode == 0:
        return None
    print(
        f"installing {' '.join(LITELLM_PACKAGES)} into {LITELLM_VENV} (first run only; a few minutes) ...",
        file=sys.stderr,
        flush=True,
    )
    steps = [
        [PYTHON, "-m", "venv", str(LITELLM_VENV)],
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *LITELLM_PACKAGES],
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        for step in steps:
            try:
                done = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, timeout=1800)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return f"`{' '.join(step)}` failed: {exc} (log: {log})"
            if done.returncode != 0:
                return f"`{' '.join(step)}` exited {done.returncode} (log: {log})"
    if subprocess.run(probe, capture_output=True, timeout=300).returncode != 0:
        return f"LiteLLM installed but `import litellm.proxy.proxy_server` fails (log: {log})"
    return None


def litellm_version() -> str | None:
    python = LITELLM_VENV / "bin" / "python"
    code = "import importlib.metadata as m; print(m.version('litellm'))"
    try:
        done = subprocess.run([str(python), "-c", code], capture_output=True, timeout=60)
    except OSError:
        return None
    return done.stdout.decode().strip() or None


def litellm_server(models: dict[str, str], workdir: Path) -> Server:
    """LiteLLM's proxy, one uvicorn worker, no database; ``models`` maps a name to its api_base.

    Every deployment is ``openai/gpt-4o``, a model with a price in LiteLLM's bundled cost
    map, so it does not run its missing-price diagnostics on every request.
    """
    home = workdir / "litellm"
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    lines = ["model_list:"]
    for name, api_base in models.items():
        lines += [
            f"  - model_name: {name}",
            "    litellm_params:",
            "      model: openai/gpt-4o",
            f"      api_base: {api_base}",
            "      api_key: bench-upstream-key",
        ]
    lines += ["general_settings:", f"  master_key: {LITELLM_KEY}"]
    (home / "config.yaml").write_text("\n".join(lines) + "\n")
    # Generous to LiteLLM: no per-request access log line (modelswap pays for whatever it logs).
    logging_config = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"stderr": {"class": "logging.StreamHandler"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO"},
            "uvicorn.access": {"level": "WARNING", "propagate": False},
        },
    }
    (home / "logging.json").write_text(json.dumps(logging_config))
    env = {
        "LITELLM_MASTER_KEY": LITELLM_KEY,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY_DISABLED": "true",
        "LITELLM_LOG": "ERROR",
        "DISABLE_SCHEMA_UPDATE": "true",
    }
    argv = [
        str(LITELLM_VENV / "bin" / "litellm"),
        "--config",
        str(home / "config.yaml"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "1",
        "--log_config",
        str(home / "logging.json"),
    ]
    return Server("litellm", argv, f"http://127.0.0.1:{port}/health/liveliness", home, env)
