"""What a newcomer gets wrong first is answered in one line, never a traceback."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.conftest import modelswap

from modelswap.config import load_migration
from modelswap.config_errors import ConfigError
from modelswap.gateway.server import free_port
from modelswap.store import StoreError, open_store


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr, stderr
    return lines[0]


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("starter")
    done = modelswap("init", "m", cwd=directory)
    assert done.returncode == 0, done.stderr
    return directory / "m" / "migration.yaml"


def variant(starter: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = starter.read_text()
    assert old in text, old
    path = starter.parent / f"{tmp_path.name}.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def test_sim_on_a_busy_port(busy_port: int, tmp_path: Path) -> None:
    done = modelswap("sim", "--port", str(busy_port), cwd=tmp_path, timeout=60)
    assert done.returncode == 1
    assert f"port {busy_port} on 127.0.0.1 is already in use" in one_line_error(done.stderr)


def test_serve_on_a_busy_port_says_so_before_claiming_to_listen(busy_port: int, starter: Path) -> None:
    done = modelswap("serve", "-c", str(starter), "--port", str(busy_port), cwd=starter.parent, timeout=60)
    assert done.returncode == 1
    assert "already in use" in one_line_error(done.stderr)
    assert "gateway on" not in done.stdout


def test_serve_with_the_postgresql_store_down(starter: Path, tmp_path: Path) -> None:
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    config = variant(starter, tmp_path, "store: sqlite:///modelswap.db", f"store: {down}")
    done = modelswap("serve", "-c", str(config), "--port", str(free_port()), cwd=starter.parent, timeout=60)
    assert done.returncode == 1
    assert "cannot open the store at postgresql" in one_line_error(done.stderr)
    assert "gateway on" not in done.stdout


def test_a_postgresql_store_without_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as on an install without the postgres extra
    with pytest.raises(StoreError) as caught:
        open_store(f"postgresql://postgres@127.0.0.1:{free_port()}/test")
    assert "pip install 'modelswap[postgres]'" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_serve_refuses_a_vendor_endpoint_whose_key_variable_is_unset(starter: Path, tmp_path: Path) -> None:
    config = variant(
        starter,
        tmp_path,
        "    provider: sim               # openai | anthropic | sim\n    model: gpt-4o\n",
        "    provider: openai\n    model: gpt-4o\n    base_url: https://api.openai.com/v1\n"
        "    api_key_env: MODELSWAP_TEST_UNSET_KEY\n",
    )
    done = modelswap("serve", "-c", str(config), "--port", str(free_port()), cwd=starter.parent, timeout=60)
    assert done.returncode == 1
    line = one_line_error(done.stderr)
    assert "$MODELSWAP_TEST_UNSET_KEY is not set" in line and "api.openai.com" in line


def test_eval_against_an_unreachable_endpoint_says_why(starter: Path, tmp_path: Path) -> None:
    config = variant(
        starter,
        tmp_path,
        "    provider: sim               # openai | anthropic | sim\n    model: gpt-4o\n",
        f"    provider: openai\n    model: gpt-4o\n    base_url: http://127.0.0.1:{free_port()}/v1\n"
        "    api_key_env: MODELSWAP_TEST_KEY\n",
    )
    done = modelswap(
        "eval", "-c", str(config), "-e", "old", "-w", "extraction", cwd=starter.parent, MODELSWAP_TEST_KEY="k"
    )
    assert done.returncode != 0 or "failed calls" in done.stdout
    firsts = [line for line in done.stderr.splitlines() if line.startswith("! first error from old")]
    assert len(firsts) == 1, done.stderr  # one kind of failure, said once
    assert "connect" in firsts[0]


def test_check_fails_on_a_missing_golden_set(starter: Path, tmp_path: Path) -> None:
    text = starter.read_text()
    golden = next(line.split(":", 1)[1].strip() for line in text.splitlines() if "golden_set:" in line)
    config = variant(starter, tmp_path, f"golden_set: {golden}", "golden_set: golden/missing.jsonl")
    done = modelswap("check", str(config), cwd=starter.parent, timeout=60)
    assert done.returncode == 1
    assert "missing.jsonl does not exist" in done.stdout + done.stderr


def test_the_default_workload_error_names_its_own_line(starter: Path, tmp_path: Path) -> None:
    config = variant(starter, tmp_path, "default_workload: ", "default_workload: no-such-workload  # ")
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1) if "no-such-workload" in text)
    with pytest.raises(ConfigError) as caught:
        load_migration(config)
    [issue] = caught.value.issues
    assert issue.line == line and issue.field == "gateway.default_workload"
    assert str(issue.message).startswith("'no-such-workload' is not a workload")
