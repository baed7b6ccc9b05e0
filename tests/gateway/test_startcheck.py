"""Safe defaults at start: weak tokens and open network binds are refused with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app as cli
from modelswap.config import Migration
from modelswap.gateway.startcheck import UnsafeStart, check_start, is_loopback
from modelswap.serving import serve

from .conftest import ADMIN_TOKEN, migration_of, openai_endpoint

runner = CliRunner()


@pytest.fixture
def plain(tmp_path: Path) -> Migration:
    return migration_of(
        tmp_path, openai_endpoint("http://127.0.0.1:9", "gpt-4o"), openai_endpoint("http://127.0.0.1:9", "gpt-5")
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.1", "localhost", "::1", "[::1]", "LOCALHOST"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.168.1.4", "gateway.internal", "0"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_an_open_api_on_the_network_is_refused_unless_insecure(plain: Migration) -> None:
    check = check_start(plain, "0.0.0.0", app_keys=0, admin_token=None, metrics_token=None)
    (refusal,) = check.refusals
    assert "no app keys" in refusal and "--insecure" in refusal and "gateway.keys" in refusal
    allowed = check_start(plain, "0.0.0.0", app_keys=0, admin_token=None, metrics_token=None, insecure=True)
    assert allowed.refusals == [] and any("--insecure" in w for w in allowed.warnings)
    keyed = check_start(plain, "0.0.0.0", app_keys=1, admin_token=None, metrics_token=None)
    assert keyed.refusals == [] and any("/metrics" in w for w in keyed.warnings)
    assert check_start(plain, "127.0.0.1", app_keys=0, admin_token=None, metrics_token=None) == check_start(
        plain, "::1", app_keys=0, admin_token=None, metrics_token=None
    )


def test_a_weak_token_is_refused_even_on_loopback_and_with_insecure(plain: Migration) -> None:
    check = check_start(plain, "127.0.0.1", app_keys=0, admin_token="change-me", metrics_token=None, insecure=True)
    (refusal,) = check.refusals
    assert "MODELSWAP_ADMIN_TOKEN is too weak" in refusal and "9 characters" in refusal
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in refusal
    assert check_start(plain, "127.0.0.1", app_keys=0, admin_token=ADMIN_TOKEN, metrics_token=None).refusals == []


def test_a_named_but_unset_metrics_token_is_refused(tmp_path: Path) -> None:
    m = migration_of(
        tmp_path,
        openai_endpoint("http://127.0.0.1:9", "gpt-4o"),
        openai_endpoint("http://127.0.0.1:9", "gpt-5"),
        gateway={"metrics_token_env": "MS_METRICS"},
    )
    (refusal,) = check_start(m, "127.0.0.1", app_keys=0, admin_token=None, metrics_token=None).refusals
    assert "MS_METRICS" in refusal and "not set" in refusal
    (weak,) = check_start(m, "127.0.0.1", app_keys=0, admin_token=None, metrics_token="abc").refusals
    assert "metrics token in MS_METRICS is too weak" in weak


def test_serve_refuses_before_binding(plain: Migration, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELSWAP_ADMIN_TOKEN", raising=False)
    with pytest.raises(UnsafeStart, match="no app keys"):
        serve(plain, host="0.0.0.0", port=1)


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "migration.yaml"
    path.write_text(
        "store: sqlite:///gw.db\n"
        "endpoints:\n"
        "  old: {provider: openai, model: gpt-4o, base_url: 'http://127.0.0.1:9/v1', api_key_env: MS_K}\n"
        "  new: {provider: openai, model: gpt-5, base_url: 'http://127.0.0.1:9/v1', api_key_env: MS_K}\n"
        "workloads: [{name: support}]\n"
    )
    return path


def test_cli_serve_on_all_interfaces_without_keys_exits_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MS_K", "sk-x")
    monkeypatch.delenv("MODELSWAP_ADMIN_TOKEN", raising=False)
    result = runner.invoke(cli, ["serve", "-c", str(write_config(tmp_path)), "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 1
    assert "not starting" in result.output and "--insecure" in result.output
    assert "modelswap gateway on" not in result.output


def test_cli_serve_with_a_weak_token_says_how_to_make_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MS_K", "sk-x")
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", "x")
    result = runner.invoke(cli, ["serve", "-c", str(write_config(tmp_path)), "--port", "1"])
    assert result.exit_code == 1
    assert "too weak" in " ".join(result.output.split()) and "token_urlsafe(32)" in result.output
