"""Accepted workload names go into the migration file; the rest of the file is kept byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.config import load_migration
from modelswap.inventory import (
    Accepted,
    InventoryError,
    accepted_fingerprints,
    add_workloads,
    take_inventory,
    write_accepted,
)
from modelswap.starter import render

from .conftest import MIGRATION, openai_record, spread, write_jsonl

ITEM = Accepted("weekly-report", ("0123456789ab", "ba9876543210"), '20.0 requests/day; system prompt "You write"')


def test_accepted_workloads_are_appended_in_the_files_own_style(tmp_path: Path) -> None:
    text = render()
    path = tmp_path / "migration.yaml"
    path.write_text(text)
    write_accepted(path, [ITEM])
    updated = path.read_text()
    before, added, after = updated.partition(
        "  - name: weekly-report\n"
        '    # modelswap inventory: 20.0 requests/day; system prompt "You write"\n'
        "    # inventory-fingerprints: 0123456789ab, ba9876543210\n"
        "    match: [{header: {x-modelswap-workload: weekly-report}}]\n"
    )
    assert added and before + after == text  # nothing else changed
    assert after.lstrip("\n").startswith("# The process's schedule")
    migration = load_migration(path)
    assert migration.workloads[-1].name == "weekly-report"
    assert migration.workloads[-1].match[0].header == {"x-modelswap-workload": "weekly-report"}
    assert accepted_fingerprints(updated) == {"0123456789ab": "weekly-report", "ba9876543210": "weekly-report"}


def test_a_write_that_would_break_the_file_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    path.write_text(MIGRATION)
    with pytest.raises(InventoryError, match="would make the file invalid"):
        write_accepted(path, [Accepted("support-chat", ("aaaaaaaaaaaa",), "dup")])  # names must be unique
    assert path.read_text() == MIGRATION
    write_accepted(path, [ITEM])
    with pytest.raises(InventoryError, match="already accepted as 'weekly-report'"):
        write_accepted(path, [Accepted("other", ("0123456789ab",), "again")])


def test_an_inline_workloads_list_is_refused_with_advice() -> None:
    text = MIGRATION.replace(
        "workloads:\n  - name: support-chat       # customer chat\n    match: [{metadata: {workload: support-chat}}]\n"
        "  - name: ticket-triage\n    match:\n      - user_prefix: triage-\n"
        "      - header: {x-modelswap-workload: ticket-triage}\n",
        "workloads: [{name: support-chat}]\n",
    )
    with pytest.raises(InventoryError, match="written inline"):
        add_workloads(text, [ITEM])


def test_accepted_fingerprints_are_reported_under_their_name_next_time(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    path.write_text(MIGRATION)
    times = spread(datetime(2025, 3, 1, tzinfo=UTC), 2, 6)
    write_jsonl(
        tmp_path / "log.jsonl", [openai_record(t, system="You write the weekly revenue report.") for t in times]
    )
    first = take_inventory([str(tmp_path / "log.jsonl")], migration=load_migration(path))
    (proposal,) = first.proposals
    write_accepted(path, [Accepted("weekly-report", proposal.fingerprints, "6 requests")])
    again = take_inventory([str(tmp_path / "log.jsonl")], migration=load_migration(path))
    assert not again.proposals
    w = again.workload("weekly-report")
    assert (w.origin, w.requests) == ("rule", 6)  # now a workload of the file: listed with its figures


COMMENTED = """\
# the migration of the support bot          (top comment)
version: 1
name: commented
endpoints:
  old: {provider: sim, model: gpt-4o}   # today's model
  new:
    provider: sim
    model: 'gpt-5'                      # quoted on purpose
workloads:
    # the workloads, one per feature
    - name: support-chat                # customer chat
      match: [{metadata: {workload: support-chat}}]
      # a comment inside the last item, on its own line
# a comment before the next section
gateway:
  default_workload: "support-chat"      # fallback
"""


def test_a_commented_file_keeps_every_comment_and_its_layout(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    path.write_text(COMMENTED)
    write_accepted(path, [ITEM])
    updated = path.read_text()
    new = ("weekly-report", "0123456789ab", "20.0 requests")
    kept = [line for line in updated.splitlines(True) if not any(s in line for s in new)]
    assert "".join(kept) == COMMENTED  # only the new entry's lines were added
    assert "    - name: weekly-report\n      # modelswap inventory:" in updated  # the list's own indentation
    assert updated.index("weekly-report") < updated.index("# a comment before the next section")
    assert load_migration(path).workloads[-1].name == "weekly-report"
    assert accepted_fingerprints(updated)["ba9876543210"] == "weekly-report"


@settings(max_examples=25, deadline=None)
@given(
    name=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    fingerprints=st.lists(st.from_regex(r"[0-9a-f]{12}", fullmatch=True), min_size=1, max_size=4, unique=True),
    note=st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=60),
)
def test_what_is_written_is_read_back(name: str, fingerprints: list[str], note: str) -> None:
    if name == "support-chat":
        return
    updated = add_workloads(COMMENTED, [Accepted(name, tuple(fingerprints), note)])
    assert accepted_fingerprints(updated) == dict.fromkeys(fingerprints, name)
    assert updated.count("\n") == COMMENTED.count("\n") + 4


def test_a_layout_ruamel_cannot_reproduce_still_gets_the_entries_and_keeps_every_line() -> None:
    text = MIGRATION.replace("gateway:\n  default_workload:", "gateway:\n      default_workload:")  # mixed indents
    updated = add_workloads(text, [ITEM])
    before, added, after = updated.partition(
        "  - name: weekly-report\n"
        '    # modelswap inventory: 20.0 requests/day; system prompt "You write"\n'
        "    # inventory-fingerprints: 0123456789ab, ba9876543210\n"
        "    match: [{header: {x-modelswap-workload: weekly-report}}]\n"
    )
    assert added and before + after == text and after.startswith("\ngateway:")
    assert accepted_fingerprints(updated) == {"0123456789ab": "weekly-report", "ba9876543210": "weekly-report"}
