"""Every query lives in ``store/``: no other package imports SQLAlchemy, and the store's, evals'
and inventory's modules import each other in one direction only (walked with ``ast``)."""

from __future__ import annotations

import ast
from pathlib import Path

import modelswap

SRC = Path(modelswap.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def _module(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_package_but_the_store_imports_sqlalchemy() -> None:
    outside = sorted(
        f"{path.relative_to(SRC)}"
        for path in SRC.rglob("*.py")
        if path.relative_to(SRC).parts[0] != "store"
        and any(name == "sqlalchemy" or name.startswith("sqlalchemy.") for name in _imports(path))
    )
    assert outside == [], f"SQL belongs in modelswap/store (a repository method): {outside}"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in ``graph`` (module → modules it imports), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_store_evals_and_inventory_modules_import_in_one_direction() -> None:
    for package in ("store", "evals", "inventory"):
        prefix = f"modelswap.{package}."
        modules = {_module(p): p for p in (SRC / package).rglob("*.py") if p.name != "__init__.py"}
        graph = {m: {n for n in _imports(p) if n.startswith(prefix) and n in modules} for m, p in modules.items()}
        assert _cycle(graph) is None, f"import cycle inside modelswap.{package}: {_cycle(graph)}"
