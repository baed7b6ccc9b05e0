"""The migration file: valid files load, every broken one names file:line:field."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from modelswap.config import ConfigError, load_migration, parse_migration

TimeLimit = Callable[[float], AbstractContextManager[None]]

VALID = """\
name: demo
endpoints:
  old: {provider: sim, model: gpt-4o}
  new:
    provider: openai
    model: gpt-5
    api_key_env: OPENAI_API_KEY
    price: {input: 1.0, output: 8.0}
workloads:
  - name: support-chat
    match: {header: {x-modelswap-workload: support-chat}}
    golden_set: golden/support.jsonl
  - name: triage
    match:
      - user_prefix: "triage-"
      - metadata: {feature: triage}
    rollout:
      canary: {share: 5, hold_hours: 12}
rollout:
  shadow_min_days: 21
"""


def _issues(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_migration(text, "m.yaml", Path("/tmp"))
    return [str(i) for i in info.value.issues]


def test_valid_file_loads_with_process_defaults(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    path.write_text(VALID)
    m = load_migration(path)
    assert m.source == str(path)
    assert m.endpoints["new"].price is not None and m.endpoints["new"].price.output == 8.0
    support, triage = m.workloads
    assert support.golden_set == tmp_path / "golden/support.jsonl"
    assert [r.user_prefix for r in triage.match] == ["triage-", None]
    # top-level rollout applies to every workload, overrides merge per workload
    assert support.rollout.shadow_min_days == 21 and triage.rollout.shadow_min_days == 21
    assert support.rollout.canary.share == 1 and support.rollout.canary.hold_hours == 48
    assert triage.rollout.canary.share == 5 and triage.rollout.canary.hold_hours == 12
    assert [s.share for s in support.rollout.steps] == [10, 50, 100]
    assert support.rollout.retain_old_days == 30
    assert m.store == "sqlite:///" + str((tmp_path / "modelswap.db").resolve())


def test_loaded_migration_is_immutable() -> None:
    m = parse_migration(VALID, "m.yaml")
    with pytest.raises(ValueError):
        m.name = "other"  # type: ignore[misc]


def test_bad_yaml_names_line() -> None:
    issues = _issues("endpoints:\n  old: [1,\nworkloads: 2\n")
    assert len(issues) == 1 and issues[0].startswith("m.yaml:4:") and "invalid YAML" in issues[0]
    assert "started at line 2" in issues[0]


def test_unknown_field_suggests_the_right_one() -> None:
    text = VALID.replace("model: gpt-5", "modle: gpt-5")
    issues = _issues(text)
    assert any(i.startswith("m.yaml:6: endpoints.new.modle: unknown field; did you mean 'model'?") for i in issues)
    assert any(i.startswith("m.yaml:4: endpoints.new.model: this field is required") for i in issues)


def test_wrong_type_names_field_and_expectation() -> None:
    issues = _issues(VALID.replace("output: 8.0", "output: lots"))
    assert issues == ["m.yaml:8: endpoints.new.price.output: expected a number, got 'lots'"]


def test_missing_env_var_name_is_an_error() -> None:
    issues = _issues(VALID.replace("    api_key_env: OPENAI_API_KEY\n", ""))
    assert len(issues) == 1
    assert issues[0].startswith("m.yaml:4: endpoints.new: api_key_env is required for provider 'openai'")


def test_a_secret_in_place_of_the_env_var_name_is_refused() -> None:
    issues = _issues(VALID.replace("OPENAI_API_KEY", "sk-proj-abc123def456"))
    assert "looks like an API key itself" in issues[0] and issues[0].startswith("m.yaml:7:")
    assert "sk-proj-abc123def456" not in issues[0]


def test_missing_old_endpoint() -> None:
    issues = _issues(VALID.replace("  old: {provider: sim, model: gpt-4o}\n", ""))
    assert issues == [
        "m.yaml:1: endpoints must define old (the model now serving, and its successor)",
    ] or any("endpoints must define old" in i for i in issues)


def test_several_problems_are_all_reported_in_line_order() -> None:
    text = VALID.replace("provider: sim", "provider: simm").replace("support-chat\n", "Support Chat\n", 1)
    issues = _issues(text)
    assert issues[0].startswith("m.yaml:3: endpoints.old.provider: got 'simm'")
    assert issues[1].startswith("m.yaml:10: workloads[0].name: expected a lowercase slug")


def test_rollout_shares_must_increase() -> None:
    text = VALID.replace("canary: {share: 5, hold_hours: 12}", "canary: {share: 20, hold_hours: 12}")
    issues = _issues(text)
    assert issues == [
        "m.yaml:17: workloads[1].rollout: shares must increase stage by stage, got [20.0, 10.0, 50.0, 100.0]"
    ]


def test_empty_and_non_mapping_files() -> None:
    assert _issues("") == ["m.yaml:1: expected a mapping with endpoints and workloads, got an empty file"]
    assert _issues("- a\n- b\n") == ["m.yaml:1: expected a mapping with endpoints and workloads, got a list"]


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="modelswap init"):
        load_migration(tmp_path / "nope.yaml")


def test_api_key_is_read_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    m = parse_migration(VALID, "m.yaml")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert m.missing_env() == [("new", "OPENAI_API_KEY")]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert m.endpoints["new"].api_key() == "sk-test" and m.missing_env() == []


def test_default_workload_must_exist() -> None:
    issues = _issues(VALID + "gateway: {default_workload: nope}\n")
    line = len(VALID.splitlines()) + 1  # the line that names it, not the top of the file
    assert f":{line}: gateway.default_workload: 'nope' is not a workload" in issues[0]


def test_nightly_schedule_is_validated() -> None:
    m = parse_migration(VALID + "nightly: {enabled: true, at: '03:30', timezone: Europe/Paris}\n", "m.yaml")
    assert m.nightly.enabled and m.nightly.at == "03:30" and m.nightly.endpoints == ("old", "new")
    issues = _issues(VALID + "nightly: {at: '25:00', timezone: Mars/Olympus}\n")
    assert any("nightly.at" in i for i in issues)
    assert any("unknown time zone 'Mars/Olympus'" in i for i in issues)
    issues = _issues(VALID + "nightly: {workloads: [nope]}\n")
    assert any("nightly.workloads names unknown workloads: nope" in i for i in issues)


MERGED = """\
x-sim: &sim {provider: sim, model: gpt-4o, timeout_s: 5}
x-gates: &strict
  pass_rate: {max_drop_points: 1}
endpoints:
  old: *sim
  new:
    <<: *sim
    model: gpt-5
workloads:
  - name: a
    gates: *strict
  - name: b
    gates:
      <<: *strict
      p95_latency: {max_ratio: 1.3}
"""


def test_merge_keys_and_aliases_build_the_merged_config() -> None:
    m = parse_migration(MERGED, "m.yaml")
    old, new = m.endpoints["old"], m.endpoints["new"]
    assert (old.provider, old.model, old.timeout_s) == ("sim", "gpt-4o", 5)
    assert (new.provider, new.model, new.timeout_s) == ("sim", "gpt-5", 5), "own keys win over merged ones"
    a, b = m.workloads
    assert a.gates.pass_rate is not None and a.gates.pass_rate.max_drop_points == 1
    assert b.gates.pass_rate == a.gates.pass_rate and b.gates.p95_latency is not None


def test_a_problem_in_a_merged_value_names_the_line_it_is_written_on() -> None:
    issues = _issues(MERGED.replace("timeout_s: 5", "timeout_s: -5"))
    assert issues and all(i.startswith("m.yaml:1: endpoints.") and "timeout_s" in i for i in issues)
    issues = _issues(MERGED.replace("model: gpt-5", "modle: gpt-5"))
    assert any(i.startswith("m.yaml:8: endpoints.new.modle: unknown field; did you mean 'model'?") for i in issues)


def test_yaml_1_2_words_stay_text() -> None:
    """``no`` is a name, not false, and ``12:30`` a time, not the number 750 (YAML 1.1 read both wrongly)."""
    m = parse_migration(VALID.replace("name: demo", "name: no") + "nightly: {at: 12:30}\n", "m.yaml")
    assert m.name == "no" and m.nightly.at == "12:30"


def test_duplicate_keys_are_an_error_naming_both_lines() -> None:
    assert _issues(VALID + "name: again\n") == [
        'm.yaml:21: invalid YAML: found duplicate key "name" with value "again" (original value: "demo") '
        "(while constructing a mapping started at line 1)"
    ]


BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_billion_laughs_is_refused_at_once(time_limit: TimeLimit) -> None:
    assert len(BILLION_LAUGHS) < 400
    started = time.process_time()
    with time_limit(5.0):  # the old loader expanded all 9⁹ values: minutes
        issues = _issues(BILLION_LAUGHS)
    assert time.process_time() - started < 0.5
    assert len(issues) == 1 and issues[0].startswith("m.yaml:6: alias *e brings the data to more than 100,000 values")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("endpoints:\n  old: !!python/name:os.system x\n", 2, "unsupported tag !!python/name:os.system"),
        ("endpoints: !!python/object/apply:os.system [ls]\n", 1, "unsupported tag !!python/object/apply:os.system"),
        ("name: ok\nother: \x01\n", 2, "control character U+0001 is not allowed"),
        ("name: \x1b[31mred\n", 1, "control character U+001B is not allowed"),
        ("? [a, b]\n: 1\n", 1, "a mapping key must be a plain value"),
        ("k: &k [1]\n*k : 2\n", 2, "a mapping key must be a plain value"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", 1, "nested more than 64 levels deep"),
        ("".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v\n", 64, "nested more than 64 levels"),
        ("a: &x [*x]\n", 1, "alias *x is used inside the value it names"),
        ("a: *nowhere\n", 1, "alias *nowhere names no anchor"),
        ("name: 2026-13-01\n", 1, "cannot read this value: month must be in 1..12"),
        ("name: 1" + "0" * 5000 + "\n", 1, "cannot read this value: Exceeds the limit (4300 digits)"),
        ("a: 1\n---\nb: 2\n", 2, "expected a single document in the stream (started at line 1), but found another"),
    ],
)
def test_hostile_yaml_is_one_located_issue(text: str, line: int, words: str, time_limit: TimeLimit) -> None:
    with time_limit(5.0):
        issues = _issues(text)
    assert len(issues) == 1, issues
    assert issues[0].startswith(f"m.yaml:{line}: ") and words in issues[0], issues[0]
    assert "\n" not in issues[0] and "set_int_max_str_digits" not in issues[0]


def test_oversized_and_non_utf8_files_are_refused_without_reading_them_whole(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("name: x\n" + "# padding\n" * 100_000)
    with pytest.raises(ConfigError) as info:
        load_migration(big)
    assert [str(i) for i in info.value.issues] == [f"{big}:1: the file is over 512 KB, the limit for YAML files"]
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"name: x\nother: \xff\n")
    with pytest.raises(ConfigError) as info:
        load_migration(binary)
    assert [str(i) for i in info.value.issues] == [
        f"{binary}:2: invalid YAML: not UTF-8 text (byte 0xff); save the file as UTF-8"
    ]
