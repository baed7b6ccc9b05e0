"""YAML that remembers where each value came from, so errors can name file:line.

``load_yaml`` returns plain Python data plus a ``Locations`` map from a path of keys
and list indexes (``("workloads", 0, "gates")``) to the 1-based line and column of
that value in the source text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PathKey = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int


@dataclass(slots=True)
class Locations:
    """Source positions of every mapping key and value in one YAML document."""

    file: str
    values: dict[PathKey, Position] = field(default_factory=dict)
    keys: dict[PathKey, Position] = field(default_factory=dict)

    def find(self, path: Sequence[str | int]) -> Position | None:
        """The position of ``path``, or of its nearest ancestor that exists in the source."""
        p = tuple(path)
        while True:
            if p in self.keys:
                return self.keys[p]
            if p in self.values:
                return self.values[p]
            if not p:
                return None
            p = p[:-1]


class YamlSyntaxError(ValueError):
    """The text is not valid YAML; the message names file:line:column."""

    def __init__(self, file: str, line: int, column: int, problem: str) -> None:
        super().__init__(f"{file}:{line}:{column}: invalid YAML: {problem}")
        self.file, self.line, self.column, self.problem = file, line, column, problem


def _walk(node: yaml.Node, path: PathKey, locs: Locations) -> Any:
    locs.values[path] = Position(node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            key_path = (*path, str(key))
            locs.keys[key_path] = Position(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _walk(value_node, key_path, locs)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, i), locs) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_yaml(text: str, file: str = "<string>") -> tuple[Any, Locations]:
    """Parse one YAML document into plain data and the positions of its parts."""
    locs = Locations(file=file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        problem = str(exc.problem or exc.context)
        if exc.problem and exc.context and exc.context_mark:
            problem += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        raise YamlSyntaxError(file, line, column, problem) from None
    if node is None:
        return None, locs
    return _walk(node, (), locs), locs


def load_yaml_file(path: Path) -> tuple[Any, Locations]:
    """Read and parse a YAML file; ``OSError`` propagates for the caller to word."""
    return load_yaml(path.read_text(encoding="utf-8"), str(path))
