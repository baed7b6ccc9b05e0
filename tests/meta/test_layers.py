"""One direction of dependencies: every import in ``src/modelswap`` runs down the layer order, never in a circle.

The imports are read with ``ast`` (module level, inside functions and under ``if TYPE_CHECKING``
alike, since each is a dependency a reader has to follow). Three rules:

(a) no upward import: a top-level package or module imports only from its own layer or lower;
(b) no cycle between top-level packages (same-layer packages may import each other one way);
(c) no cycle between modules inside a package.

A new top-level package or module must be placed in ``LAYERS`` (the test says so).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import modelswap

SRC = Path(modelswap.__file__).parent

LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"__init__", "stats", "catalog"}),  # __init__: the root package, only ``__version__``
    frozenset(
        {"config", "config_errors", "config_prepare", "yamlsource", "yamlguard", "starter"}
        | {
            "workload_match",
            "sim_profile",
            "config_base",
            "config_gateway",
            "config_workload",
            "config_upstream",
            "config_rollout",
            "config_routing",
            "config_flag",
        }
    ),
    frozenset({"store"}),
    frozenset({"providers", "sim"}),  # sim: a tool beside providers, see SIM_USERS
    frozenset({"rollout", "evals", "inventory", "gates", "review", "redteam", "plan", "choose", "routing"}),
    frozenset({"gateway", "console"}),
    frozenset(
        {"serving", "demo", "demo_cutover"}
    ),  # serving: the composition root that mounts the console beside the gateway
    frozenset({"cli", "__main__"}),
)
"""Lowest layer first."""

SIM_USERS = frozenset({"sim", "cli", "gateway", "demo", "demo_cutover", "serving", "__main__"} | {"evals"})
"""Who may import the simulator. ``evals`` is an exception on the current tree: ``evals/targets.py``
starts the embedded simulator for ``provider: sim`` endpoints (a function-level import)."""

ALLOWED_MODULE_CYCLES: tuple[frozenset[str], ...] = ()
"""Module cycles tolerated for now (none: a new one is a failure, not an entry here)."""


@dataclass(frozen=True, slots=True)
class Edge:
    """One import: module ``source`` imports module ``target`` at ``where`` (file:line)."""

    source: str
    target: str
    where: str


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_of(root: Path) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(module: str, path: Path, known: Mapping[str, Path], root: Path) -> list[Edge]:
    """Every import of a module under ``root`` in ``path``, resolved to the module it loads."""
    top = root.name
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    edges = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        where = f"{path.relative_to(root).as_posix()}:"
        for target in targets:
            if target == top or target.startswith(top + "."):
                edges.append(Edge(module, target, f"{where}{getattr(node, 'lineno', 0)}"))
    return edges


def all_edges(root: Path) -> list[Edge]:
    known = modules_of(root)
    return [e for m, p in known.items() for e in imports_of(m, p, known, root)]


def unit_of(module: str) -> str:
    """The top-level package or module a module belongs to (``__init__`` for the root package)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def cycles(graph: Mapping[str, Iterable[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def rank_of(unit: str) -> int | None:
    return next((i for i, layer in enumerate(LAYERS) if unit in layer), None)


def upward_imports(edges: Iterable[Edge]) -> list[str]:
    problems = []
    for e in edges:
        src, dst = unit_of(e.source), unit_of(e.target)
        if src == dst:
            continue
        low, high = rank_of(src), rank_of(dst)
        if low is None or high is None:
            problems.append(f"{e.where}: {src if low is None else dst} is in no layer; add it to LAYERS")
        elif high > low:
            problems.append(f"{e.where}: {src} (layer {low}) imports {e.target} (layer {high}), above it")
        elif dst == "sim" and src not in SIM_USERS:
            problems.append(f"{e.where}: {src} imports the simulator; only {sorted(SIM_USERS)} may")
    return problems


def package_cycles(edges: Iterable[Edge]) -> list[str]:
    edges = list(edges)
    graph: dict[str, set[str]] = {}
    for e in edges:
        if unit_of(e.source) != unit_of(e.target):
            graph.setdefault(unit_of(e.source), set()).add(unit_of(e.target))
    return [
        f"packages import each other in a circle: {sorted(c)}, e.g. "
        + ", ".join(e.where for e in edges if unit_of(e.source) in c and unit_of(e.target) in c - {unit_of(e.source)})
        for c in cycles(graph)
    ]


def module_cycles(edges: Iterable[Edge], allowed: Iterable[frozenset[str]] = ()) -> list[str]:
    edges = list(edges)
    graph: dict[str, set[str]] = {}
    for e in edges:
        if e.source != e.target and unit_of(e.source) == unit_of(e.target) != "__init__":
            graph.setdefault(e.source, set()).add(e.target)
    allowed = set(allowed)
    return [
        f"modules import each other in a circle: {sorted(c)}, at "
        + ", ".join(e.where for e in edges if e.source in c and e.target in c and e.source != e.target)
        for c in cycles(graph)
        if c not in allowed
    ]


# -- the tree -----------------------------------------------------------------------------------


def test_no_import_runs_upward() -> None:
    assert upward_imports(all_edges(SRC)) == []


def test_no_cycle_between_packages() -> None:
    assert package_cycles(all_edges(SRC)) == []


def test_no_cycle_between_modules_inside_a_package() -> None:
    assert module_cycles(all_edges(SRC), ALLOWED_MODULE_CYCLES) == []


def test_the_allow_list_names_only_cycles_that_exist() -> None:
    """An entry whose cycle is gone must leave the list, so the list only ever shrinks."""
    present = {c for c in cycles(_module_graph(all_edges(SRC)))}
    assert [sorted(c) for c in ALLOWED_MODULE_CYCLES if c not in present] == []


def _module_graph(edges: Iterable[Edge]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for e in edges:
        if e.source != e.target and unit_of(e.source) == unit_of(e.target):
            graph.setdefault(e.source, set()).add(e.target)
    return graph


# -- the checker on a made-up tree (so the rules above can fail) ---------------------------------


def _tree(tmp_path: Path, files: Mapping[str, str]) -> Path:
    root = tmp_path / "modelswap"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_an_upward_import_inside_a_function_or_type_checking_block_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "stats/__init__.py": "",
            "stats/a.py": "def f():\n    from modelswap.gateway import app\n",
            "store/__init__.py": "import typing\nif typing.TYPE_CHECKING:\n    from ..rollout import flag\n",
            "gateway/__init__.py": "",
            "gateway/app.py": "",
            "rollout/__init__.py": "",
            "rollout/flag.py": "import modelswap.store\n",
        },
    )
    problems = upward_imports(all_edges(root))
    assert len(problems) == 2
    assert problems[0].startswith("stats/a.py:2: stats (layer 0) imports modelswap.gateway.app (layer 5)")
    assert problems[1].startswith("store/__init__.py:3: store (layer 2) imports modelswap.rollout.flag")


def test_a_cycle_between_same_layer_packages_and_between_modules_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "evals/__init__.py": "",
            "evals/a.py": "from modelswap.inventory.b import x\nfrom . import c\n",
            "evals/c.py": "from .a import y\n",
            "inventory/__init__.py": "",
            "inventory/b.py": "from modelswap.evals import a\n",
            "plan/__init__.py": "from modelswap.evals import a\n",  # one way only: fine
            "simtool.py": "",
        },
    )
    edges = all_edges(root)
    (circle,) = package_cycles(edges)
    assert "['evals', 'inventory']" in circle and "evals/a.py:1" in circle and "inventory/b.py:1" in circle
    (inner,) = module_cycles(edges)
    assert "['modelswap.evals.a', 'modelswap.evals.c']" in inner
    assert module_cycles(edges, [frozenset({"modelswap.evals.a", "modelswap.evals.c"})]) == []


def test_a_module_in_no_layer_and_a_stray_simulator_user_are_refused(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "newthing.py": "from modelswap import config\n",
            "config.py": "",
            "sim/__init__.py": "",
            "plan/__init__.py": "from modelswap.sim import x\n",
        },
    )
    problems = upward_imports(all_edges(root))
    assert any("newthing is in no layer" in p for p in problems)
    assert any(p.startswith("plan/__init__.py:1: plan imports the simulator") for p in problems)
