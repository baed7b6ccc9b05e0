"""Writing a calibrated threshold back into the migration file, keeping every other line and comment.

Only the value on the workload's ``routing.threshold`` line changes (and its trailing comment,
which then says when and how the value was calibrated); the file is replaced atomically.
"""

from __future__ import annotations

import re
from pathlib import Path

from modelswap.yamlsource import load_yaml, read_yaml_text

__all__ = ["ThresholdWriteError", "write_threshold"]

_VALUE = re.compile(r"^(?P<head>\s*threshold\s*:\s*)(?P<value>[^#\s][^#]*?)?(?P<gap>\s*)(?P<comment>#.*)?$")


class ThresholdWriteError(ValueError):
    """The file has no ``threshold:`` line to rewrite for that workload (or it is written inline)."""


def write_threshold(path: Path, workload: str, threshold: float, note: str) -> int:
    """Set ``workloads[<workload>].routing.threshold`` to ``threshold`` in place; the line number changed."""
    text = read_yaml_text(path)
    data, locs = load_yaml(text, str(path))
    names = [w.get("name") if isinstance(w, dict) else None for w in (data or {}).get("workloads") or []]
    if workload not in names:
        raise ThresholdWriteError(f"{path}: no workload {workload!r}")
    index = names.index(workload)
    spot = ("workloads", index, "routing", "threshold")
    where = locs.keys.get(spot)
    if where is None:
        raise ThresholdWriteError(
            f"{path}: workloads[{index}].routing has no threshold: line; add `threshold: 0.5` under routing: first"
        )
    lines = text.splitlines(keepends=True)
    line = lines[where.line - 1]
    body, newline = line.rstrip("\r\n"), line[len(line.rstrip("\r\n")) :]
    match = _VALUE.match(body)
    if match is None:
        raise ThresholdWriteError(f"{path}:{where.line}: threshold is written inline; put it on its own line")
    lines[where.line - 1] = f"{match['head']}{threshold:g}  # {note}{newline}"
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(lines), encoding="utf-8")
    tmp.replace(path)
    return where.line
