"""The bounded YAML loader itself, and every other reader of user YAML going through it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.evals.golden_readers.promptfoo_files import load_var
from modelswap.inventory import InventoryError, add_workloads
from modelswap.inventory.writeback import Accepted
from modelswap.yamlsource import YamlLimits, YamlRefusedError, YamlSyntaxError, load_data, load_yaml

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_plain_values_and_positions() -> None:
    data, locs = load_yaml("a: 1\nb:\n  - x\n  - {c: 2.5, d: 2026-01-02}\n", "f.yaml")
    assert data == {"a": 1, "b": ["x", {"c": 2.5, "d": __import__("datetime").date(2026, 1, 2)}]}
    assert all(type(v) in (int, str, float) for v in (data["a"], data["b"][0], data["b"][1]["c"]))
    assert type(data) is dict and type(data["b"]) is list
    assert locs.find(("b", 1, "c")) is not None and locs.find(("b", 1, "c")).line == 4  # type: ignore[union-attr]
    assert locs.find(("a", "nothing", "here")) == locs.keys[("a",)]


def test_limits_are_adjustable_and_each_refusal_names_its_bound() -> None:
    tight = YamlLimits(max_bytes=100, max_depth=3, max_nodes=10)
    with pytest.raises(YamlRefusedError, match="the file is 150 bytes; YAML files are limited to 100 bytes"):
        load_data("a: x\n" * 30, "f.yaml", tight)
    with pytest.raises(YamlRefusedError, match="nested more than 3 levels deep"):
        load_data("a: {b: {c: {d: 1}}}", "f.yaml", tight)
    with pytest.raises(YamlRefusedError, match="more than 10 values"):
        load_data("a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", "f.yaml", tight)
    with pytest.raises(YamlRefusedError, match=r"f.yaml:2:8: alias \*x nests the data more than 4 levels deep"):
        load_data("x: &x {b: {c: 1}}\ny: {z: *x}\n", "f.yaml", YamlLimits(max_depth=4))


def test_errors_are_value_errors_with_one_line_and_the_location() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_data("a: [1,\n  b: 2\n", "f.yaml")
    assert isinstance(caught.value, ValueError) and str(caught.value).startswith("f.yaml:")
    assert "\n" not in str(caught.value) and caught.value.line >= 2


def test_the_column_mapping_file_is_read_with_the_same_bounds(tmp_path: Path) -> None:
    columns = tmp_path / "columns.yaml"
    columns.write_text(LAUGHS)
    log = tmp_path / "log.jsonl"
    log.write_text('{"ts": "2026-01-01T00:00:00Z"}\n')
    result = CliRunner().invoke(app, ["inventory", str(log), "--columns", str(columns)])
    assert result.exit_code == 1 and result.exception is not None and isinstance(result.exception, SystemExit)
    assert f"{columns}:6:" in " ".join(result.output.split()) and "Traceback" not in result.output


def test_the_inventory_write_back_refuses_a_hostile_migration_file() -> None:
    hostile = "workloads:\n  - name: a\n" + "x: " + "[" * 3000 + "]" * 3000 + "\n"
    with pytest.raises(InventoryError, match=r"m\.yaml:3:\d+: nested more than 64 levels deep"):
        add_workloads(hostile, [Accepted("b", ("0123456789ab",), "note")], "m.yaml")


def test_promptfoo_var_files_are_read_with_the_same_bounds(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_text(LAUGHS)
    with pytest.raises(ValueError, match=r"v\.yaml:6:\d+: alias \*e brings the data to more than 100,000"):
        load_var("file://v.yaml", tmp_path)
