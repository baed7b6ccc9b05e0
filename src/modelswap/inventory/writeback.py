"""Accepted workload names, written into the migration file without disturbing the rest of it.

Each accepted proposal becomes a workload entry appended to ``workloads:``, in the file's own
indentation, with a header match rule (the app sends ``x-modelswap-workload: NAME`` from now
on) and its fingerprints in a comment the inventory reads back::

    - name: support-chat
      # modelswap inventory: 4,200 requests/day; system prompt "You are a support agent for ..."
      # inventory-fingerprints: 3f2a9c1b0d4e, 9a8b7c6d5e4f
      match: [{header: {x-modelswap-workload: support-chat}}]

The file goes through ruamel.yaml's round-trip mode (read with the same bounds as any YAML
file), so comments, quoting, flow lists and blank lines are kept. The result is checked to
differ from the original only by the added lines; where ruamel would change a line (a file
indented differently in different places, which its dumper cannot reproduce), the same
entries are inserted as text at the end of the list that ruamel located instead. Either way
the new text is validated as a migration file before it replaces the old one (atomically),
so a failed write changes nothing.
"""

from __future__ import annotations

import difflib
import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

from modelswap.config import parse_migration
from modelswap.config_errors import ConfigError
from modelswap.inventory.errors import InventoryError
from modelswap.yamlsource import YamlError, load_round_trip

WORKLOAD_HEADER = "x-modelswap-workload"
_MARK = "inventory-fingerprints:"


@dataclass(frozen=True, slots=True)
class Accepted:
    """A proposal a person accepted: its name, fingerprints and a line describing it."""

    name: str
    fingerprints: tuple[str, ...]
    note: str


def _load(text: str, file: str) -> CommentedMap:
    try:
        root = load_round_trip(text, file)
    except YamlError as exc:
        raise InventoryError(str(exc)) from None
    if not isinstance(root, CommentedMap):
        raise InventoryError(f"{file}: expected a mapping with endpoints and workloads")
    return root


def _comments(node: Any) -> Iterator[str]:
    """The text of every comment attached to ``node`` or anything inside it."""
    if not isinstance(node, CommentedBase):
        return
    stack: list[Any] = [node.ca.comment, node.ca.end, *node.ca.items.values()]
    while stack:
        part = stack.pop()
        if isinstance(part, CommentToken):
            yield part.value
        elif isinstance(part, list):
            stack.extend(part)
    children = node.values() if isinstance(node, CommentedMap) else node if isinstance(node, CommentedSeq) else ()
    for child in children:
        yield from _comments(child)


def accepted_fingerprints(text: str, file: str = "<migration>") -> dict[str, str]:
    """Fingerprint → workload name, from the ``inventory-fingerprints`` comments of a migration file."""
    workloads = _load(text, file).get("workloads")
    out: dict[str, str] = {}
    for item in workloads if isinstance(workloads, CommentedSeq) else ():
        if not isinstance(item, CommentedMap) or not isinstance(item.get("name"), str):
            continue
        for comment in _comments(item):
            for line in comment.splitlines():
                mark = line.find(_MARK)
                if mark >= 0:
                    for fp in line[mark + len(_MARK) :].replace(",", " ").split():
                        out[fp] = item["name"]
    return out


def _workloads(root: CommentedMap, file: str) -> CommentedSeq:
    if "workloads" not in root:
        raise InventoryError(f"{file}: no workloads list to add to")
    value = root["workloads"]
    line = root.lc.key("workloads")[0] + 1
    if not isinstance(value, CommentedSeq) or not value:
        raise InventoryError(f"{file}:{line}: workloads must be a non-empty list")
    if value.fa.flow_style():
        raise InventoryError(
            f"{file}:{line}: workloads is written inline ([...]); write it as a "
            "block list (one '- name: ...' per workload) so accepted workloads can be added"
        )
    return value


def _indents(root: CommentedMap, seq: CommentedSeq, text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the file writes its workloads list."""
    key_col = root.lc.key("workloads")[1]
    line, col = seq.lc.data[0][:2]
    row = text.splitlines()[line]
    dash = row.rfind("-", 0, col)
    mapping = 2
    for key, value in root.items():
        if isinstance(value, CommentedMap) and not value.fa.flow_style() and value:
            mapping = value.lc.key(next(iter(value)))[1] - root.lc.key(key)[1]
            break
    return mapping, col - key_col, max(dash - key_col, 0)


def _detach_tail(node: Any) -> str:
    """Take the blank lines and comments after the list's last line off it (they introduce what follows)."""
    moved: list[CommentToken] = []
    while isinstance(node, (CommentedMap, CommentedSeq)) and len(node):
        moved.extend(t for t in node.ca.end if isinstance(t, CommentToken))
        node.ca.end = []
        key, slot = (list(node)[-1], 2) if isinstance(node, CommentedMap) else (len(node) - 1, 0)
        entry = node.ca.items.get(key)
        if entry and len(entry) > slot and isinstance(entry[slot], CommentToken):
            first, newline, rest = entry[slot].value.partition("\n")
            if rest:
                entry[slot].value = first + newline
                moved.append(CommentToken(rest, entry[slot].start_mark, None))
        node = node[key]
    ordered = sorted(moved, key=lambda t: t.start_mark.line)
    return "".join((" " * t.start_mark.column if t.value.startswith("#") else "") + t.value for t in ordered)


def _split_tail(tail: str, dash: int) -> tuple[str, str]:
    """(comment lines indented past the list's dashes: they stay with the last item, the rest)."""
    lines = tail.splitlines(True)
    n = 0
    while n < len(lines) and lines[n].lstrip().startswith("#") and len(lines[n]) - len(lines[n].lstrip()) > dash:
        n += 1
    return "".join(lines[:n]), "".join(lines[n:])


def _comment_after(item: Any, text: str) -> None:
    """Attach comment lines after a list item (on its last key's slot), with no end-of-line comment."""
    if not isinstance(item, CommentedMap) or not item:
        raise InventoryError("the last workload is not a mapping; add the accepted workloads by hand")
    slot = item.ca.items.setdefault(list(item)[-1], [None, None, None, None])
    if isinstance(slot[2], CommentToken):  # the end-of-line comment already there stays first
        slot[2].value += text
    else:
        slot[2] = CommentToken("\n" + text, CommentMark(0), None)


def _flow(node: CommentedMap | CommentedSeq) -> Any:
    node.fa.set_flow_style()
    return node


def _entry(item: Accepted, column: int) -> CommentedMap:
    header = _flow(CommentedMap([(WORKLOAD_HEADER, item.name)]))
    rule = _flow(CommentedMap([("header", header)]))
    entry = CommentedMap([("name", item.name), ("match", _flow(CommentedSeq([rule])))])
    note = f"modelswap inventory: {item.note}\n{_MARK} {', '.join(item.fingerprints)}"
    entry.yaml_set_comment_before_after_key("match", before=note, indent=column)
    return entry


def _dumper(mapping: int, sequence: int, offset: int) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never re-wrap a long line
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # [{header: ...}], as written
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _added(old: str, new: str) -> list[str] | None:
    """The lines ``new`` adds to ``old``, or ``None`` when it changes or removes any line."""
    added: list[str] = []
    matcher = difflib.SequenceMatcher(None, old.splitlines(True), new.splitlines(True), autojunk=False)
    for op, _, _, j1, j2 in matcher.get_opcodes():
        if op == "insert":
            added.extend(new.splitlines(True)[j1:j2])
        elif op != "equal":
            return None
    return added


def _append(text: str, items: Sequence[Accepted], file: str) -> tuple[str, list[str]]:
    root = _load(text, file)
    seq = _workloads(root, file)
    mapping, sequence, offset = _indents(root, seq, text)
    last = seq[-1]
    keep, tail = _split_tail(_detach_tail(seq), root.lc.key("workloads")[1] + offset)
    column = root.lc.key("workloads")[1] + sequence
    for item in items:
        seq.append(_entry(item, column))
    if keep:
        _comment_after(last, keep)
    if tail:
        _comment_after(seq[-1], tail)
    out = io.StringIO()
    _dumper(mapping, sequence, offset).dump(root, out)
    original = text if text.endswith("\n") else text + "\n"
    added = _added(original, out.getvalue())
    if added is None:  # a layout ruamel cannot reproduce (mixed indentation): insert the lines as text
        return _splice(original, items, file, column)
    return out.getvalue(), added


def _splice(text: str, items: Sequence[Accepted], file: str, column: int) -> tuple[str, list[str]]:
    """``text`` with the entries inserted after the workloads list (before the next top-level key
    and the blank lines and comments that introduce it), every other byte kept."""
    root = _load(text, file)
    keys = list(root)
    after = keys[keys.index("workloads") + 1 :]
    lines = text.splitlines(True)
    end = root.lc.key(after[0])[0] if after else len(lines)
    dash = column - 2
    while end > 0 and (not lines[end - 1].strip() or _outdented_comment(lines[end - 1], dash)):
        end -= 1
    added = [line for item in items for line in _plain(item, column)]
    return "".join(lines[:end] + added + lines[end:]), added


def _outdented_comment(line: str, dash: int) -> bool:
    return line.lstrip().startswith("#") and len(line) - len(line.lstrip()) <= dash


def _plain(item: Accepted, column: int) -> list[str]:
    inner = " " * column
    return [
        f"{' ' * max(column - 2, 0)}- name: {item.name}\n",
        f"{inner}# modelswap inventory: {item.note}\n",
        f"{inner}# {_MARK} {', '.join(item.fingerprints)}\n",
        f"{inner}match: [{{header: {{{WORKLOAD_HEADER}: {item.name}}}}}]\n",
    ]


def preview_accepted(path: str | Path, items: Sequence[Accepted]) -> str:
    """The lines ``write_accepted(path, items)`` would add, in the file's indentation: shown before writing."""
    p = Path(path)
    return "".join(_append(p.read_text(encoding="utf-8"), items, str(p))[1])


def add_workloads(text: str, items: Sequence[Accepted], file: str = "<migration>") -> str:
    """The migration file's text with ``items`` appended to its workloads list."""
    return _append(text, items, file)[0]


def write_accepted(path: str | Path, items: Sequence[Accepted]) -> None:
    """Append accepted workloads to the migration file at ``path``, validated, atomically."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    known = accepted_fingerprints(text, str(p))
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
