"""Config problems worded for people: ``file:line: field: what is wrong, what is expected``."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from modelswap.yamlsource import Locations


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ConfigError(ValueError):
    """One or more problems in a migration file, each naming where it is."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional/Union/containers, for field-name suggestions."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _unwrap(a)]
    return [annotation]


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model class found at ``loc`` (a path into the data), if any."""
    current: Any = root
    for part in loc:
        nxt = None
        for t in _unwrap(current):
            origin = typing.get_origin(t)
            args = typing.get_args(t)
            if isinstance(t, type) and issubclass(t, BaseModel) and isinstance(part, str) and part in t.model_fields:
                nxt = t.model_fields[part].annotation
            elif origin is dict and args:
                nxt = args[1]
            elif origin in (tuple, list) and args and isinstance(part, int):
                nxt = args[0]
            if nxt is not None:
                break
        if nxt is None:
            return None
        current = nxt
    for t in _unwrap(current):
        if isinstance(t, type) and issubclass(t, BaseModel):
            return t
    return None


_EXPECT = {
    "missing": "this field is required",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "list_type": "expected a list (- item lines)",
    "tuple_type": "expected a list (- item lines)",
}


def _message(err: Any, root: type[BaseModel]) -> str:
    kind = err["type"]
    loc = err["loc"]
    if kind == "extra_forbidden":
        model = _model_at(root, loc[:-1])
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown field{hint} allowed here: {', '.join(allowed)}"
    if kind == "literal_error":
        return f"got {err.get('input')!r}; expected {err['ctx']['expected']}"
    if kind == "too_short":
        return f"needs at least {err['ctx']['min_length']} item(s)"
    if kind in ("value_error", "assertion_error"):
        return str(err["msg"]).removeprefix("Value error, ")
    base = _EXPECT.get(kind)
    if base:
        shown = "" if kind == "missing" else f", got {err.get('input')!r}"
        return base + shown
    msg = str(err["msg"])
    return f"{msg[:1].lower()}{msg[1:]}, got {err.get('input')!r}"


_FIELD_PATH = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)\b")


def _named_in(message: str) -> tuple[str, ...]:
    """The field a whole-file check names first (``gateway.default_workload 'x' is not ...``), as a location."""
    match = _FIELD_PATH.match(message)
    return tuple(match.group(1).split(".")) if match else ()


def issues_from_validation(exc: ValidationError, locs: Locations, root: type[BaseModel]) -> list[ConfigIssue]:
    """Turn pydantic's errors into issues located in the YAML source."""
    issues = []
    seen = set()
    errors = exc.errors(include_url=False)
    deeper = {tuple(e["loc"][:i]) for e in errors for i in range(len(e["loc"]))}
    for err in errors:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        if err["type"] == "too_short" and tuple(err["loc"]) in deeper:
            continue  # the items themselves are reported; "too short" would only repeat it
        message = _message(err, root)
        if not loc and (named := _named_in(message)):  # a whole-file check: locate the field it names
            loc, rest = named, message[len(".".join(named)) :].lstrip()
            message = rest if rest.startswith("'") else message  # "'x' is not a workload" reads alone
        pos = locs.find(loc)
        issue = ConfigIssue(locs.file, pos.line if pos else 1, _dotted(loc), message)
        if (issue.line, issue.field, issue.message) not in seen:
            seen.add((issue.line, issue.field, issue.message))
            issues.append(issue)
    return sorted(issues, key=lambda i: i.line)
