"""YAML that remembers where each value came from, so errors can name file:line.

``load_yaml`` returns plain Python data (dict, list, str, int, float, bool, None, dates) plus a
``Locations`` map from a path of keys and list indexes (``("workloads", 0, "gates")``) to the
1-based line and column of that value in the source text.

Parsing is ruamel.yaml's (YAML 1.2: merge keys ``<<: *base`` work, duplicate keys are an
error, ``yes``/``no`` stay text) with the bounds of ``yamlguard``: file size, nesting depth and
the number of values after alias expansion. Anything wrong is one ``YamlError`` naming
``file:line:column``; no input gives a traceback. Every YAML file a user hands modelswap goes
through here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarbool import ScalarBoolean

from modelswap.yamlguard import BoundedComposer, BoundedScanner, LocatedConstructor, Refusal, YamlLimits

__all__ = [
    "Locations",
    "PathKey",
    "Position",
    "YamlError",
    "YamlLimits",
    "YamlRefusedError",
    "YamlSyntaxError",
    "load_data",
    "load_round_trip",
    "load_yaml",
    "load_yaml_file",
    "read_yaml_text",
]

PathKey = tuple[str | int, ...]
_PLAIN = frozenset({str, int, float, bool, type(None)})
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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


class YamlError(ValueError):
    """A YAML file modelswap cannot use; ``str()`` is one line, ``file:line:column: message``."""

    def __init__(self, file: str, line: int, column: int, message: str) -> None:
        message = " ".join(message.split())  # one line, whatever the parser wrote
        super().__init__(f"{file}:{line}:{column}: {message}")
        self.file, self.line, self.column, self.message = file, line, column, message


class YamlSyntaxError(YamlError):
    """The text is not valid YAML; ``problem`` says what the parser found."""

    def __init__(self, file: str, line: int, column: int, problem: str) -> None:
        super().__init__(file, line, column, f"invalid YAML: {problem}")
        self.problem = " ".join(problem.split())


class YamlRefusedError(YamlError):
    """Valid YAML past a bound (size, depth, expanded aliases) or using what modelswap refuses (tags, complex keys)."""


def _size(n: int) -> str:
    return f"{n // 1024:,} KB" if n >= 1024 else f"{n} bytes"


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _check_text(text: str, file: str, limits: YamlLimits) -> None:
    if len(text) > limits.max_bytes:
        raise YamlRefusedError(
            file,
            1,
            1,
            f"the file is {_size(len(text))}; YAML files are limited to {_size(limits.max_bytes)}",
        )
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line, column = _position(text, bad.start())
        raise YamlSyntaxError(
            file,
            line,
            column,
            f"control character U+{ord(bad.group()):04X} is not allowed; remove it "
            f'(inside double quotes it can be written "\\u{ord(bad.group()):04x}")',
        )


def _parse(text: str, file: str, limits: YamlLimits, *, keep_quotes: bool = False) -> Any:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = keep_quotes
    yaml.Scanner = BoundedScanner
    yaml.Composer = BoundedComposer
    yaml.Constructor = LocatedConstructor
    yaml.modelswap_limits = limits  # type: ignore[attr-defined]  # read by BoundedComposer
    try:
        return yaml.load(text)
    except Refusal as exc:
        raise YamlRefusedError(file, exc.line, exc.column, exc.message) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = str(exc.problem or exc.context)
        if exc.problem and exc.context and exc.context_mark:
            line_no = exc.context_mark.line + 1
            if problem.startswith("but "):  # "expected X (started at line 1), but found Y"
                problem = f"{exc.context} (started at line {line_no}), {problem}"
            else:
                problem += f" ({exc.context} started at line {line_no})"
        raise YamlSyntaxError(file, line, column, problem) from None
    except ReaderError as exc:
        line, column = _position(text, exc.position)
        raise YamlSyntaxError(file, line, column, str(exc.reason)) from None
    except (YAMLError, RecursionError) as exc:  # not expected past the bounds; still one line, never a traceback
        raise YamlSyntaxError(file, 1, 1, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def load_yaml(text: str, file: str = "<string>", limits: YamlLimits | None = None) -> tuple[Any, Locations]:
    """Parse one YAML document into plain data and the positions of its parts; ``YamlError`` if unusable."""
    limits = limits or YamlLimits()
    _check_text(text, file, limits)
    locs = Locations(file=file)
    data = _parse(text, file, limits)
    if data is None:
        return None, locs
    return _Plain(locs, limits).value(data, (), Position(1, 1), 1), locs


def load_data(text: str, file: str = "<string>", limits: YamlLimits | None = None) -> Any:
    """Parse one YAML document into plain data (positions dropped); ``YamlError`` if unusable."""
    return load_yaml(text, file, limits)[0]


def load_round_trip(text: str, file: str = "<string>", limits: YamlLimits | None = None) -> Any:
    """Parse one YAML document, within the same bounds, into ruamel's round-trip data (comments and quotes kept)."""
    limits = limits or YamlLimits()
    _check_text(text, file, limits)
    return _parse(text, file, limits, keep_quotes=True)


def read_yaml_text(path: Path, limits: YamlLimits | None = None) -> str:
    """A YAML file's text, read no further than the size limit; ``OSError`` propagates for the caller to word."""
    limits = limits or YamlLimits()
    with path.open("rb") as f:
        raw = f.read(limits.max_bytes + 1)
    if len(raw) > limits.max_bytes:
        raise YamlRefusedError(str(path), 1, 1, f"the file is over {_size(limits.max_bytes)}, the limit for YAML files")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlSyntaxError(
            str(path), line, column, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None


def load_yaml_file(path: Path, limits: YamlLimits | None = None) -> tuple[Any, Locations]:
    """Read (bounded) and parse a YAML file; ``OSError`` propagates for the caller to word."""
    return load_yaml(read_yaml_text(path, limits), str(path), limits)


class _Plain:
    """ruamel's round-trip objects turned into plain Python values, recording where each came from."""

    def __init__(self, locs: Locations, limits: YamlLimits) -> None:
        self.locs, self.limits, self.seen = locs, limits, 0

    def value(self, data: Any, path: PathKey, where: Position, depth: int) -> Any:
        self.locs.values[path] = where
        self.seen += 1
        if depth > self.limits.max_depth or self.seen > self.limits.max_nodes:  # the composer refuses first
            raise YamlRefusedError(self.locs.file, where.line, where.column, "the data is nested or aliased too much")
        if type(data) in _PLAIN:
            return data
        if isinstance(data, CommentedMap):
            return self._mapping(data, path, depth)
        if isinstance(data, CommentedSeq):
            spots = data.lc.data or {}
            return [
                self.value(item, (*path, i), _at(spots.get(i), where), depth + 1)
                for i, item in enumerate(list.__iter__(data))  # plain list iteration: ruamel's is slow
            ]
        return self.scalar(data, where)

    def _mapping(self, data: CommentedMap, path: PathKey, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key, item in data.items():
            spot = _key_spot(data, key)
            key_at = _at(spot, Position(1, 1))
            plain_key = self.scalar(key, key_at)
            key_path = (*path, str(plain_key))
            self.locs.keys[key_path] = key_at
            out[plain_key] = self.value(item, key_path, _at(spot[2:] if spot else None, key_at), depth + 1)
        return out

    def scalar(self, data: Any, where: Position) -> Any:
        if data is None or isinstance(data, bool):
            return data
        if isinstance(data, ScalarBoolean):
            return bool(data)
        if isinstance(data, int):
            return int(data)
        if isinstance(data, float):
            return float(data)
        if isinstance(data, str):
            return str(data)
        if isinstance(data, datetime):
            return datetime(*data.timetuple()[:6], data.microsecond, data.tzinfo)
        if isinstance(data, date):
            return date(data.year, data.month, data.day)
        if isinstance(data, TaggedScalar) and str(data.tag) == "tag:yaml.org,2002:str":  # !!str 5: the text "5"
            return str(data.value)
        raise YamlRefusedError(
            self.locs.file, where.line, where.column, f"unsupported value of type {type(data).__name__}"
        )


def _at(spot: Sequence[int] | None, fallback: Position) -> Position:
    return Position(spot[0] + 1, spot[1] + 1) if spot else fallback


def _key_spot(data: CommentedMap, key: Any, hops: int = 0) -> Sequence[int] | None:
    """[key line, key column, value line, value column] (0-based), looking through merged mappings."""
    own = (data.lc.data or {}).get(key)  # a mapping made by a merge may carry no positions at all
    if own is not None or hops > 64:
        return own
    for merged in getattr(data, "merge", None) or ():
        source = merged[1] if isinstance(merged, tuple) else merged
        if isinstance(source, CommentedMap) and key in source:
            return _key_spot(source, key, hops + 1)
    return None
