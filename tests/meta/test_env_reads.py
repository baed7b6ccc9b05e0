"""Only ``config.py`` touches the process environment: everything else receives what it needs."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "modelswap"


def _env_uses(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb", "putenv", "unsetenv"):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            lines += [node.lineno for a in node.names if a.name in ("environ", "getenv", "environb", "putenv")]
    return lines


def test_only_config_reads_the_environment() -> None:
    found = [
        f"{path.relative_to(SRC)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "config.py" or path.parent != SRC
        for line in _env_uses(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "read the environment in config.py and pass the value in: " + ", ".join(found)


def test_the_check_sees_an_environment_read() -> None:
    assert sorted(_env_uses(ast.parse("import os\nx = os.environ.get('A')\ny = os.getenv('B')"))) == [2, 3]
    assert _env_uses(ast.parse("from os import environ")) == [1]
