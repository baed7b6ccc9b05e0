"""Naming proposals by fingerprint: stable across runs; P-numbers never write; the YAML is shown first."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import Migration, load_migration
from modelswap.inventory import fingerprint, take_inventory
from modelswap.inventory.naming import NamingError, resolve_names

from .conftest import openai_record, spread, write_jsonl

T0 = datetime(2025, 3, 1, tzinfo=UTC)
REPORT = "You write the weekly revenue report from the figures given."
SQL = "Translate the analyst's question into one read-only SQL query."
runner = CliRunner()


def _fp(system: str) -> str:
    return fingerprint(system, None, "gpt-4o")


def _logs(tmp_path: Path) -> tuple[Path, Path]:
    """a.jsonl: 30 report, 20 SQL requests; b.jsonl: 40 more SQL. Alone, a makes the report P1; with b, SQL is P1."""
    write_jsonl(tmp_path / "a.jsonl", [openai_record(t, system=REPORT) for t in spread(T0, 2, 30)])
    with (tmp_path / "a.jsonl").open("a") as f:
        for t in spread(T0, 2, 20):
            f.write(__import__("json").dumps(openai_record(t, system=SQL)) + "\n")
    write_jsonl(tmp_path / "b.jsonl", [openai_record(t, system=SQL) for t in spread(T0, 2, 40)])
    return tmp_path / "a.jsonl", tmp_path / "b.jsonl"


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_a_fingerprint_names_the_same_cluster_whatever_the_files(tmp_path: Path, migration: Migration) -> None:
    a, b = _logs(tmp_path)
    alone = take_inventory([str(a)], migration=migration)
    both = take_inventory([str(a), str(b)], migration=migration)
    assert alone.proposals[0].fingerprints[0] == _fp(REPORT)  # the ranking changes with the files read
    assert both.proposals[0].fingerprints[0] == _fp(SQL)
    names = {_fp(REPORT)[:8]: "weekly-report"}
    for files, report_requests in (([a], 30), ([a, b], 30)):
        inv = take_inventory([str(f) for f in files], migration=migration, names=names)
        named = inv.workload("weekly-report")
        assert named.requests == report_requests and named.fingerprints == (_fp(REPORT),)


def test_a_p_number_is_not_written_to_the_migration_file(tmp_path: Path, migration_path: Path) -> None:
    a, b = _logs(tmp_path)
    before = migration_path.read_bytes()
    result = runner.invoke(
        app,
        ["inventory", str(a), str(b), "-c", str(migration_path), "--name", "P1=weekly-report", "--accept-workloads"],
        input="y\n",
    )
    assert result.exit_code == 1, result.output
    message = _flat(result.output)
    assert "name proposals by fingerprint" in message and "Nothing was written" in message
    assert f"--name {_fp(SQL)}=weekly-report" in message  # what P1 is in this run: the SQL prompts
    assert migration_path.read_bytes() == before


def test_the_yaml_is_shown_before_it_is_written(tmp_path: Path, migration_path: Path) -> None:
    a, b = _logs(tmp_path)
    args = ["inventory", str(a), str(b), "-c", str(migration_path), "--no-save", "--accept-workloads"]
    args += ["--name", f"{_fp(REPORT)[:8]}=weekly-report"]
    before = migration_path.read_bytes()
    declined = runner.invoke(app, args, input="n\n")
    assert declined.exit_code == 1 and "nothing written" in _flat(declined.output)
    assert migration_path.read_bytes() == before
    shown = declined.output.split("To be added to", 1)[1]
    assert "  - name: weekly-report\n" in shown and f"# inventory-fingerprints: {_fp(REPORT)}\n" in shown

    accepted = runner.invoke(app, args, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    text = migration_path.read_text()
    block = accepted.output.split("To be added to", 1)[1].split("\n", 1)[1].split("Write these", 1)[0]
    assert block.count("- name: ") == 2 and block in text  # exactly what was shown is what was written
    assert set(before.decode().splitlines()) <= set(text.splitlines())  # the rest is kept
    assert [w.name for w in load_migration(migration_path).workloads][-2:] in (
        ["weekly-report", "translate-analyst-question"],
        ["translate-analyst-question", "weekly-report"],
    )


def test_naming_errors_say_what_to_do(tmp_path: Path, migration: Migration) -> None:
    a, _ = _logs(tmp_path)
    cases = {
        "abc": "expected a fingerprint (6 to 12 hex digits",
        "ffffffff": "no proposed workload has a fingerprint starting with ffffffff",
        "P9": "P9, which is not a proposal",
    }
    for key, message in cases.items():
        with pytest.raises(NamingError, match=message.replace("(", r"\(")):
            take_inventory([str(a)], migration=migration, names={key: "x"})
    with pytest.raises(NamingError, match="already a workload"):
        take_inventory([str(a)], migration=migration, names={_fp(SQL): "support-chat"})
    with pytest.raises(NamingError, match="given two names"):
        take_inventory([str(a)], migration=migration, names={"P1": "a-name", _fp(REPORT): "b-name"})
    with pytest.raises(NamingError, match="lowercase slug"):
        take_inventory([str(a)], migration=migration, names={"P1": "Weekly Report"})


def test_an_ambiguous_prefix_is_refused() -> None:
    with pytest.raises(NamingError, match="several proposals"):
        resolve_names([["abcdef111111"], ["abcdef222222"]], {"abcdef": "x"})
    assert resolve_names([["abcdef111111"], ["abcdef222222"]], {"abcdef2": "x"}) == {1: "x"}
    with pytest.raises(NamingError, match="already accepted as 'old-name'"):
        resolve_names([["abcdef111111"]], {"123456": "x"}, accepted={"123456789abc": "old-name"})


@settings(max_examples=60, deadline=None)
@given(
    proposals=st.lists(st.lists(st.text("0123456789abcdef", min_size=12, max_size=12), min_size=1, max_size=3)),
    names=st.dictionaries(st.text(max_size=14), st.text(max_size=12), max_size=4),
)
def test_resolve_names_answers_or_refuses_clearly(proposals: list[list[str]], names: dict[str, str]) -> None:
    """Any keys and names: a mapping to listed proposals, or a NamingError; nothing else."""
    try:
        chosen = resolve_names(proposals, names)
    except NamingError as exc:
        assert str(exc)
        return
    assert set(chosen) <= set(range(len(proposals)))
    assert len(set(chosen.values())) == len(chosen)
