"""``modelswap check`` counts recorded traffic that a cross-vendor new model would refuse."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.store import RequestRow, open_store

MIGRATION = """\
store: {store}
endpoints:
  old: {{provider: {old_provider}, model: {old_model}, api_key_env: MODELSWAP_TEST_KEY}}
  new: {{provider: {new_provider}, model: {new_model}, api_key_env: MODELSWAP_TEST_KEY}}
workloads:
  - name: support
"""
ASK = [{"role": "user", "content": "hi"}]


def _record(store_url: str, bodies: list[dict[str, object] | None]) -> None:
    with open_store(store_url) as store:
        now = datetime.now(UTC)
        store.requests.insert(
            [
                RequestRow(
                    ts=now,
                    workload="support",
                    arm="old",
                    endpoint="old",
                    model="gpt-4o",
                    status=200,
                    latency_ms=5.0,
                    request_body=body,
                )
                for body in bodies
            ]
        )


def _check(
    tmp_path: Path, store_url: str, new_provider: str, new_model: str, old: tuple[str, str] = ("openai", "gpt-4o")
) -> str:
    path = tmp_path / "migration.yaml"
    text = MIGRATION.format(
        store=store_url, new_provider=new_provider, new_model=new_model, old_provider=old[0], old_model=old[1]
    )
    path.write_text(text)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELSWAP_TEST_KEY", "sk-test")


def test_cross_vendor_check_counts_requests_using_untranslatable_fields(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    bodies: list[dict[str, object] | None] = [
        {"model": "gpt-4o", "messages": ASK, "logprobs": True, "top_logprobs": 2},
        {"model": "gpt-4o", "messages": ASK, "logprobs": True},
        {"model": "gpt-4o", "messages": ASK, "n": 3},  # fanned out: not refused
        {"model": "gpt-4o", "messages": ASK},
    ]
    _record(url, bodies)
    output = _check(tmp_path, url, "anthropic", "claude-haiku-4-5")
    assert (
        "workload support: 2 of 4 recorded requests use fields the new model (claude-haiku-4-5) cannot honour: "
        "logprobs (2), top_logprobs (1)"
    ) in output


def test_same_vendor_or_no_store_says_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    _record(url, [{"model": "gpt-4o", "messages": ASK, "logprobs": True}])
    assert "cannot honour" not in _check(tmp_path, url, "openai", "gpt-5")
    missing = tmp_path / "none.db"
    assert "cannot honour" not in _check(tmp_path, f"sqlite:///{missing}", "anthropic", "claude-haiku-4-5")
    assert not missing.exists(), "check does not create a store"


def test_records_without_bodies_are_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    _record(url, [None, None])
    assert "2 recorded requests kept no body" in _check(tmp_path, url, "anthropic", "claude-haiku-4-5")


def test_an_anthropic_app_moving_to_gpt_counts_server_tools(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    search = {"type": "web_search_20250305", "name": "web_search"}
    _record(url, [{"model": "claude", "max_tokens": 9, "messages": ASK, "tools": [search]}, {"messages": ASK}])
    output = _check(tmp_path, url, "openai", "gpt-5", old=("anthropic", "claude-haiku-4-5"))
    assert "1 of 2 recorded requests use fields the new model (gpt-5) cannot honour: tools (1)" in output
