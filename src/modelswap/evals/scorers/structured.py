"""Built-in scorers on structure: JSON validity, a JSON schema, a JSON field, a tool call.

With ``extract: true`` the JSON may sit inside a code fence or prose; by default the whole
output must be JSON, as the simulator's golden sets define ``json_field``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jsonschema
from jsonschema.protocols import Validator

from modelswap.evals.jsontext import NoJson, dumps, json_equal, load_json
from modelswap.evals.output import ToolCall
from modelswap.evals.scorers.base import Score, SyncScorer, shorten
from modelswap.evals.scorers.registry import scorer

if TYPE_CHECKING:
    from modelswap.evals.case import Case
    from modelswap.evals.output import Output

_MISSING = object()


@scorer("json_valid")
@dataclass(frozen=True, kw_only=True)
class JsonValid(SyncScorer):
    """The output is JSON (``extract``: contains JSON)."""

    extract: bool = False

    def check(self, case: Case, output: Output) -> Score:
        try:
            load_json(output.text, extract=self.extract)
        except NoJson as exc:
            return self.verdict(False, str(exc))
        return self.verdict(True, "output is valid JSON")


@scorer("json_schema")
@dataclass(frozen=True, kw_only=True)
class JsonSchema(SyncScorer):
    """The output's JSON validates against ``schema`` (JSON Schema, the draft its ``$schema`` names)."""

    schema: dict[str, Any]
    extract: bool = False
    _validator: Validator = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        cls = jsonschema.validators.validator_for(self.schema)
        try:
            cls.check_schema(self.schema)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"invalid JSON schema: {exc.message}") from None
        object.__setattr__(self, "_validator", cls(self.schema))

    def check(self, case: Case, output: Output) -> Score:
        try:
            value = load_json(output.text, extract=self.extract)
        except NoJson as exc:
            return self.verdict(False, str(exc))
        errors = sorted(self._validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        if not errors:
            return self.verdict(True, "output matches the schema")
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        return self.verdict(False, f"{len(errors)} schema error(s); at {where}: {first.message}")


def dig(value: Any, path: str) -> Any:
    """The value at a dotted ``path`` (list items by index: ``items.0.name``), or ``_MISSING``."""
    for part in path.split(".") if path else []:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdecimal() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


@scorer("json_field")
@dataclass(frozen=True, kw_only=True)
class JsonField(SyncScorer):
    """The output's JSON has ``value`` at dotted ``path`` (``value: null`` means the field is null)."""

    path: str
    value: Any
    extract: bool = False

    def check(self, case: Case, output: Output) -> Score:
        try:
            document = load_json(output.text, extract=self.extract)
        except NoJson as exc:
            return self.verdict(False, str(exc))
        got = dig(document, self.path)
        if got is _MISSING:
            return self.verdict(False, f"no field {self.path!r} in the output JSON")
        ok = json_equal(got, self.value)
        if ok:
            return self.verdict(True, f"{self.path} = {shorten(dumps(got))}")
        return self.verdict(False, f"{self.path}: expected {shorten(dumps(self.value))}, got {shorten(dumps(got))}")


def arguments_match(got: dict[str, Any], want: dict[str, Any], partial: bool) -> bool:
    """Whether tool-call arguments match: all of them, or (``partial``) those in ``want``."""
    if partial:
        return all(k in got and json_equal(got[k], v) for k, v in want.items())
    return json_equal(got, want)


@scorer("tool_call")
@dataclass(frozen=True, kw_only=True)
class ToolCallMatch(SyncScorer):
    """Some tool call has ``name`` and ``arguments`` (all of them, or with ``partial`` those given).

    ``arguments: null`` checks the name only.
    """

    name: str
    arguments: dict[str, Any] | None = None
    partial: bool = False

    def check(self, case: Case, output: Output) -> Score:
        calls: tuple[ToolCall, ...] = output.tool_calls
        named = [c for c in calls if c.name == self.name]
        if self.arguments is None:
            hit = bool(named)
        else:
            want = self.arguments
            hit = any(arguments_match(c.arguments, want, self.partial) for c in named)
        seen = ", ".join(f"{c.name}({dumps(c.arguments)})" for c in calls) or "no tool calls"
        if hit:
            return self.verdict(True, f"called {self.name}")
        return self.verdict(False, f"expected {self.name}({dumps(self.arguments)}); got {shorten(seen, 160)}")
