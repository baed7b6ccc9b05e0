"""Golden sets whose right answers the simulator knows: generate, write, load and check them.

Files live in ``sim/data/<name>.jsonl``, one case per line::

    {"id": "arithmetic-000", "workload": "arithmetic", "messages": [...], "tools": [...]?,
     "expected": {...}, "assert": [{"type": "equals" | "contains" | "json_field" | "tool_call", ...}],
     "tags": [...]}

Regenerate them with ``python -m modelswap.sim.golden`` (deterministic: same seed, same files).
``check()`` is a reference reading of the assert types, used to test the simulator itself.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from modelswap.sim.workloads import make_case


@dataclass(frozen=True, slots=True)
class GoldenSpec:
    """One golden-set file: its workload and how many cases it holds."""

    workload: str
    size: int


GOLDEN_SETS: dict[str, GoldenSpec] = {
    "arithmetic": GoldenSpec("arithmetic", 100),
    "ticket-triage": GoldenSpec("ticket-triage", 120),
    "json-extraction": GoldenSpec("extraction", 100),
    "tool-call": GoldenSpec("order-tools", 100),
    "extraction-routing": GoldenSpec("extraction", 400),
}
"""File stem → spec. ``extraction-routing`` is the routing preset's: a 2-point non-inferiority margin
needs a few hundred cases on each side of the calibration split."""

GOLDEN_SEED = 20250101


class Assertion(BaseModel):
    """One check on a model's output.

    ``equals``: stripped text equals ``value``. ``contains``: text contains ``value``
    (case-insensitive). ``json_field``: the text parses as a JSON object whose ``path``
    (dotted) equals ``value``. ``tool_call``: some tool call has ``name`` and ``arguments``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["equals", "contains", "json_field", "tool_call"]
    value: Any = None
    path: str | None = None
    name: str | None = None
    arguments: dict[str, Any] | None = None


class GoldenCase(BaseModel):
    """One golden case: an OpenAI-format request and what a right answer looks like."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: str
    workload: str
    messages: list[dict[str, Any]] = Field(min_length=1)
    tools: list[dict[str, Any]] | None = None
    expected: dict[str, Any]
    assertions: list[Assertion] = Field(alias="assert", min_length=1)
    tags: list[str] = Field(default_factory=list)


def generate(name: str, size: int | None = None, seed: int = GOLDEN_SEED) -> list[dict[str, Any]]:
    """The cases of golden set ``name`` as JSON-able dicts, in file order."""
    spec = GOLDEN_SETS[name]
    rng = random.Random(f"{seed}:{name}")
    cases = []
    for i in range(spec.size if size is None else size):
        case = make_case(spec.workload, rng)
        cases.append({"id": f"{name}-{i:03d}", "workload": spec.workload, **case})
    return cases


def data_dir() -> Path:
    """Where the packaged golden sets live."""
    return Path(str(resources.files("modelswap.sim").joinpath("data")))


def write_all(directory: Path | None = None, seed: int = GOLDEN_SEED) -> list[Path]:
    """(Re)write every golden set file; returns the paths written."""
    target = directory or data_dir()
    paths = []
    for name in GOLDEN_SETS:
        path = target / f"{name}.jsonl"
        lines = [json.dumps(case, ensure_ascii=False) for case in generate(name, seed=seed)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def load_golden(name: str, directory: Path | None = None) -> list[GoldenCase]:
    """Parse a golden set file; a bad line raises ``ValueError`` naming the file and line."""
    path = (directory or data_dir()) / f"{name}.jsonl"
    cases = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(GoldenCase.model_validate(orjson.loads(line)))
        except (orjson.JSONDecodeError, ValueError) as exc:
            raise ValueError(f"{path}:{lineno}: {exc}") from exc
    return cases


def check(assertion: Assertion, text: str, tool_calls: list[tuple[str, dict[str, Any]]]) -> bool:
    """Whether an output (text and ``(name, arguments)`` tool calls) satisfies one assertion."""
    if assertion.type == "equals":
        return text.strip() == str(assertion.value)
    if assertion.type == "contains":
        return str(assertion.value).lower() in text.lower()
    if assertion.type == "tool_call":
        return any(name == assertion.name and args == assertion.arguments for name, args in tool_calls)
    try:
        obj: Any = json.loads(text)
    except ValueError:
        return False
    for part in (assertion.path or "").split("."):
        if not isinstance(obj, dict) or part not in obj:
            return False
        obj = obj[part]
    return bool(obj == assertion.value)


def case_passes(case: GoldenCase, text: str, tool_calls: list[tuple[str, dict[str, Any]]]) -> bool:
    """Whether an output satisfies every assertion of ``case``."""
    return all(check(a, text, tool_calls) for a in case.assertions)


def main(argv: list[str] | None = None) -> None:
    """Regenerate the golden set files (into the directory given, else the package's)."""
    args = sys.argv[1:] if argv is None else argv
    for path in write_all(Path(args[0]) if args else None):
        print(path)


if __name__ == "__main__":
    main()
