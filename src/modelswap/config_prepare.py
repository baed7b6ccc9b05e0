"""The migration file's raw data made ready for validation: defaults, relative paths, inheritance.

Top-level keys starting with ``x-`` are dropped, as in Docker Compose: a place to keep YAML
anchors that merge keys (``<<: *base``) and aliases refer to.

Relative paths (the SQLite store, golden sets) are resolved against the file's folder, and each
workload's ``rollout`` inherits the top-level one key by key, before pydantic sees the data, so
the validated model holds only absolute paths and complete rollout settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["prepare"]


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _routing_paths(workload: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """A routing signal's ``path`` (a trained classifier) made absolute."""
    routing = workload.get("routing")
    signal = routing.get("signal") if isinstance(routing, Mapping) else None
    if isinstance(signal, Mapping) and isinstance(signal.get("path"), str):
        signal = {**signal, "path": str((base_dir / signal["path"]).resolve())}
        workload["routing"] = {**routing, "signal": signal}  # type: ignore[dict-item]
    return workload


def prepare(raw: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """Resolve relative paths and per-workload rollout overrides before validation (the input is not changed)."""
    data = {k: v for k, v in raw.items() if not (isinstance(k, str) and k.startswith("x-"))}
    store = data.setdefault("store", "sqlite:///modelswap.db")
    if isinstance(store, str) and store.startswith("sqlite:///") and not store.startswith("sqlite:////"):
        rel = store.removeprefix("sqlite:///")
        if rel and rel != ":memory:":
            data["store"] = "sqlite:///" + str((base_dir / rel).resolve())
    top_rollout = data.get("rollout") if isinstance(data.get("rollout"), Mapping) else {}
    workloads = data.get("workloads")
    if isinstance(workloads, list):
        prepared = []
        for w in workloads:
            if isinstance(w, Mapping):
                w = dict(w)
                if isinstance(w.get("golden_set"), str):
                    w["golden_set"] = str((base_dir / w["golden_set"]).resolve())
                w = _routing_paths(w, base_dir)
                own = w.get("rollout")
                if own is None or isinstance(own, Mapping):
                    w["rollout"] = _merge(top_rollout or {}, own or {})
            prepared.append(w)
        data["workloads"] = prepared
    return data
