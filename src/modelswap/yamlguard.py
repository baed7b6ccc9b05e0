"""ruamel.yaml's scanner, composer and constructor with bounds: hostile YAML is refused early, by line.

The scanner refuses flow brackets nested past ``max_depth`` as it meets them. The composer sees
every node as it is parsed, before anything is built, and refuses, naming the line: nesting
deeper than ``max_depth`` (counting what aliases expand to); more than ``max_nodes`` nodes once
every alias is expanded (a "billion laughs" file is refused after about ``max_nodes`` steps
instead of expanding 10⁹ nodes); aliases that point into their own anchor (loops); tags other
than YAML's plain core ones (``!!python/...`` and the like); lists or mappings used as mapping
keys. The constructor reports a value that cannot be built (a date like 2026-13-01, a
5,000-digit number) at that value's line instead of raising a bare error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent, MappingStartEvent, SequenceStartEvent
from ruamel.yaml.nodes import MappingNode, Node
from ruamel.yaml.scanner import RoundTripScanner

_CORE = "tag:yaml.org,2002:"
SCALAR_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null"))
"""Explicit tags accepted on a scalar: YAML's core types, which only say what a plain value is."""
COLLECTION_TAGS = {SequenceStartEvent: _CORE + "seq", MappingStartEvent: _CORE + "map"}


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """Bounds on one YAML document; past any of them it is refused with a one-line error."""

    max_bytes: int = 512 * 1024
    """Largest file read (a migration file is a few KB; parsing 512 KB takes about a second)."""
    max_depth: int = 64
    """Deepest nesting of lists and mappings, counting what aliases expand to."""
    max_nodes: int = 100_000
    """Most values (scalars, lists, mappings) once every alias is expanded."""


class Refusal(Exception):
    """Raised inside the composer; ``yamlsource`` turns it into a located ``YamlRefusedError``."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.line = (mark.line + 1) if mark is not None else 1
        self.column = (mark.column + 1) if mark is not None else 1
        self.message = message


@dataclass(slots=True)
class _Expansion:
    """What an anchored node expands to: how many nodes, how many levels."""

    nodes: int
    height: int


@dataclass(slots=True)
class _Tally:
    limits: YamlLimits
    nodes: int = 0
    deepest: int = 0
    anchors: dict[str, _Expansion] = field(default_factory=dict)
    open_anchors: set[str] = field(default_factory=set)


class BoundedScanner(RoundTripScanner):
    """Refuses flow nesting (``[[[[...``) past the depth limit while scanning, before the scanner's
    look-ahead for simple keys (work ∝ open brackets × 1024 characters) makes it slow."""

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        limit = _limits(self.loader).max_depth
        if len(self.flow_context) >= limit:
            raise Refusal(self.reader.get_mark(), f"nested more than {limit} levels deep")
        super().fetch_flow_collection_start(TokenClass, to_push)


class BoundedComposer(Composer):
    """A composer that counts expanded nodes and depth as it goes and refuses past the limits."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.warn_double_anchors = False  # YAML allows re-anchoring; the latest definition wins
        self.tally = _Tally(_limits(loader))

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        is_key = isinstance(parent, MappingNode) and index is None
        if isinstance(event, AliasEvent):
            self._alias(event, is_key)
            return super().compose_node(parent, index)
        if is_key and isinstance(event, CollectionStartEvent):
            raise Refusal(event.start_mark, "a mapping key must be a plain value, not a list or mapping")
        self._tag(event)
        t = self.tally
        level = self.depth + 1
        if level > t.limits.max_depth:
            raise Refusal(event.start_mark, f"nested more than {t.limits.max_depth} levels deep")
        self._count(1, event)
        anchor = event.anchor
        collection = isinstance(event, CollectionStartEvent)
        if anchor is not None:
            t.anchors.pop(anchor, None)  # an alias inside this node must not reach an older namesake
            if collection:
                t.open_anchors.add(anchor)
        before_nodes, before_deepest = t.nodes - 1, t.deepest
        t.deepest = level
        node = super().compose_node(parent, index)
        height = t.deepest - level + 1
        t.deepest = max(before_deepest, t.deepest)
        if anchor is not None:
            t.open_anchors.discard(anchor)
            t.anchors[anchor] = _Expansion(t.nodes - before_nodes, height)
        return node

    def _tag(self, event: Any) -> None:
        tag = None if event.ctag is None else str(event.ctag)
        if tag in (None, "!"):
            return
        fits = (
            COLLECTION_TAGS.get(type(event)) == tag if isinstance(event, CollectionStartEvent) else tag in SCALAR_TAGS
        )
        if not fits:
            known = tag in SCALAR_TAGS or tag in COLLECTION_TAGS.values()
            what = "list" if isinstance(event, SequenceStartEvent) else "mapping" if known else ""
            if known and what and isinstance(event, CollectionStartEvent):
                raise Refusal(event.start_mark, f"tag {_short(tag)} does not fit a {what}; remove the tag")
            if known:
                raise Refusal(event.start_mark, f"tag {_short(tag)} does not fit a plain value; remove the tag")
            raise Refusal(event.start_mark, f"unsupported tag {_short(tag)}; write plain values without tags")

    def _alias(self, event: Any, is_key: bool) -> None:
        t = self.tally
        name = event.anchor
        if name in t.open_anchors:
            raise Refusal(event.start_mark, f"alias *{name} is used inside the value it names (a loop)")
        size = t.anchors.get(name)
        if size is None:
            raise Refusal(event.start_mark, f"alias *{name} names no anchor (&{name}) defined before it")
        if is_key and size.height > 1:
            raise Refusal(event.start_mark, "a mapping key must be a plain value, not a list or mapping")
        if self.depth + size.height > t.limits.max_depth:
            raise Refusal(event.start_mark, f"alias *{name} nests the data more than {t.limits.max_depth} levels deep")
        t.deepest = max(t.deepest, self.depth + size.height)
        self._count(size.nodes, event, alias=name)

    def _count(self, nodes: int, event: Any, alias: str | None = None) -> None:
        t = self.tally
        t.nodes += nodes
        if t.nodes > t.limits.max_nodes:
            what = f"alias *{alias} brings the data to" if alias else "the data has"
            raise Refusal(
                event.start_mark,
                f"{what} more than {t.limits.max_nodes:,} values once aliases are expanded; "
                "write the values out, or use fewer aliases",
            )


class LocatedConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor; a value that cannot be built is reported at its own line."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except YAMLError:
            raise
        except (ValueError, ArithmeticError, TypeError, LookupError) as exc:  # e.g. !!bool maybe, 2026-13-01
            problem = str(exc).split("; use sys.set_int_max_str_digits")[0]  # advice for programmers, not users
            raise ConstructorError(None, None, f"cannot read this value: {problem}", node.start_mark) from None


def _limits(loader: Any) -> YamlLimits:
    found = getattr(loader, "modelswap_limits", None)
    return found if isinstance(found, YamlLimits) else YamlLimits()


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag
