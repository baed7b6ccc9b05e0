"""What ``modelswap rollback`` and ``stage show`` read of the migration file: the store and the workload names.

Validating the whole file builds every settings model, a cost an operator should not pay
while flipping traffic back during an incident. This reads only ``store:`` (resolved as
``config_prepare`` resolves it) and the workload names. It vouches for nothing else: when
either is not plainly well-formed (no file, a YAML error, a missing or odd ``workloads:``),
it answers None and the caller loads the file whole with ``load_migration``, whose errors
name file:line:field exactly as every other command's do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelswap.config_base import SLUG
from modelswap.config_prepare import prepare
from modelswap.yamlsource import YamlError, load_yaml, read_yaml_text

DEFAULT_STORE = "sqlite:///modelswap.db"
"""As ``Migration.store``'s default (a test keeps them equal)."""


@dataclass(frozen=True, slots=True)
class FlagTarget:
    """The store a flag command writes and the workloads it may name."""

    store: str
    """The store URL, a relative SQLite path resolved against the file's folder."""
    workloads: tuple[str, ...]
    """Workload names, in file order."""


def read_flag_target(path: Path) -> FlagTarget | None:
    """The store and workload names of the migration file at ``path``, or None if it needs a full check."""
    try:
        raw, _ = load_yaml(read_yaml_text(path), str(path))
    except (OSError, YamlError):
        return None
    if not isinstance(raw, dict) or raw.get("version", 1) != 1:
        return None
    store, workloads = raw.get("store", DEFAULT_STORE), raw.get("workloads")
    if not isinstance(store, str) or not isinstance(workloads, list) or not workloads:
        return None
    names = [w.get("name") if isinstance(w, dict) else None for w in workloads]
    if not all(isinstance(n, str) and SLUG.match(n) for n in names) or len(set(names)) != len(names):
        return None
    resolved = prepare({"store": store}, path.resolve().parent)["store"]
    return FlagTarget(store=str(resolved), workloads=tuple(str(n) for n in names))
