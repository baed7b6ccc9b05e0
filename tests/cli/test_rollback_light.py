"""``rollback`` and ``stage show`` read only ``store:`` and the workload names, with the usual errors.

The light read hands anything it cannot vouch for to the full check, so a broken file reads
exactly as it does for every other command (file:line:field), and a store it cannot serve
goes through ``open_store``, which creates, upgrades or refuses it with its usual one line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import load_migration
from modelswap.config_errors import ConfigError
from modelswap.store import SCHEMA_VERSION, open_store

runner = CliRunner()


@pytest.fixture
def migration_file(tmp_path: Path) -> Path:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    return tmp_path / "migration.yaml"


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


def _edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


def _issues(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_migration(path)
    return [str(i) for i in caught.value.issues]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("workloads:\n", "workloads: [\n"),  # a YAML syntax error
        ("  - name: extraction ", "  - name: Extraction "),  # not a slug
        ("  - name: extraction ", "  - name: ticket-triage "),  # repeated
        ("store: sqlite:///modelswap.db", "store: [1]"),
    ],
)
@pytest.mark.parametrize("command", [("rollback",), ("rollback", "--undo"), ("stage", "show")])
def test_a_broken_file_gets_the_full_checks_file_line_errors(
    migration_file: Path, old: str, new: str, command: tuple[str, ...]
) -> None:
    broken = _edit(migration_file, old, new)
    issues = _issues(broken)
    code, out = _run(*command, "-c", str(broken))
    assert code == 1 and f"problem(s) in {broken}" in out and "Traceback" not in out
    for issue in issues:
        assert " ".join(issue.split()) in out
    assert f"{broken}:" in out  # file:line


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    code, out = _run("rollback", "-c", str(tmp_path / "nope.yaml"))
    assert code == 1 and "file not found" in out


def test_a_broken_section_the_flag_does_not_use_does_not_block_a_rollback(migration_file: Path) -> None:
    broken = _edit(migration_file, "max_drop_points: 2", "max_drop_points: lots")
    assert _issues(broken)  # every other command refuses this file
    code, out = _run("rollback", "-c", str(broken), "-w", "ticket-triage", "--reason", "incident")
    assert code == 0 and "ticket-triage: shadow → shadow (rolled back" in out


def _set_schema_version(url: str, version: int) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE schema_meta SET version = :v"), {"v": version})
    engine.dispose()


def test_a_store_from_a_newer_modelswap_is_refused_in_one_line(migration_file: Path) -> None:
    url = load_migration(migration_file).store
    open_store(url).close()
    _set_schema_version(url, SCHEMA_VERSION + 1)
    for command in (("rollback",), ("stage", "show")):
        code, out = _run(*command, "-c", str(migration_file))
        assert code == 1 and "newer" in out and "Traceback" not in out
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM rollout_events").scalar_one() == 0
    engine.dispose()


def test_a_store_not_created_yet_is_created_as_before(migration_file: Path) -> None:
    db = migration_file.parent / "modelswap.db"
    db.unlink(missing_ok=True)
    code, out = _run("rollback", "-c", str(migration_file), "-w", "extraction")
    assert code == 0 and "extraction: shadow → shadow (rolled back" in out
    with open_store(load_migration(migration_file).store) as store:
        assert [e.action for e in store.rollout_events()] == ["rollback"]


def test_postgresql_down_is_one_line(migration_file: Path) -> None:
    down = _edit(migration_file, "store: sqlite:///modelswap.db", "store: postgresql://nobody@127.0.0.1:1/none")
    for command in (("rollback",), ("rollback", "--undo"), ("stage", "show")):
        code, out = _run(*command, "-c", str(down))
        assert code == 1 and "cannot open the store at postgresql" in out and "Traceback" not in out


def test_rollback_and_undo_on_postgresql(migration_file: Path, pg_schema_url: str) -> None:
    config = _edit(migration_file, "store: sqlite:///modelswap.db", f"store: '{pg_schema_url}'")
    open_store(pg_schema_url).close()
    code, out = _run("rollback", "-c", str(config), "--reason", "p95", "--by", "alice")
    assert code == 0 and "order-tools: shadow → shadow (rolled back" in out
    code, out = _run("rollback", "--undo", "-c", str(config), "-w", "extraction", "--by", "bob")
    assert code == 0 and "extraction: shadow (rolled back: old model serves) → shadow" in out
    code, out = _run("stage", "show", "-c", str(config))
    assert code == 0 and "extraction shadow 0% no 2" in out and "order-tools shadow 0% YES 1" in out
    with open_store(pg_schema_url) as store:
        events = store.rollout_events()
        assert [(e.workload, e.action, e.actor) for e in events][:2] == [
            ("extraction", "undo_rollback", "bob"),
            ("order-tools", "rollback", "alice"),
        ]
        assert store.rollout_change_seq() == 4


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_replicas_routing_table_obeys_the_cli_rollback_on_its_next_poll(
    migration_file: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    from modelswap.rollout.table import RoutingTable

    url = load_migration(migration_file).store
    if backend == "postgresql":
        url = request.getfixturevalue("pg_schema_url")
        _edit(migration_file, "store: sqlite:///modelswap.db", f"store: '{url}'")
    with open_store(url) as replica_store:
        table = RoutingTable(replica_store, ["ticket-triage", "extraction"])
        table.refresh()
        assert not table.get("extraction").rollback
        code, _ = _run("rollback", "-c", str(migration_file), "-w", "extraction", "--reason", "errors")
        assert code == 0
        assert table.refresh() is True  # what the gateway's poll runs every 200 ms
        assert table.get("extraction").rollback and table.get("extraction").version == 1
        assert not table.get("ticket-triage").rollback
        code, _ = _run("rollback", "--undo", "-c", str(migration_file), "-w", "extraction")
        assert code == 0 and table.refresh() is True
        assert not table.get("extraction").rollback and table.get("extraction").version == 2
