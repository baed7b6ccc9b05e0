"""Accepted workload names, written into the migration file without disturbing the rest of it.

Each accepted proposal becomes a workload entry appended to ``workloads:``, in the file's own
indentation, with a header match rule (the app sends ``x-modelswap-workload: NAME`` from now
on) and its fingerprints in a comment the inventory reads back::

    - name: support-chat
      # modelswap inventory: 4,200 requests/day; system prompt "You are a support agent for ..."
      # inventory-fingerprints: 3f2a9c1b0d4e, 9a8b7c6d5e4f
      match: [{header: {x-modelswap-workload: support-chat}}]

Comments and formatting elsewhere are kept byte for byte. The new text is validated as a
migration file before it replaces the old one (atomically), so a failed write changes nothing.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from modelswap.config import ConfigError, parse_migration
from modelswap.inventory.errors import InventoryError
from modelswap.yamlsource import YamlError, load_data

WORKLOAD_HEADER = "x-modelswap-workload"
_MARK = "# inventory-fingerprints:"
_NAME = re.compile(r"^\s*-\s*name:\s*['\"]?([a-z0-9][a-z0-9._-]*)['\"]?\s*(#.*)?$")


@dataclass(frozen=True, slots=True)
class Accepted:
    """A proposal a person accepted: its name, fingerprints and a line describing it."""

    name: str
    fingerprints: tuple[str, ...]
    note: str


def accepted_fingerprints(text: str) -> dict[str, str]:
    """Fingerprint → workload name, from the ``inventory-fingerprints`` comments of a migration file."""
    out: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        named = _NAME.match(line)
        if named:
            current = named.group(1)
            continue
        mark = line.find(_MARK)
        if mark >= 0 and current is not None:
            for fp in line[mark + len(_MARK) :].replace(",", " ").split():
                out[fp.strip()] = current
    return out


def _workloads_block(text: str, file: str) -> tuple[int, str]:
    """(index of the line after the last line of the ``workloads`` list, indentation of its items)."""
    try:
        load_data(text, file)  # the bounds first (depth, aliases, tags): PyYAML's compose has none
        root = yaml.compose(text)
    except YamlError as exc:
        raise InventoryError(str(exc)) from None
    except yaml.YAMLError as exc:
        raise InventoryError(f"{file}: invalid YAML: {exc}") from None
    if not isinstance(root, yaml.MappingNode):
        raise InventoryError(f"{file}: expected a mapping with endpoints and workloads")
    for key, value in root.value:
        if key.value == "workloads":
            if not isinstance(value, yaml.SequenceNode) or not value.value:
                raise InventoryError(f"{file}:{key.start_mark.line + 1}: workloads must be a non-empty list")
            if value.flow_style:
                raise InventoryError(
                    f"{file}:{key.start_mark.line + 1}: workloads is written inline ([...]); write it as a "
                    "block list (one '- name: ...' per workload) so accepted workloads can be added"
                )
            last = value.value[-1]
            end = last.end_mark.line + (1 if last.end_mark.column > 0 else 0)
            first_line = text.splitlines()[value.value[0].start_mark.line]
            dash = first_line.find("-", 0, value.value[0].start_mark.column)
            indent = first_line[: dash if dash >= 0 else value.value[0].start_mark.column]
            return end, indent
    raise InventoryError(f"{file}: no workloads list to add to")


def _belongs_to_next(line: str, indent: str) -> bool:
    """Blank lines and comments less indented than the list's items, after it, introduce what follows."""
    stripped = line.strip()
    return not stripped or (stripped.startswith("#") and len(line) - len(line.lstrip()) <= len(indent))


def _entry(indent: str, item: Accepted) -> list[str]:
    inner = indent + "  "
    fps = ", ".join(item.fingerprints)
    return [
        f"{indent}- name: {item.name}\n",
        f"{inner}# modelswap inventory: {item.note}\n",
        f"{inner}{_MARK} {fps}\n",
        f"{inner}match: [{{header: {{{WORKLOAD_HEADER}: {item.name}}}}}]\n",
    ]


def preview_accepted(path: str | Path, items: Sequence[Accepted]) -> str:
    """The lines ``write_accepted(path, items)`` would add, in the file's indentation: shown before writing."""
    p = Path(path)
    _, indent = _workloads_block(p.read_text(encoding="utf-8"), str(p))
    return "".join(line for item in items for line in _entry(indent, item))


def add_workloads(text: str, items: Sequence[Accepted], file: str = "<migration>") -> str:
    """The migration file's text with ``items`` appended to its workloads list."""
    end, indent = _workloads_block(text, file)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    while end > 0 and _belongs_to_next(lines[end - 1], indent):
        end -= 1
    new = [line for item in items for line in _entry(indent, item)]
    return "".join(lines[:end] + new + lines[end:])


def write_accepted(path: str | Path, items: Sequence[Accepted]) -> None:
    """Append accepted workloads to the migration file at ``path``, validated, atomically."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    known = accepted_fingerprints(text)
    for item in items:
        clash = [fp for fp in item.fingerprints if fp in known]
        if clash:
            raise InventoryError(f"{p}: fingerprint {clash[0]} is already accepted as {known[clash[0]]!r}")
    updated = add_workloads(text, items, str(p))
    try:
        parse_migration(updated, str(p), p.resolve().parent)
    except ConfigError as exc:
        problems = "; ".join(str(i) for i in exc.issues)
        raise InventoryError(f"{p}: adding the accepted workloads would make the file invalid: {problems}") from None
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.resolve().parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(updated)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
