"""promptfoo test files (YAML or JSON): ``prompts`` × ``tests``, each test with ``vars`` and ``assert``.

One case per test and prompt (ids get ``@p<k>`` when there are several prompts) and per value
of a list var (promptfoo expands ``vars: {lang: [fr, de]}`` into two tests; ids get ``/<k>``).
``defaultTest`` vars and asserts apply to every test. Case ids are the test's ``id`` (or
``metadata.id``), else ``<file stem>-001``…; the workload is ``metadata.workload``, the file's
``workload:`` key, else the default. Scalar metadata becomes tags ``key:value``. Problems are
reported at the line of the test, or of the assertion they concern.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from modelswap.evals.case import Case, Json
from modelswap.evals.errors import Problem, ScorerSpecError
from modelswap.evals.golden_readers.csvfile import SPECIAL_COLUMN as _CSV_SPECIAL
from modelswap.evals.golden_readers.csvfile import csv_rows
from modelswap.evals.golden_readers.promptfoo_asserts import map_assertion, parse_expected
from modelswap.evals.golden_readers.promptfoo_files import Prompt, load_var, prompt_entries
from modelswap.evals.golden_readers.records import RecordError, Where, case_from_record
from modelswap.evals.scorers.registry import check_spec

TEST_KEYS = frozenset({"vars", "assert", "description", "metadata", "options", "id", "providers", "threshold"})
IGNORED_OPTIONS = frozenset({"provider"})
UNSUPPORTED_TOP = frozenset({"scenarios", "derivedMetrics", "extensions"})


@dataclass
class Suite:
    """What every test of a file shares: where it is, its prompts, defaults, and the problems found."""

    source: str
    base: Path
    workload: str
    prompts: list[Prompt] = field(default_factory=list)
    default_vars: Json = field(default_factory=dict)
    default_asserts: list[tuple[int, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, line: int, reason: str) -> None:
        self.problems.append(Problem(self.source, line, reason))


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
    return None


def _items(node: yaml.Node | None) -> list[yaml.Node | None]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _parse(text: str, source: str) -> tuple[Any, yaml.Node | None] | Problem:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        return Problem(source, line, f"invalid YAML: {getattr(exc, 'problem', None) or exc}")
    finally:
        loader.dispose()


def _lined(values: Any, node: yaml.Node | None, fallback: int) -> list[tuple[int, Any]]:
    lines = [_line(n) for n in _items(node)]
    items = values if isinstance(values, list) else [] if values is None else [values]
    return [(lines[i] if i < len(lines) else fallback, item) for i, item in enumerate(items)]


def _setup(suite: Suite, config: Mapping[str, Any], root: yaml.Node | None) -> None:
    for key in sorted(UNSUPPORTED_TOP & config.keys()):
        suite.problem(_line(_child(root, key)), f"promptfoo {key!r} is not supported")
    if isinstance(config.get("workload"), str):
        suite.workload = config["workload"]
    for line, entry in _lined(config.get("prompts"), _child(root, "prompts"), _line(root)):
        try:
            suite.prompts += prompt_entries(entry, suite.base)
        except (ValueError, OSError, yaml.YAMLError) as exc:
            suite.problem(line, f"prompt: {exc}")
    default = config.get("defaultTest") or {}
    default_node = _child(root, "defaultTest")
    if not isinstance(default, dict):
        suite.problem(_line(default_node), "defaultTest must be a mapping (file:// is not supported)")
        return
    default_vars = default.get("vars") or {}
    if not isinstance(default_vars, dict):
        suite.problem(_line(default_node), "defaultTest.vars must be a mapping")
        return
    suite.default_vars = dict(default_vars)
    suite.default_asserts = _lined(default.get("assert"), _child(default_node, "assert"), _line(default_node))


def _expand(variables: Json) -> list[Json]:
    listed = [k for k, v in variables.items() if isinstance(v, list)]
    if not listed:
        return [variables]
    combos = itertools.product(*(variables[k] for k in listed))
    return [{**variables, **dict(zip(listed, combo, strict=True))} for combo in combos]


def _asserts(suite: Suite, lined: list[tuple[int, Any]], variables: Json) -> tuple[list[Json], bool]:
    specs, ok = [], True
    for index, (line, item) in enumerate(lined):
        kind = item.get("type") if isinstance(item, dict) else None
        try:
            spec = map_assertion(item, variables)
            check_spec(spec)
            specs.append(spec)
        except (ValueError, ScorerSpecError) as exc:
            suite.problem(line, f"assert[{index}] ({kind}): {exc}")
            ok = False
    return specs, ok


def _test_problems(test: Any) -> list[str]:
    if not isinstance(test, dict):
        return [f"a test is a mapping with vars and assert, not {type(test).__name__}"]
    reasons = [f"unsupported test key {k!r}" for k in sorted(set(test) - TEST_KEYS)]
    options = test.get("options") or {}
    if not isinstance(options, dict):
        reasons.append("options must be a mapping")
    else:
        reasons += [
            f"unsupported option {k!r} (it would change what is sent or scored)"
            for k in sorted(set(options) - IGNORED_OPTIONS)
        ]
    if not isinstance(test.get("vars") or {}, dict):
        reasons.append("vars must be a mapping")
    return reasons


def _base_record(suite: Suite, test: Json, number: int) -> Json:
    metadata = test.get("metadata") or {}
    meta = metadata if isinstance(metadata, dict) else {}
    tags = [
        f"{k}:{v}" for k, v in meta.items() if isinstance(v, (str, int, float, bool)) and k not in {"id", "workload"}
    ]
    return {
        "id": str(test.get("id") or meta.get("id") or f"{Path(suite.source).stem}-{number:03d}"),
        "workload": meta.get("workload") or suite.workload,
        "description": test.get("description"),
        "metadata": metadata,
        "tags": tags,
    }


def _test_cases(suite: Suite, test: Any, line: int, node: yaml.Node | None, number: int) -> list[Case]:
    reasons = _test_problems(test)
    if reasons:
        for reason in reasons:
            suite.problem(line, reason)
        return []
    try:
        variables = {k: load_var(v, suite.base) for k, v in {**suite.default_vars, **(test.get("vars") or {})}.items()}
    except (ValueError, OSError, yaml.YAMLError) as exc:
        suite.problem(line, f"vars: {exc}")
        return []
    lined = suite.default_asserts + _lined(test.get("assert"), _child(node, "assert"), line)
    base = _base_record(suite, test, number)
    expansions = _expand(variables)
    cases = []
    checked = [_asserts(suite, lined, vars_k) for vars_k in expansions]
    for (k, vars_k), (p, prompt) in itertools.product(enumerate(expansions, 1), enumerate(suite.prompts, 1)):
        specs, ok = checked[k - 1]
        suffix = (f"/{k}" if len(expansions) > 1 else "") + (f"@p{p}" if len(suite.prompts) > 1 else "")
        conversation = {"prompt": prompt.text} if prompt.text is not None else {"messages": list(prompt.messages or ())}
        record = {**base, "id": base["id"] + suffix, **conversation, "vars": vars_k, "assert": specs}
        try:
            case = case_from_record(record, Where(suite.source, line, suite.workload))
        except RecordError as exc:
            suite.problems.extend(Problem(suite.source, line, r) for r in exc.reasons)
            continue
        if ok:
            cases.append(case)
    return cases


def _ready(suite: Suite, config: Mapping[str, Any], root: yaml.Node | None) -> bool:
    _setup(suite, config, root)
    if not suite.prompts and not suite.problems:
        suite.problem(_line(root), "no prompts: add 'prompts:' with a {{var}} template (or file://)")
    return not suite.problems


def csv_test(row: dict[str, str]) -> Json:
    """A promptfoo test from a row of a tests CSV: vars as columns, ``__expected``, ``__description``…"""
    expected = sorted((k for k in row if k.startswith("__expected") and row[k].strip()), key=lambda k: (len(k), k))
    test: Json = {
        "vars": {k: v for k, v in row.items() if not k.startswith("__")},
        "assert": [parse_expected(row[k]) for k in expected],
        "metadata": {k.split(":", 1)[1]: v for k, v in row.items() if k.startswith("__metadata:") and v},
    }
    if row.get("__description"):
        test["description"] = row["__description"]
    return test


def _file_tests(
    suite: Suite, config: Mapping[str, Any], root: yaml.Node | None, ref: str, line: int
) -> tuple[list[Case], list[Problem]]:
    if not ref.startswith("file://") or not ref.lower().endswith(".csv"):
        return [], [
            Problem(suite.source, line, f"tests: {ref!r}: only a list of tests or file://<name>.csv is supported")
        ]
    if not _ready(suite, config, root):
        return [], suite.problems
    path = suite.base / ref.removeprefix("file://")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        return [], [Problem(suite.source, line, f"tests: cannot read {path}: {exc.strerror or exc}")]
    rows_suite = replace(suite, source=str(path))
    header, rows, problems = csv_rows(text, str(path))
    rows_suite.problems.extend(problems)
    bad = [h for h in header if h.startswith("__") and not _CSV_SPECIAL.fullmatch(h)]
    rows_suite.problems.extend(Problem(str(path), 1, f"unknown special column {h!r}") for h in bad)
    cases = []
    for number, (start, row) in enumerate(rows, start=1):
        cases += _test_cases(rows_suite, csv_test(row), start, None, number)
    return cases, rows_suite.problems


def read_promptfoo(text: str, source: str, workload: str, path: Path) -> tuple[list[Case], list[Problem]]:
    """Cases of a promptfoo test file and a problem for every bad test, prompt or assertion."""
    parsed = _parse(text, source)
    if isinstance(parsed, Problem):
        return [], [parsed]
    data, root = parsed
    suite = Suite(source, path.parent, workload)
    config = data if isinstance(data, dict) else {}
    tests_node = _child(root, "tests")
    tests = config.get("tests")
    if isinstance(tests, str):
        return _file_tests(suite, config, root, tests, _line(tests_node))
    if not isinstance(tests, list):
        reason = "expected a promptfoo test file: a mapping with 'prompts' and 'tests' (a list)"
        return [], [Problem(source, _line(root), reason)]
    if not _ready(suite, config, root):
        return [], suite.problems
    nodes = _items(tests_node)
    cases = []
    for i, test in enumerate(tests):
        node = nodes[i] if i < len(nodes) else None
        cases += _test_cases(suite, test, _line(node), node, i + 1)
    return cases, suite.problems
