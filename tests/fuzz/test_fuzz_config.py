"""Fuzzing ``modelswap check``'s loader with YAML-ish text: only ``ConfigError``, never a traceback, always quick.

Three kinds of input: token soup (YAML's punctuation, anchors, aliases, tags, merge keys, control
characters, runs of brackets), well-formed documents rendered from random trees with anchors,
aliases and tags in block or flow style, and alias pyramids ("billion laughs") of random shape.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelswap.config import ConfigError, load_migration, parse_migration
from modelswap.yamlsource import YamlRefusedError, load_yaml

BOUND_S = 5.0  # CPU seconds (not wall time, which a loaded machine stretches); most examples take milliseconds
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TOKENS = [
    "a",
    "b",
    "name",
    "endpoints",
    "workloads",
    "old",
    "new",
    "provider",
    "model",
    "sim",
    "gpt-4o",
    ":",
    ": ",
    "- ",
    "? ",
    ",",
    "[",
    "]",
    "{",
    "}",
    "#",
    "|",
    ">",
    "'",
    '"',
    "\\",
    "\n",
    "\n  ",
    "\n    ",
    " ",
    "\t",
    "&a ",
    "&b ",
    "*a",
    "*b",
    "<<: ",
    "!!str ",
    "!!int ",
    "!!map ",
    "!!python/name:os.system ",
    "!!python/object/apply:os.system ",
    "!vault ",
    "!",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "---\n",
    "...\n",
    "1",
    "-1.5",
    "0x1F",
    "0o17",
    "1e400",
    "2026-13-01",
    "2026-01-01T10:00:00Z",
    "12:30",
    "yes",
    "~",
    "null",
    "\x00",
    "\x01",
    "\x1b",
    "\x7f",
    "\x85",
    "\ufeff",
    "\ud7ff",
    "é",
    "😀",
    "\u2028",
]

soup = st.lists(
    st.one_of(
        st.sampled_from(TOKENS), st.integers(1, 400).map(lambda n: "[" * n), st.integers(1, 200).map("{".__mul__)
    ),
    max_size=60,
).map("".join)

scalar = st.one_of(
    st.sampled_from(["x", "1", "2.5", "true", "no", "null", "''", '"\\t"', "2026-01-01", "<<"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8).map(repr),
)
tree = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "c", "<<", "name", "endpoints", "workloads"]), inner, max_size=4),
    ),
    max_leaves=30,
)


def _render(node: Any, data: st.DataObject, indent: int, anchors: list[str]) -> str:
    """YAML text for ``node``, sometimes anchored, tagged, replaced by an alias, or written in flow style."""
    decoration = data.draw(st.sampled_from(["", "", "", "anchor", "alias", "tag"]))
    if decoration == "alias" and anchors:
        return "*" + data.draw(st.sampled_from(anchors))
    prefix = ""
    if decoration == "anchor":
        anchors.append(f"n{len(anchors)}")
        prefix = f"&{anchors[-1]} "
    elif decoration == "tag":
        prefix = data.draw(st.sampled_from(["!!str ", "!!map ", "!!seq ", "!!binary ", "!!set ", "!x "]))
    pad = "  " * indent
    if isinstance(node, list) and node:
        if data.draw(st.booleans()):
            return prefix + "[" + ", ".join(_render(n, data, 0, anchors).replace("\n", " ") for n in node) + "]"
        return prefix + "".join(f"\n{pad}- {_render(n, data, indent + 1, anchors)}" for n in node)
    if isinstance(node, dict) and node:
        return prefix + "".join(f"\n{pad}{k}: {_render(v, data, indent + 1, anchors)}" for k, v in node.items())
    return prefix + (str(node) if not isinstance(node, list | dict) else ("[]" if isinstance(node, list) else "{}"))


def _check_loader(text: str) -> None:
    started = time.process_time()
    try:
        parse_migration(text, "f.yaml", Path("/tmp"))
    except ConfigError as exc:
        assert exc.issues, "a ConfigError always says what is wrong"
        for issue in exc.issues:
            assert str(issue).startswith("f.yaml:") and issue.line >= 1, str(issue)
            assert "\n" not in str(issue) and "Traceback" not in str(issue)
    elapsed = time.process_time() - started
    assert elapsed < BOUND_S, f"took {elapsed:.1f} s on {text[:200]!r}"


@FUZZ
@given(soup)
def test_token_soup_gives_config_errors_only(text: str) -> None:
    _check_loader(text)


@FUZZ
@given(tree, st.data())
def test_random_documents_with_anchors_aliases_and_tags(node: Any, data: st.DataObject) -> None:
    text = _render(node, data, 0, []).lstrip("\n") + "\n"
    _check_loader(text)


@FUZZ
@given(st.integers(2, 12), st.integers(2, 12), st.booleans())
def test_alias_pyramids_are_refused_exactly_past_the_bound(width: int, levels: int, flow: bool) -> None:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        refs = [f"*l{i - 1}"] * width
        lines.append(
            f"l{i}: &l{i} [{', '.join(refs)}]" if flow else f"l{i}: &l{i}\n" + "".join(f"  - {r}\n" for r in refs)
        )
    text = "\n".join(lines) + "\n"
    _check_loader(text)
    size, total = 1 + width, 1  # l0 expands to a list and its items; the document is one mapping
    for _ in range(levels):
        total += 1 + size  # a key and its value
        size = 1 + width * size
    try:
        load_yaml(text)
    except YamlRefusedError as exc:
        assert total > 100_000, f"refused at {total} values: {exc}"
    else:
        assert total <= 100_000, f"loaded {total} values"


@settings(max_examples=40, deadline=None)
@given(soup)
def test_the_file_loader_of_check_gives_config_errors_only(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_migration(path)
        except ConfigError as exc:
            assert all(str(i).startswith(str(path)) for i in exc.issues)
