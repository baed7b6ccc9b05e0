"""``modelswap init`` writes files that ``modelswap check`` accepts; broken files fail with file:line:field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.catalog import scenarios
from modelswap.cli.app import app
from modelswap.config import load_migration
from modelswap.rollout.retention import lifecycle_issues

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("slug", [s.slug for s in scenarios()])
def test_init_writes_a_file_check_accepts(tmp_path: Path, slug: str) -> None:
    code, output = _run("init", str(tmp_path), "--scenario", slug)
    assert code == 0, output
    picked = [line for line in output.splitlines() if line.startswith(("old: ", "new: "))]
    assert [line[:5] for line in picked] == ["old: ", "new: "], output  # which model, and why, per endpoint
    text = (tmp_path / "migration.yaml").read_text()
    assert f"scenario: {slug}" in text and text.startswith("# modelswap migration file")
    routed = slug == "sonnet-to-haiku-routing"  # one routed demo workload with its own, larger golden set
    expected = (
        ["extraction-routing.jsonl"] if routed else ["json-extraction.jsonl", "ticket-triage.jsonl", "tool-call.jsonl"]
    )
    assert sorted(p.name for p in (tmp_path / "golden").iterdir()) == expected
    migration = load_migration(tmp_path / "migration.yaml")
    assert lifecycle_issues(migration, date.today())[0] == []  # no retired target
    assert [w.routing is not None for w in migration.workloads] == [routed] * len(migration.workloads)
    code, output = _run("check", str(tmp_path / "migration.yaml"))
    assert code == 0, output
    assert ("1 workloads" if routed else "3 workloads") in output
    assert "endpoints.new.model" not in output, output  # no deprecation or retirement warning on the target


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    assert _run("init", str(tmp_path))[0] == 0
    code, output = _run("init", str(tmp_path))
    assert code == 1 and "already exists" in output and "--force" in output
    assert _run("init", str(tmp_path), "--force")[0] == 0


def test_init_unknown_scenario_lists_valid_ones(tmp_path: Path) -> None:
    code, output = _run("init", str(tmp_path), "--scenario", "gpt4-to-gpt5")
    assert code == 1
    assert "gpt-4o-to-gpt-5" in output


def test_init_list_shows_every_preset() -> None:
    code, output = _run("init", "--list")
    assert code == 0
    for s in scenarios():
        assert s.slug in output


GOOD = """\
endpoints:
  old: {provider: sim, model: gpt-4o}
  new:
    provider: openai
    model: gpt-5
    api_key_env: MODELSWAP_TEST_KEY
workloads:
  - name: triage
"""

BROKEN = {
    "bad yaml": ("endpoints:\n  old: {provider: sim\nworkloads: []\n", ["bad.yaml:", "invalid YAML"]),
    "unknown field": (
        GOOD.replace("model: gpt-5", "modle: gpt-5"),
        ["bad.yaml:5: endpoints.new.modle: unknown field; did you mean 'model'?"],
    ),
    "wrong type": (
        GOOD + "gateway: {port: eighty}\n",
        ["bad.yaml:9: gateway.port: expected a whole number, got 'eighty'"],
    ),
    "missing env var name": (
        GOOD.replace("    api_key_env: MODELSWAP_TEST_KEY\n", ""),
        ["bad.yaml:3: endpoints.new: api_key_env is required for provider 'openai'"],
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_reports_file_line_field_and_exits_non_zero(tmp_path: Path, case: str) -> None:
    text, expected = BROKEN[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code, output = _run("check", str(path))
    assert code == 1
    flat = " ".join(output.split())
    for fragment in expected:
        assert fragment.replace("bad.yaml", str(path)) in flat or fragment in flat, output
    assert "Traceback" not in output


def test_check_warns_when_the_key_variable_is_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELSWAP_TEST_KEY", raising=False)
    path = tmp_path / "m.yaml"
    path.write_text(GOOD)
    code, output = _run("check", str(path))
    assert code == 0
    assert "$MODELSWAP_TEST_KEY is not set" in " ".join(output.split())


def test_check_missing_file(tmp_path: Path) -> None:
    code, output = _run("check", str(tmp_path / "nope.yaml"))
    assert code == 1 and "modelswap init" in output


def test_hash_key_prints_sha256() -> None:
    code, output = _run("hash-key", "secret")
    assert code == 0
    assert output.strip() == "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"


@pytest.mark.parametrize("command", ["check", "serve"])
def test_an_unusable_proxy_variable_stops_the_command_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    assert _run("init", str(tmp_path))[0] == 0
    monkeypatch.setenv("HTTPS_PROXY", "socks5://alice:s3cret@proxy.corp:1080")
    args = [str(tmp_path / "migration.yaml")] if command == "check" else ["-c", str(tmp_path / "migration.yaml")]
    code, output = _run(command, *args)
    output = " ".join(output.split())  # the console wraps long lines
    assert code == 1
    assert "HTTPS_PROXY=socks5://proxy.corp:1080: only http:// proxies are supported" in output
    assert "s3cret" not in output and "Traceback" not in output


def test_check_says_which_endpoints_go_through_the_proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "migration.yaml"
    config.write_text(
        "endpoints:\n"
        "  old: {provider: openai, model: gpt-4o, api_key_env: OPENAI_API_KEY}\n"
        "  new: {provider: anthropic, model: claude-sonnet-4-6, api_key_env: ANTHROPIC_API_KEY,\n"
        "        base_url: 'https://llm.internal.example'}\n"
        "workloads:\n"
        "  - name: chat\n"
    )
    monkeypatch.setenv("HTTPS_PROXY", "http://alice:s3cret@proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", ".internal.example")
    code, output = _run("check", str(config))
    assert code == 0, output
    assert "endpoints.old: https://api.openai.com/v1 through the proxy proxy.corp:3128" in output
    assert "endpoints.new: https://llm.internal.example direct (NO_PROXY or loopback)" in output
    assert "s3cret" not in output


def test_check_takes_the_file_as_dash_c_like_every_other_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from modelswap.cli.app import app

    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    config = str(tmp_path / "migration.yaml")
    by_option = runner.invoke(app, ["check", "-c", config])
    by_argument = runner.invoke(app, ["check", config])
    assert by_option.exit_code == 0 and by_option.output == by_argument.output
    both = runner.invoke(app, ["check", config, "-c", str(tmp_path / "other.yaml")])
    assert both.exit_code == 1 and "check one at a time" in both.output
